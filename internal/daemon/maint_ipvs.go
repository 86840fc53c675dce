package daemon

import (
	"maps"
	"time"

	"github.com/lbhad/lbhad/ipvssync"
)

// rsDrain is one real server in maintenance, as overlayRS sees it.
type rsDrain struct {
	Key     ipvssync.RealKey
	Since   time.Time
	Timeout time.Duration
	Out     bool
}

// overlayRS lays real-server maintenance over the check verdicts: a real
// server in maintenance sits at weight 0 (quiescent: its established
// connections finish, the scheduler sends it no new ones) for
// ipvssync.QuiesceGrace and then while the kernel still counts active
// connections on it, until its drain timeout runs out (the rule is
// ipvssync.KeepDraining); then it counts as dead, which takes it out of the
// table (or leaves it at weight 0 with inhibit_on_failure). t is the
// kernel's table; nil when it could not be read, in which case only the
// timeout ends a drain. It returns the new health (h is not changed),
// the indexes of ds that have just left, and whether any still drains,
// so the caller looks again soon.
func overlayRS(h ipvssync.Health, ds []rsDrain, t ipvssync.Table, now time.Time) (ipvssync.Health, []int, bool) {
	if len(ds) == 0 {
		return h, nil, false
	}
	out := h
	out.Real = maps.Clone(h.Real)
	if out.Real == nil {
		out.Real = map[ipvssync.RealKey]ipvssync.RealState{}
	}
	var left []int
	draining := false
	for i, d := range ds {
		st, ok := out.Real[d.Key]
		if !ok {
			st = ipvssync.RealState{Alive: true} // no verdict yet: alive
		}
		n := activeConns(t, d.Key)
		if !d.Out && (n != 0 || inTable(t, d.Key)) && ipvssync.KeepDraining(n, d.Since, now, d.Timeout) {
			st.Drain = true
			draining = true
		} else {
			st.Alive, st.Drain = false, false
			if !d.Out {
				left = append(left, i)
			}
		}
		out.Real[d.Key] = st
	}
	return out, left, draining
}

// activeConns is the kernel's active connection count of k: 0 when it
// is not in the table, -1 when the table is unknown.
func activeConns(t ipvssync.Table, k ipvssync.RealKey) int {
	if t == nil {
		return -1
	}
	d, ok := t[k.Service].Dests[k.Dest]
	if !ok {
		return 0
	}
	return d.ActiveConns
}

// inTable reports whether k is in the kernel's table t.
func inTable(t ipvssync.Table, k ipvssync.RealKey) bool {
	_, ok := t[k.Service].Dests[k.Dest]
	return ok
}
