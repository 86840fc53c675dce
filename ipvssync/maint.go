package ipvssync

import (
	"maps"
	"slices"
	"time"
)

// Maint is a real server in operator maintenance ("lbhad maint
// real-server on"): drained since Since for at most Timeout, and Out once
// it has left the table, after which it stays out until maintenance is
// turned off.
type Maint struct {
	Since   time.Time
	Timeout time.Duration
	Out     bool
}

// MaintLeft is a real server in maintenance that a sync took out of the
// table: its connections finished, or (TimedOut) its drain timeout ran
// out or the table could not be read to tell.
type MaintLeft struct {
	Key      RealKey
	TimedOut bool
}

// DrainMaint lays h.Maint over the check verdicts of h: a real server in
// maintenance sits at weight 0 (quiescent: its established connections
// finish, the scheduler sends it no new ones) for QuiesceGrace and then
// while the kernel still counts active connections on it, until its
// timeout runs out (KeepDraining); then it counts as dead, which takes it
// out of the table (or leaves it at weight 0 with inhibit_on_failure). t
// is the kernel's table, nil when it could not be read, in which case
// only the timeout ends a drain. It returns the new health (h is not
// changed), the servers that have just left, in key order, and how many
// still drain, so the caller looks again soon.
func DrainMaint(h Health, t Table, now time.Time) (Health, []MaintLeft, int) {
	if len(h.Maint) == 0 {
		return h, nil, 0
	}
	out := h
	out.Real = maps.Clone(h.Real)
	if out.Real == nil {
		out.Real = map[RealKey]RealState{}
	}
	var left []MaintLeft
	draining := 0
	for _, k := range slices.SortedFunc(maps.Keys(h.Maint), realKeyCmp) {
		m := h.Maint[k]
		st, ok := out.Real[k]
		if !ok {
			st = RealState{Alive: true} // no verdict yet: alive
		}
		n, in := 0, false
		for _, svc := range append([]ServiceKey{k.Service}, h.Members[k.Service]...) {
			mk := RealKey{Service: svc, Dest: k.Dest}
			if c := activeConnsIn(t, mk); c < 0 || n < 0 {
				n = -1
			} else {
				n += c
			}
			in = in || inTable(t, mk)
		}
		if !m.Out && (n != 0 || in) && KeepDraining(n, m.Since, now, m.Timeout) {
			st.Drain = true
			draining++
		} else {
			st.Alive, st.Drain = false, false
			if !m.Out {
				left = append(left, MaintLeft{Key: k, TimedOut: n != 0})
			}
		}
		out.Real[k] = st
	}
	return out, left, draining
}

func realKeyCmp(a, b RealKey) int {
	switch {
	case a.Service != b.Service:
		if serviceLess(a.Service, b.Service) {
			return -1
		}
		return 1
	case a.Dest == b.Dest:
		return 0
	case destLess(a.Dest, b.Dest):
		return -1
	}
	return 1
}

// activeConnsIn is the kernel's active connection count of k: 0 when it
// is not in the table, -1 when the table is unknown.
func activeConnsIn(t Table, k RealKey) int {
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
func inTable(t Table, k RealKey) bool {
	_, ok := t[k.Service].Dests[k.Dest]
	return ok
}
