// Package logging builds lbhad's one zap logger and adapts it to where
// its lines go.
//
// Under systemd, stderr is usually a stream to journald, which stamps
// every record with its own time and reads a syslog priority from a
// "<N>" prefix at the start of each line (sd-daemon(3), SD_ERR is
// "<3>"). JOURNAL_STREAM holds "device:inode" of that stream
// (systemd.exec(5)); when it matches stderr, New leaves the time out and
// prefixes every line with the priority of its level, so `journalctl
// -p err` selects lbhad's errors. Anywhere else (a terminal, a file, a
// pipe to another program) lines carry an ISO 8601 time and no prefix.
//
// github.com/moby/ipvs logs through logrus's standard logger;
// RouteLogrus sends those entries into the zap logger, so they share its
// format, level and destination.
package logging
