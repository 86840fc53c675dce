package ipvssync

import "time"

// QuiesceGrace is the least time a destination leaving the table (with a
// drain timeout) stays at weight 0 before it may be deleted, whatever its
// connection counters say.
//
// The drain decision is taken on a read made before the sync's writes.
// A destination that read showed idle is still at its old weight until
// its delete lands, so the scheduler can give it new connections in
// between — at the sorry-server swap, where the real servers are added
// in the same sync, some of a steady request stream. Deleting it then
// drops their later packets (expire_nodest_conn=0) and the requests time
// out. Weight 0 first stops new connections; a read at least the grace
// later sees every connection given to it meanwhile, counted active (the
// kernel counts SYN_RECV and ESTABLISHED as active), and those hold the
// drain. docs/notes/ipvs-drain.md has the kernel's side.
const QuiesceGrace = time.Second

// KeepDraining reports whether a destination that should leave the table
// stays at weight 0 for now: since is when it first should have left,
// timeout bounds the whole drain, active is the kernel's count of active
// connections at now. It stays for QuiesceGrace, then while it has active
// connections, never past timeout. A timeout of zero or less means no
// drain: it leaves at once.
func KeepDraining(active int, since, now time.Time, timeout time.Duration) bool {
	age := now.Sub(since)
	if age >= timeout {
		return false
	}
	return age < QuiesceGrace || active != 0
}
