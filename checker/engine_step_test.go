package checker

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lbhad/lbhad/internal/clock"
)

// These tests drive the engine's single steps (dispatch, complete) with a
// fixed clock: no goroutines, no sleeping.

type fakeCheck struct{ spec Spec }

func (fakeCheck) Check(context.Context) Result { return Result{OK: true} }

func newStepEngine(t *testing.T, specs ...Spec) (*Engine, *clock.Fake) {
	t.Helper()
	c := clock.NewFake(t0)
	e := NewEngine(Options{
		Clock:    c,
		NewCheck: func(s Spec) (Checker, error) { return fakeCheck{s}, nil },
	})
	if err := e.Set(specs); err != nil {
		t.Fatal(err)
	}
	return e, c
}

func ids(jobs []job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.id)
	}
	slices.Sort(out)
	return out
}

// finish completes job j with result r at now.
func finish(e *Engine, now time.Time, j job, r Result) (*Event, bool) {
	return e.complete(now, outcome{j, r})
}

func jobFor(t *testing.T, jobs []job, id string) job {
	t.Helper()
	for _, j := range jobs {
		if j.id == id {
			return j
		}
	}
	t.Fatalf("%s not dispatched (got %v)", id, ids(jobs))
	return job{}
}

func TestDispatchNeverOverlapsACheck(t *testing.T) {
	e, _ := newStepEngine(t, Spec{ID: "a", Interval: 10 * time.Second}, Spec{ID: "b", Interval: 10 * time.Second})
	first := e.dispatch(t0.Add(10*time.Second), 10)
	if diff := cmp.Diff([]string{"a", "b"}, ids(first)); diff != "" {
		t.Fatalf("first dispatch (-want +got):\n%s", diff)
	}
	// Long after: both are still running, so neither runs again.
	if again := e.dispatch(t0.Add(time.Hour), 10); len(again) != 0 {
		t.Fatalf("dispatched %v while still running", ids(again))
	}
	// a ran far longer than its interval: it is due again as soon as it
	// finishes, never overlapping itself.
	done := t0.Add(time.Hour)
	finish(e, done, jobFor(t, first, "a"), Result{OK: true})
	second := e.dispatch(done, 10)
	if diff := cmp.Diff([]string{"a"}, ids(second)); diff != "" {
		t.Fatalf("after an overlong attempt (-want +got):\n%s", diff)
	}
	// A quick attempt: the next is due one interval after this one
	// started, not after it finished, so a hung backend is still caught
	// within fall × interval + timeout.
	finish(e, done.Add(3*time.Second), jobFor(t, second, "a"), Result{OK: true})
	if got := e.dispatch(done.Add(10*time.Second-time.Nanosecond), 10); len(got) != 0 {
		t.Fatalf("dispatched %v before the interval passed", ids(got))
	}
	if diff := cmp.Diff([]string{"a"}, ids(e.dispatch(done.Add(10*time.Second), 10))); diff != "" {
		t.Fatalf("after the interval (-want +got):\n%s", diff)
	}
}

// TestLateDispatchKeepsTheInterval: an attempt dispatched late (the
// loop woke late, or every worker was busy) is followed one interval
// after it was due, so the check's rate stays one per interval instead
// of losing the lateness on every round.
func TestLateDispatchKeepsTheInterval(t *testing.T) {
	s := Spec{ID: "a", Interval: 10 * time.Second}
	e, _ := newStepEngine(t, s)
	due := t0.Add(firstDelay(s.withDefaults()))
	late := due.Add(4 * time.Second)
	js := e.dispatch(late, 10)
	if len(js) != 1 {
		t.Fatalf("dispatched %v at %v, due %v", ids(js), late, due)
	}
	finish(e, late.Add(time.Second), js[0], Result{OK: true})
	if got := e.dispatch(due.Add(10*time.Second-time.Nanosecond), 10); len(got) != 0 {
		t.Fatalf("dispatched %v before the interval passed", ids(got))
	}
	if diff := cmp.Diff([]string{"a"}, ids(e.dispatch(due.Add(10*time.Second), 10))); diff != "" {
		t.Fatalf("one interval after it was due (-want +got):\n%s", diff)
	}
}

