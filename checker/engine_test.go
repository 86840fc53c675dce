package checker

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/clock"
)

// recorder is a checker that notes the virtual time of each call.
type recorder struct {
	id    string
	clock *clock.Fake
	mu    *sync.Mutex
	calls map[string][]time.Time
}

func (r recorder) Check(context.Context) Result {
	now := r.clock.Now()
	r.mu.Lock()
	r.calls[r.id] = append(r.calls[r.id], now)
	r.mu.Unlock()
	return Result{OK: true}
}

// turnClock is the engine's clock in TestRunInVirtualTime: the fake,
// with a lock the test holds while it moves the time and a note of
// whether the engine has ended a turn. The engine reads Now at the start
// of each turn and of each result it folds in, and arms (or stops) its
// timer last, so a turn has ended when the last call armed the timer
// after a Now; the timer Run makes and stops before its first turn ends
// none. The lock keeps a Set from landing between a turn's Now and its
// arming: there the engine would arm the old time's duration from the new
// time, too late, and the test would step to that deadline past a check
// the fire still unread was about to dispatch.
type turnClock struct {
	fake *clock.Fake

	mu        sync.Mutex
	calls     uint64 // by the engine, so the test can tell none came between two looks
	read      bool   // a Now since the last arming
	turnEnded bool
}

func (c *turnClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	c.read, c.turnEnded = true, false
	return c.fake.Now()
}

func (c *turnClock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	c.read, c.turnEnded = false, false
	return turnTimer{c, c.fake.NewTimer(d)}
}

// armed notes an arming or a stop; c.mu is held.
func (c *turnClock) armed() {
	c.calls++
	c.read, c.turnEnded = false, c.read
}

type turnTimer struct {
	c *turnClock
	t clock.Timer
}

func (t turnTimer) C() <-chan time.Time { return t.t.C() }

func (t turnTimer) Reset(d time.Duration) {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	t.c.armed()
	t.t.Reset(d)
}

func (t turnTimer) Stop() {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	t.c.armed()
	t.t.Stop()
}

func TestRunInVirtualTime(t *testing.T) {
	fake := clock.NewFake(t0)
	tc := &turnClock{fake: fake}
	var (
		mu    sync.Mutex
		calls = map[string][]time.Time{}
	)
	e := NewEngine(Options{
		Workers: 4,
		Clock:   tc,
		// The checks read the fake itself: they are not the engine's turns.
		NewCheck: func(s Spec) (Checker, error) { return recorder{s.ID, fake, &mu, calls}, nil },
	})
	const n = 100
	interval := 10 * time.Second
	var specs []Spec
	for i := range n {
		specs = append(specs, Spec{ID: fmt.Sprint("check-", i), Interval: interval})
	}
	if err := e.Set(specs); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()

	// step moves the clock to the engine's next deadline once the engine
	// has settled: it has ended a turn and no attempt is running
	// (dispatched, or with a result not yet folded in). Running changes
	// only in a turn, after a Now, so when the engine made no clock call
	// between the look at running and the Set, the look still holds.
	// Whatever wakes the engine next, the fire or one an earlier turn
	// left unread, starts a turn that reads the new time, and the
	// deadline was computed from the time the test last set.
	step := func(end time.Time) (settled, over bool) {
		tc.mu.Lock()
		seen, ended := tc.calls, tc.turnEnded
		tc.mu.Unlock()
		if !ended {
			return false, false
		}
		e.mu.Lock()
		for _, c := range e.checks {
			if c.running {
				e.mu.Unlock()
				return false, false
			}
		}
		e.mu.Unlock()
		tc.mu.Lock()
		defer tc.mu.Unlock()
		at, ok := fake.Next()
		if tc.calls != seen || !ok {
			return false, false
		}
		if at.After(end) {
			return true, true
		}
		fake.Set(at)
		return true, false
	}
	end := t0.Add(100 * time.Second)
	for over := false; !over; {
		var settled bool
		for deadline := time.Now().Add(10 * time.Second); ; {
			if settled, over = step(end); settled {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("engine never settled")
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, s := range specs {
		var want []time.Time
		for at := t0.Add(firstDelay(s.withDefaults())); !at.After(end); at = at.Add(interval) {
			want = append(want, at)
		}
		got := calls[s.ID]
		if len(got) != len(want) {
			t.Fatalf("%s ran %d times, want %d", s.ID, len(got), len(want))
		}
		for i := range want {
			if !got[i].Equal(want[i]) {
				t.Fatalf("%s run %d at %v, want %v", s.ID, i, got[i].Sub(t0), want[i].Sub(t0))
			}
		}
	}
}

func TestRunTwice(t *testing.T) {
	e := NewEngine(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	for !e.running.Load() {
		time.Sleep(time.Millisecond)
	}
	if err := e.Run(ctx); err != ErrRunning {
		t.Errorf("second Run: %v, want ErrRunning", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestEngineHTTP runs the engine on the real clock against real servers
// that go down and come back, and against a Set during Run.
func TestEngineHTTP(t *testing.T) {
	var statusA atomic.Int32
	statusA.Store(200)
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(int(statusA.Load())) }))
	defer a.Close()
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer b.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	goneAddr := hostPort(t, gone.URL)
	gone.Close()

	events := make(chan Event, 100)
	var results atomic.Int64
	e := NewEngine(Options{
		Workers:  2,
		OnEvent:  func(ev Event) { events <- ev },
		OnResult: func(string, Kind, Result) { results.Add(1) },
	})
	spec := func(id string, target string) Spec {
		return Spec{ID: id, Kind: KindHTTP, Target: hostPort(t, target), Interval: 20 * time.Millisecond, ConnectTimeout: 2 * time.Second, Rise: 2, Fall: 3}
	}
	specs := []Spec{spec("a", a.URL), spec("b", b.URL)}
	if err := e.Set(specs); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	next := func() Event {
		t.Helper()
		select {
		case ev := <-events:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10s")
			return Event{}
		}
	}
	statusA.Store(503)
	ev := next()
	if ev.ID != "a" || ev.Up || ev.Reason != "HTTP 503" || ev.Failures != 3 || !ev.StateChanged {
		t.Fatalf("down event %+v", ev)
	}
	if want := "real server " + hostPort(t, a.URL).String() + " is gone (HTTP 503, 3 failures)"; ev.String() != want {
		t.Errorf("String() = %q, want %q", ev.String(), want)
	}
	statusA.Store(200)
	if ev := next(); ev.ID != "a" || !ev.Up || ev.Reason != "" || ev.Failures != 0 {
		t.Fatalf("up event %+v", ev)
	}

	// Reload: b is removed, a unchanged (no event), c is new and refused.
	c := spec("c", "http://"+goneAddr.String())
	if err := e.Set([]Spec{specs[0], c}); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.ID != "c" || ev.Up || ev.Reason != "connection refused" {
		t.Fatalf("event for new c %+v", ev)
	}
	if _, ok := e.Status("b"); ok {
		t.Error("b still present after Set")
	}
	if st, _ := e.Status("a"); st.State != StateUp {
		t.Errorf("a after Set: %+v", st)
	}
	select {
	case ev := <-events:
		t.Errorf("unexpected event %+v", ev)
	default:
	}
	if results.Load() < 10 {
		t.Errorf("only %d results reported", results.Load())
	}
}
