package daemon

import (
	"fmt"
	"strings"

	"github.com/lbhad/lbhad/checker"
)

// A real server with several checks is up only while every one of them
// passes, as in keepalived. The engine judges each check on its own
// (its own rise, fall and retries); the functions here fold those
// verdicts into the real server's, which is what IPVS, notifications
// and status see.

// allVerdict is the folded verdict last announced for a real server.
type allVerdict struct {
	up     bool
	weight *int
}

// combine folds the statuses of one real server's checks, in config
// order, into one: down if any check is down, unknown if none is down
// but one has no verdict yet, else up. Its reason names every failing
// check ("tcp_check: connection refused; http_get: HTTP 503"); its
// weight is the first a check set (misc_dynamic, file_check); its spec
// is the first check's.
func combine(sts []checker.Status) checker.Status {
	if len(sts) == 0 {
		return checker.Status{}
	}
	out := sts[0]
	out.State = checker.StateUp
	out.Last = checker.Result{OK: true}
	out.Weight = nil
	var reasons []string
	for i, st := range sts {
		switch {
		case st.State == checker.StateDown:
			out.State = checker.StateDown
			reasons = append(reasons, checkLabel(sts, i)+": "+st.Last.Reason)
		case st.State == checker.StateUnknown && out.State != checker.StateDown:
			out.State = checker.StateUnknown
		}
		out.Failures = max(out.Failures, st.Failures)
		out.Last.Latency = max(out.Last.Latency, st.Last.Latency)
		if st.LastTime.After(out.LastTime) {
			out.LastTime = st.LastTime
		}
		out.Running = out.Running || st.Running
		if out.Weight == nil && st.Weight != nil {
			w := *st.Weight
			out.Weight = &w
		}
	}
	if out.State != checker.StateUp {
		out.Last.OK = false
		out.Last.Reason = strings.Join(reasons, "; ")
	}
	return out
}

// checkLabel names the i-th check of a real server by its kind, with its
// place ("udp_check#2") when the server has two of that kind.
func checkLabel(sts []checker.Status, i int) string {
	k := sts[i].Spec.Kind
	for j, st := range sts {
		if j != i && st.Spec.Kind == k {
			return fmt.Sprintf("%s#%d", k, i+1)
		}
	}
	return k.String()
}

// foldEvent turns one check's event into the real server's, given the
// statuses of all its checks (already reflecting the event) and the
// verdict last announced; ok is false when the real server's verdict and
// weight did not change.
func foldEvent(ev checker.Event, sts []checker.Status, prev allVerdict) (checker.Event, allVerdict, bool) {
	all := combine(sts)
	now := allVerdict{up: all.State == checker.StateUp, weight: all.Weight}
	changed := now.up != prev.up
	weightChanged := !sameWeight(now.weight, prev.weight)
	if !changed && !(weightChanged && now.up) {
		return checker.Event{}, now, false
	}
	ev.ID = all.Spec.ID
	ev.Up = now.up
	ev.StateChanged = changed
	ev.Weight = now.weight
	ev.Reason = all.Last.Reason
	ev.Failures = all.Failures
	return ev, now, true
}

func sameWeight(a, b *int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