func TestDispatchRespectsFreeWorkers(t *testing.T) {
	var specs []Spec
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		specs = append(specs, Spec{ID: id, Interval: time.Second})
	}
	e, _ := newStepEngine(t, specs...)
	if got := e.dispatch(t0.Add(time.Second), 2); len(got) != 2 {
		t.Fatalf("dispatched %d with 2 free workers", len(got))
	}
	if got := e.dispatch(t0.Add(time.Second), 10); len(got) != 3 {
		t.Fatalf("dispatched %d of the remaining 3", len(got))
	}
}

func TestRetryThenFall(t *testing.T) {
	e, _ := newStepEngine(t, Spec{ID: "a", Target: mustAddrPort("192.0.2.7:80"), Interval: time.Minute, Retry: 2, DelayBeforeRetry: 3 * time.Second, Fall: 2})
	now := t0.Add(time.Minute)
	fail := Result{Reason: "HTTP 503"}
	var events []Event
	// Two counted failures, each after two retries: 6 attempts.
	for attempt := range 6 {
		js := e.dispatch(now, 10)
		if len(js) != 1 {
			t.Fatalf("attempt %d: dispatched %v at %v", attempt, ids(js), now)
		}
		ev, counted := finish(e, now, js[0], fail)
		if !counted {
			t.Fatalf("attempt %d not counted", attempt)
		}
		if ev != nil {
			events = append(events, *ev)
		}
		_, due, _ := e.sched.next()
		wantGap := 3 * time.Second
		if attempt%3 == 2 {
			wantGap = time.Minute // a counted failure waits a full interval
		}
		if got := due.Sub(now); got != wantGap {
			t.Fatalf("attempt %d: next run after %v, want %v", attempt, got, wantGap)
		}
		now = due
	}
	want := []Event{{ID: "a", Name: "a", Kind: KindHTTP, Target: mustAddrPort("192.0.2.7:80"), Up: false, StateChanged: true, Reason: "HTTP 503", Failures: 2}}
	if diff := cmp.Diff(want, events, cmpopts.IgnoreFields(Event{}, "Time"), cmpopts.EquateComparable(netip.AddrPort{})); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if got := events[0].String(); got != "real server 192.0.2.7:80 is gone (HTTP 503, 2 failures)" {
		t.Errorf("String() = %q", got)
	}
	// A success in the middle of a retry run resets it.
	js := e.dispatch(now, 10)
	ev, _ := finish(e, now, js[0], Result{OK: true})
	if ev == nil || !ev.Up || ev.String() != "real server 192.0.2.7:80 is back" {
		t.Errorf("recovery event = %v", ev)
	}
}

func TestDynamicWeightEvents(t *testing.T) {
	e, _ := newStepEngine(t, Spec{ID: "s", Kind: KindMisc, Target: mustAddrPort("192.0.2.7:80"), Interval: time.Second})
	now := t0
	run := func(r Result) *Event {
		t.Helper()
		now = now.Add(time.Hour)
		js := e.dispatch(now, 1)
		if len(js) != 1 {
			t.Fatal("not dispatched")
		}
		ev, _ := finish(e, now, js[0], r)
		return ev
	}
	w := func(n int) *int { return &n }
	if ev := run(Result{OK: true}); ev != nil {
		t.Errorf("plain success on an up check sent %v", ev)
	}
	ev := run(Result{OK: true, Weight: w(5)})
	if ev == nil || ev.StateChanged || ev.Weight == nil || *ev.Weight != 5 {
		t.Fatalf("weight change event = %+v", ev)
	}
	if ev.String() != "real server 192.0.2.7:80 now has weight 5" {
		t.Errorf("String() = %q", ev.String())
	}
	if ev := run(Result{OK: true, Weight: w(5)}); ev != nil {
		t.Errorf("same weight sent %v", ev)
	}
	if ev := run(Result{OK: true}); ev != nil { // exit 0 keeps the weight
		t.Errorf("exit 0 sent %v", ev)
	}
	if ev := run(Result{Reason: "exit status 1"}); ev == nil || ev.Up || *ev.Weight != 5 {
		t.Errorf("down event = %+v", ev)
	}
	if ev := run(Result{OK: true, Weight: w(9)}); ev == nil || !ev.Up || !ev.StateChanged || *ev.Weight != 9 {
		t.Errorf("back event = %+v", ev)
	} else if ev.String() != "real server 192.0.2.7:80 is back with weight 9" {
		t.Errorf("String() = %q", ev.String())
	}
	if st, _ := e.Status("s"); st.Weight == nil || *st.Weight != 9 || st.State != StateUp {
		t.Errorf("status = %+v", st)
	}
}

