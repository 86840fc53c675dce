package daemon

import (
	"os"
	"runtime/debug"
)

// GCPercent is the GOGC `lbhad run` uses unless the environment sets
// GOGC: the heap may grow 25 % over the live heap (plus stacks) before
// a collection, not Go's default 100 %. The daemon's live heap is small
// and steady (about 4 MB at 1,000 VRRP instances) and its allocation
// rate low once it runs, so the extra collections cost no CPU that the
// benchmarks can see, while the headroom, which stays resident, shrinks:
// docs/PERFORMANCE.md ("VRRP memory") has both, for 1,000 VRRP
// instances and for 10,000 tcp_checks a second. No GOMEMLIMIT is set: a
// fixed limit cannot fit every config (10,000 health checks hold far
// more than 1,000 VRRP instances), and a limit under the live heap
// makes the GC run back to back. An operator may still set either in
// /etc/default/lbhad.
const GCPercent = 25

// SetGC applies GCPercent unless the environment sets GOGC. The health
// check benchmark calls it too, so that it measures the engine under
// the daemon's collector.
func SetGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}
