// Package control is lbhad's control socket: the server the daemon runs,
// the client `lbhad status` and `lbhad dump` use, and the Snapshot both
// speak.
//
// The protocol is one JSON object per line over a Unix stream socket
// (default /run/lbhad/lbhad.sock, mode 0600): the client writes
// {"cmd":"status"} and reads {"ok":true,"data":{...}} or
// {"ok":false,"error":"..."}. Line-delimited JSON keeps the protocol
// usable with socat and jq, needs no framing library, and leaves room
// for commands with arguments ({"cmd":"maint","args":{...}}).
//
// Who may ask is decided twice: the socket's mode keeps non-root users
// out, and every connection records the peer's pid, uid and gid from
// SO_PEERCRED (unix(7)) so handlers can log who asked and state-changing
// commands can insist on root (RequireRoot, RootOnly).
//
// Snapshot is built on demand from the plain status types of vrrp,
// checker and ipvssync (Build), so answering costs the hot paths
// nothing. It has no field for a secret; "dump" adds the effective
// config only through RedactConfig, which replaces auth_pass, the SMTP
// password and webhook secrets with "(set)". internal/metrics reads the
// same Snapshot at scrape time.
//
// The package implements no RFC; it serves the operator view of the
// VRRPv2 (RFC 3768) instances and IPVS services the daemon runs.
package control
