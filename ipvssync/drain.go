package ipvssync

import "time"

// QuiesceGrace is the least time a destination leaving the table (with a
// drain timeout) stays at weight 0 before it may be deleted, whatever its
// connection counters say.
//
// The kernel counts a TCP connection as active only in ESTABLISHED; one in
// SYN_RECV (the client's SYN seen, its ACK not yet) is counted inactive,
// like the TIME_WAIT and FIN_WAIT leftovers of finished requests. Deleting
// a destination drops every later packet of its connections
// (expire_nodest_conn=0), so deleting on "no active connections" loses a
// request whose handshake is in flight, and deleting a destination still
// at its old weight loses the SYNs scheduled between the read and the
// delete. Weight 0 stops new connections; after the grace every
// handshake begun before it has either become active (and holds the
// drain) or died. docs/notes/ipvs-drain.md has the kernel's side.
const QuiesceGrace = time.Second

// KeepDraining reports whether a destination that should leave the table
// stays at weight 0 for now: since is when it first should have left,
// timeout bounds the whole drain, active is the kernel's count of
// established connections at now. It stays for QuiesceGrace, then while
// it has active connections, never past timeout. A timeout of zero or
// less means no drain: it leaves at once.
func KeepDraining(active int, since, now time.Time, timeout time.Duration) bool {
	age := now.Sub(since)
	if age >= timeout {
		return false
	}
	return age < QuiesceGrace || active != 0
}
