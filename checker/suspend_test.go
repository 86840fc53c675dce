package checker

import (
	"testing"
	"time"
)

// TestSuspend steps the engine through keepalived's ha_suspend: a check
// suspended before Set never runs; resumed, it runs at once (not after
// its interval); suspended while running, its attempt counts but no
// other follows; suspension survives a Set that changes the spec.
func TestSuspend(t *testing.T) {
	e, _ := newStepEngine(t)
	e.Suspend("a", true)
	if err := e.Set([]Spec{{ID: "a", Interval: 10 * time.Second}, {ID: "b", Interval: 10 * time.Second}}); err != nil {
		t.Fatal(err)
	}
	if got := ids(e.dispatch(t0.Add(time.Hour), 10)); len(got) != 1 || got[0] != "b" {
		t.Fatalf("dispatched %v with a suspended before Set; want only b", got)
	}
	if !e.Suspended("a") || e.Suspended("b") {
		t.Fatalf("Suspended(a)=%v Suspended(b)=%v", e.Suspended("a"), e.Suspended("b"))
	}
	// Resume: due now, long before its interval would be up.
	e.Suspend("a", false)
	js := e.dispatch(t0, 10)
	if got := ids(js); len(got) != 1 || got[0] != "a" {
		t.Fatalf("after resume dispatched %v at once; want a", got)
	}
	// Suspended while running: the result counts (an event: first verdict
	// down), nothing is scheduled after it.
	e.Suspend("a", true)
	ev, counted := finish(e, t0.Add(time.Second), jobFor(t, js, "a"), Result{Reason: "refused"})
	if !counted || ev == nil || ev.Up {
		t.Fatalf("attempt finished while suspended: event %+v counted %v; want a down event", ev, counted)
	}
	if got := e.dispatch(t0.Add(24*time.Hour), 10); len(got) != 0 {
		t.Fatalf("a ran again while suspended: %v", ids(got))
	}
	// A changed spec keeps the suspension.
	if err := e.Set([]Spec{{ID: "a", Interval: 5 * time.Second}}); err != nil {
		t.Fatal(err)
	}
	if got := e.dispatch(t0.Add(48*time.Hour), 10); len(got) != 0 {
		t.Fatalf("dispatched %v after a reload of a suspended check", ids(got))
	}
	e.Suspend("a", false)
	if got := ids(e.dispatch(t0.Add(48*time.Hour), 10)); len(got) != 1 {
		t.Fatalf("resumed check not dispatched: %v", got)
	}
}
