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

func TestRunInVirtualTime(t *testing.T) {
	fake := clock.NewFake(t0)
	var (
		mu    sync.Mutex
		calls = map[string][]time.Time{}
		// lastDoneArms is the fake's arm count when the engine last
		// reported a result: the engine has re-armed since when the
		// count has moved past it.
		lastDoneArms atomic.Uint64
	)
	e := NewEngine(Options{
		Workers:  4,
		Clock:    fake,
		NewCheck: func(s Spec) (Checker, error) { return recorder{s.ID, fake, &mu, calls}, nil },
		OnResult: func(string, Kind, Result) { lastDoneArms.Store(fake.Arms()) },
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

	// quiet reports whether the engine has re-armed its timer since the
	// last fire and the last result, has no attempt running, and if so
	// for when. A fire the engine has not read yet (it was woken by a
	// result first) stays in the channel and only wakes it once more at
	// the same virtual time, which changes nothing it schedules.
	var firedArms uint64
	quiet := func() (time.Time, bool) {
		arms := fake.Arms()
		at, armed := fake.Next()
		if !armed || arms <= firedArms || arms <= lastDoneArms.Load() || fake.Arms() != arms {
			return time.Time{}, false
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, c := range e.checks {
			if c.running {
				return time.Time{}, false
			}
		}
		return at, true
	}
	end := t0.Add(100 * time.Second)
	for {
		var at time.Time
		for deadline := time.Now().Add(10 * time.Second); ; {
			var ok bool
			if at, ok = quiet(); ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("engine never settled")
			}
			time.Sleep(100 * time.Microsecond)
		}
		if at.After(end) {
			break
		}
		firedArms = fake.Arms()
		fake.Set(at)
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
