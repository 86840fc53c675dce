package checker

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// gated is a checker whose attempts block until a token arrives, so the
// test sees exactly how many the engine lets run at once.
type gated struct {
	tokens           chan struct{}
	inflight, maxNow *atomic.Int64
}

func (g gated) Check(ctx context.Context) Result {
	n := g.inflight.Add(1)
	defer g.inflight.Add(-1)
	for {
		m := g.maxNow.Load()
		if n <= m || g.maxNow.CompareAndSwap(m, n) {
			break
		}
	}
	select {
	case <-g.tokens:
	case <-ctx.Done():
	}
	return Result{OK: true}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestSetWorkersFollows: the pool grows and shrinks with SetWorkers while
// Run runs, as a reload that adds or removes thousands of checks needs.
func TestSetWorkersFollows(t *testing.T) {
	var inflight, maxNow atomic.Int64
	g := gated{tokens: make(chan struct{}), inflight: &inflight, maxNow: &maxNow}
	e := NewEngine(Options{Workers: 2, NewCheck: func(Spec) (Checker, error) { return g, nil }})
	var specs []Spec
	for i := range 10 {
		specs = append(specs, Spec{ID: fmt.Sprint("c", i), Kind: KindTCP, Interval: 10 * time.Millisecond})
	}
	if err := e.Set(specs); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	defer func() { cancel(); <-done }()

	waitFor(t, "2 attempts", func() bool { return inflight.Load() == 2 })
	time.Sleep(50 * time.Millisecond) // give a wrong engine the chance to start more
	if m := maxNow.Load(); m != 2 {
		t.Fatalf("%d attempts at once with 2 workers", m)
	}

	e.SetWorkers(6)
	waitFor(t, "6 attempts after SetWorkers(6)", func() bool { return inflight.Load() == 6 })
	if e.Workers() != 6 {
		t.Fatalf("Workers() = %d", e.Workers())
	}

	e.SetWorkers(1)
	for range 5 { // five of the six finish; the sixth keeps its slot
		g.tokens <- struct{}{}
	}
	waitFor(t, "1 attempt", func() bool { return inflight.Load() == 1 })
	maxNow.Store(1)
	for range 20 {
		g.tokens <- struct{}{}
		waitFor(t, "the next attempt", func() bool { return inflight.Load() == 1 })
	}
	if m := maxNow.Load(); m != 1 {
		t.Fatalf("%d attempts at once after SetWorkers(1)", m)
	}
}
