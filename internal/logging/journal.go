package logging

import (
	"os"
	"strconv"
	"strings"
)

// JournalStream reports whether f (stderr) is the stream systemd
// connected to journald: JOURNAL_STREAM is set and names f's device and
// inode. A process whose stderr was redirected elsewhere after systemd
// started it inherits the variable but fails the match, as systemd.exec(5)
// asks.
func JournalStream(f *os.File) bool {
	dev, ino, ok := fileID(f)
	return ok && MatchJournalStream(os.Getenv("JOURNAL_STREAM"), dev, ino)
}

// MatchJournalStream reports whether env, JOURNAL_STREAM's value
// "DEVICE:INODE" in decimal, names the file with device dev and inode
// ino. An empty or malformed value matches nothing.
func MatchJournalStream(env string, dev, ino uint64) bool {
	d, i, ok := strings.Cut(env, ":")
	if !ok {
		return false
	}
	wd, err1 := strconv.ParseUint(d, 10, 64)
	wi, err2 := strconv.ParseUint(i, 10, 64)
	return err1 == nil && err2 == nil && wd == dev && wi == ino
}
