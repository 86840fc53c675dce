// Package checker is lbhad's health-check engine: keepalived's
// HTTP_GET, SSL_GET, TCP_CHECK, MISC_CHECK, DNS_CHECK, UDP_CHECK,
// PING_CHECK, SMTP_CHECK and FILE_CHECK for real servers, and
// vrrp_script for VRRP instances, behind one Checker interface and one
// scheduler. A real server with several checks is judged by the daemon,
// which folds their verdicts (all must pass).
//
// No RFC defines health checking; the probes speak HTTP/1.1 (RFC 9112,
// status semantics of RFC 9110), TLS 1.2+ (RFC 5246, RFC 8446) with SNI
// (RFC 6066 §3), plain TCP, DNS (RFC 1035, TCP fallback per RFC 7766),
// UDP, ICMP and ICMPv6 echo (RFC 792, RFC 4443), SMTP greeting (RFC 5321
// §4.2, §4.1.1.1), and keepalived's script exit-code and track-file
// contracts.
//
// # Probes
//
// New builds a Checker from a Spec. Every attempt returns a Result whose
// Reason says in plain words why it failed ("HTTP 503", "connection
// refused", "timeout after 5s", "body did not match", "exit status 1").
//
//   - http_get / ssl_get open a fresh connection per attempt (no keep-alive,
//     like keepalived, so a server that stops accepting is noticed), send
//     GET Path with the VirtualHost as Host, do not follow redirects, and
//     accept the configured status ranges (default 200-299). BodyRegex and
//     the keepalived digest (hex MD5 of the body) are checked against at most
//     MaxBody bytes. ConnectTimeout bounds the whole attempt. ssl_get
//     verifies the certificate (CAFile, else the system pool) unless
//     Insecure is set — keepalived does not verify, so migrated configs
//     need one or the other.
//   - tcp_check connects, optionally writes Send and waits until the reply
//     contains Expect, within ConnectTimeout.
//   - http_get / ssl_get with URLs fetch each in order and pass only if
//     all do; the reason names the failing path.
//   - dns_check sends one recursive query over UDP and passes on NOERROR;
//     with Expect an answer of the asked type must carry it, and a
//     truncated reply is asked again over TCP (github.com/miekg/dns).
//   - udp_check sends a payload on a connected socket: ICMP port
//     unreachable fails; silence passes unless RequireReply; expected
//     reply bytes are compared under a wildcard mask.
//   - ping_check sends one echo request over a ping socket, or a raw ICMP
//     socket where ping_group_range refuses it, and waits for its reply.
//   - smtp_check wants a 220 banner and 250 to HELO (or EHLO), then quits.
//   - file_check reads a track file's number and sets the weight from it,
//     or fails at keepalived's fault value.
//   - misc_check and vrrp_script run a command (split by SplitCommand, no
//     shell) in its own process group, optionally as another user, with
//     LBHAD_RS_ADDR, LBHAD_RS_PORT, LBHAD_VS and LBHAD_CHECK_ID (or
//     LBHAD_SCRIPT) in the environment. On timeout, and after the script
//     exits, the whole group is killed with SIGKILL, so nothing it started
//     outlives the attempt; the child is always waited for. At most
//     MaxScriptOutput bytes of output are kept and the rest is drained, so
//     a chatty script never blocks. Exit 0 is up, anything else down; with
//     misc_dynamic, 2..255 are up with weight code-2 (keepalived's rule).
//
// # Verdicts
//
// A Tracker applies rise and fall to counted outcomes. A failed attempt is
// first retried Retry times, DelayBeforeRetry apart; only when all fail
// does it count as one failure. The state before any verdict is the
// Spec's Initial: StartUp (the zero value, keepalived's default for real
// servers and scripts), StartDown (keepalived's alpha mode) or
// StartUnknown (the first counted outcome decides at once).
//
// # Scheduling
//
// An Engine holds every check in one min-heap keyed by due time and runs
// attempts on a bounded pool of workers, not a goroutine per check. A
// check's next attempt is due Interval after its previous one started,
// or at once when that one ran longer than Interval, so a check never
// overlaps itself and a backend that hangs until the timeout is still
// declared down within fall × interval + timeout. First attempts after Set are
// spread over the Interval (or over Warmup, when set) by a hash of the
// check's ID, so ten thousand checks loaded together do not fire together
// and each lands at the same offset on every start. The clock and the
// timer are injectable, and the single steps (dispatch, complete) are
// tested without sleeping.
//
// Set replaces the whole set of checks by ID; unchanged checks keep their
// state. Verdict changes go to Options.OnEvent as Events (whose String is
// the sentence to log, "real server 192.168.10.7:80 is gone (HTTP 503, 3
// failures)"); every attempt goes to Options.OnResult for metrics. The
// package itself logs nothing above debug level.
//
// # Mapping from config
//
// Spec mirrors config.Check field by field: Kind = Kind(config.CheckKind),
// Target = RealServer.Address, VirtualServer = VirtualServer.Name, and
// HTTP/TCP/Misc copy HTTPCheck/TCPCheck/MiscCheck. A config.Script maps to
// Kind KindScript with Misc{Path: Script, Timeout, User} and its Interval,
// Rise and Fall; the daemon turns its Events into track-script status.
package checker