func TestSetKeepsUnchangedState(t *testing.T) {
	a := Spec{ID: "a", Interval: time.Second, Fall: 1}
	b := Spec{ID: "b", Interval: time.Second, Fall: 1}
	c := Spec{ID: "c", Interval: time.Second, Fall: 1}
	e, _ := newStepEngine(t, a, b, c)
	builds := 0
	e.newCheck = func(s Spec) (Checker, error) { builds++; return fakeCheck{s}, nil }
	now := t0.Add(time.Second)
	for _, j := range e.dispatch(now, 10) {
		if ev, _ := finish(e, now, j, Result{Reason: "connection refused"}); ev == nil || ev.Up {
			t.Fatalf("%s: event %v", j.id, ev)
		}
	}
	_, dueA, _ := e.sched.next()

	b2 := b
	b2.Interval = 2 * time.Second
	d := Spec{ID: "d", Interval: time.Second, Initial: StartDown}
	if err := e.Set([]Spec{a, b2, d}); err != nil {
		t.Fatal(err)
	}
	if builds != 3 {
		t.Errorf("Set built %d checkers, want 3 (unchanged ones are rebuilt too)", builds)
	}
	st, ok := e.Status("a")
	if !ok || st.State != StateDown || st.Failures != 1 || st.Last.Reason != "connection refused" {
		t.Errorf("unchanged a lost its state: %+v", st)
	}
	if !e.sched.byID["a"].due.Equal(dueA) {
		t.Errorf("unchanged a moved in the schedule")
	}
	if st, _ := e.Status("b"); st.State != StateUp || st.Failures != 0 || st.Spec.Interval != 2*time.Second {
		t.Errorf("changed b did not start afresh: %+v", st)
	}
	if st, _ := e.Status("d"); st.State != StateDown {
		t.Errorf("new alpha d: %+v", st)
	}
	if _, ok := e.Status("c"); ok || e.sched.has("c") {
		t.Error("removed c is still there")
	}
	var got []string
	for _, st := range e.Statuses() {
		got = append(got, st.Spec.ID+"="+st.State.String())
	}
	if diff := cmp.Diff([]string{"a=down", "b=up", "d=down"}, got); diff != "" {
		t.Errorf("Statuses (-want +got):\n%s", diff)
	}
}

func TestSetWhileRunning(t *testing.T) {
	a := Spec{ID: "a", Interval: time.Second}
	e, _ := newStepEngine(t, a, Spec{ID: "gone", Interval: time.Second})
	now := t0.Add(time.Second)
	js := e.dispatch(now, 10)
	a2 := a
	a2.Rise = 3
	if err := e.Set([]Spec{a2}); err != nil {
		t.Fatal(err)
	}
	// The replaced a must not start while its old attempt runs.
	if got := e.dispatch(now.Add(time.Hour), 10); len(got) != 0 {
		t.Fatalf("dispatched %v while the old attempt runs", ids(got))
	}
	for _, j := range js {
		if ev, counted := finish(e, now, j, Result{Reason: "x"}); ev != nil || counted {
			t.Errorf("stale result of %s: event %v counted %v", j.id, ev, counted)
		}
	}
	if st, _ := e.Status("a"); st.Failures != 0 || st.Running || !e.sched.has("a") {
		t.Errorf("replaced a after stale result: %+v scheduled=%v", st, e.sched.has("a"))
	}
}

func TestSetErrors(t *testing.T) {
	e := NewEngine(Options{Clock: clock.NewFake(t0)})
	err := e.Set([]Spec{
		{ID: ""},
		{ID: "dup", Kind: KindTCP, Target: mustAddrPort("192.0.2.1:80")},
		{ID: "dup", Kind: KindTCP, Target: mustAddrPort("192.0.2.1:80")},
		{ID: "badre", Kind: KindHTTP, Target: mustAddrPort("192.0.2.1:80"), HTTP: &HTTPSpec{BodyRegex: "("}},
		{ID: "nomisc", Kind: KindMisc},
	})
	for _, want := range []string{"empty id", "dup: duplicate id", "badre: compile body regex", "nomisc: no command"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
	// The broken check is scheduled and fails with the reason.
	js := e.dispatch(t0.Add(time.Hour), 10)
	j := jobFor(t, js, "badre")
	if r := j.checker.Check(context.Background()); r.OK || !strings.Contains(r.Reason, "bad check: compile body regex") {
		t.Errorf("broken check result %+v", r)
	}
	if err := NewEngine(Options{}).Set(nil); err != nil {
		t.Errorf("empty Set: %v", err)
	}
}

func TestEventString(t *testing.T) {
	tests := []struct {
		ev   Event
		want string
	}{
		{Event{Kind: KindTCP, Target: mustAddrPort("192.168.10.7:80"), Reason: "connection refused", Failures: 1}, "real server 192.168.10.7:80 is gone (connection refused, 1 failure)"},
		{Event{Kind: KindScript, ID: "script/chk", Name: "chk_nginx", Reason: "exit status 1", Failures: 2}, "script chk_nginx is gone (exit status 1, 2 failures)"},
		{Event{Kind: KindScript, ID: "chk", Up: true, StateChanged: true}, "script chk is back"},
	}
	for _, tt := range tests {
		if got := tt.ev.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestStartUnknownReportsFirstVerdict(t *testing.T) {
	e, _ := newStepEngine(t,
		Spec{ID: "up", Kind: KindTCP, Target: mustAddrPort("192.0.2.7:80"), Interval: time.Second, Rise: 3, Fall: 3, Initial: StartUnknown},
		Spec{ID: "down", Kind: KindTCP, Target: mustAddrPort("192.0.2.8:80"), Interval: time.Second, Rise: 3, Fall: 3, Initial: StartUnknown})
	if st, _ := e.Status("up"); st.State != StateUnknown {
		t.Fatalf("state before any attempt: %v", st.State)
	}
	now := t0.Add(time.Second)
	js := e.dispatch(now, 10)
	if ev, _ := finish(e, now, jobFor(t, js, "up"), Result{OK: true}); ev == nil || !ev.Up || !ev.StateChanged {
		t.Errorf("first success: %+v", ev)
	}
	if ev, _ := finish(e, now, jobFor(t, js, "down"), Result{Reason: "connection refused"}); ev == nil || ev.Up || ev.Failures != 1 {
		t.Errorf("first failure: %+v", ev)
	}
}

func TestRunAbandonedAttemptsAreRescheduled(t *testing.T) {
	e, _ := newStepEngine(t, Spec{ID: "a", Interval: time.Second})
	e.dispatch(t0.Add(time.Hour), 1) // as Run would, then Run ends
	e.stopped()
	if st, _ := e.Status("a"); st.Running || !e.sched.has("a") {
		t.Errorf("after stop: %+v, scheduled %v", st, e.sched.has("a"))
	}
}

func TestStrings(t *testing.T) {
	for k, want := range map[Kind]string{KindHTTP: "http_get", KindSSL: "ssl_get", KindTCP: "tcp_check", KindMisc: "misc_check", KindScript: "vrrp_script", KindDNS: "dns_check", KindUDP: "udp_check", KindPing: "ping_check", KindSMTP: "smtp_check", KindFile: "file_check", Kind(99): "Kind(99)"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(k), k.String(), want)
		}
	}
	for s, want := range map[State]string{StateUnknown: "unknown", StateUp: "up", StateDown: "down"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), want)
		}
	}
}
