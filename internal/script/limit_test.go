package script

import (
	"context"
	"errors"
	"testing"
	"time"
)

// granted reports whether the acquire started in f completed within a
// short wait: used only to see that a waiter is still blocked, never as
// a timing bound on the code.
func acquireAsync(l *Limiter, track bool) (got chan func(), cancel func()) {
	ctx, cancel := context.WithCancel(context.Background())
	got = make(chan func(), 1)
	go func() {
		r, err := l.Acquire(ctx, track)
		if err == nil {
			got <- r
		} else {
			close(got)
		}
	}()
	return got, cancel
}

func must(t *testing.T, l *Limiter, track bool) func() {
	t.Helper()
	r, err := l.Acquire(context.Background(), track)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func waitWaiting(t *testing.T, l *Limiter, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, _, w := l.Stats(); w == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never %d waiters", n)
		}
	}
}

func TestLimiterReserveAndOrder(t *testing.T) {
	l := NewLimiter(8) // one slot reserved for track scripts
	var rel []func()
	for range 7 {
		rel = append(rel, must(t, l, false))
	}
	o1, _ := acquireAsync(l, false)
	waitWaiting(t, l, 1)
	o2, _ := acquireAsync(l, false)
	waitWaiting(t, l, 2)
	// The reserved slot goes to a track script at once.
	tr := must(t, l, true)
	if in, peak, _ := l.Stats(); in != 8 || peak != 8 {
		t.Fatalf("in use %d peak %d, want 8 8", in, peak)
	}
	// A second track script waits, and is served before the others.
	t2, _ := acquireAsync(l, true)
	waitWaiting(t, l, 3)
	rel[0]()
	r := <-t2
	if r == nil {
		t.Fatal("track waiter failed")
	}
	// Freed slots go to the others in order, never into the reserve.
	tr()
	rel[1]()
	select {
	case r1 := <-o1:
		r1()
	case <-o2:
		t.Fatal("second waiter served before the first")
	}
	r2 := <-o2
	r2()
	r()
	for _, f := range rel[2:] {
		f()
	}
	if in, _, w := l.Stats(); in != 0 || w != 0 {
		t.Fatalf("after all releases in use %d waiting %d", in, w)
	}
}

func TestLimiterSetMaxAndCancel(t *testing.T) {
	l := NewLimiter(1)
	r := must(t, l, false)
	got, cancel := acquireAsync(l, false)
	waitWaiting(t, l, 1)
	cancel()
	if _, ok := <-got; ok {
		t.Fatal("cancelled waiter was granted")
	}
	waitWaiting(t, l, 0)
	got, _ = acquireAsync(l, true)
	waitWaiting(t, l, 1)
	l.SetMax(2) // a reload raising the limit lets the waiter in
	r2 := <-got
	if r2 == nil {
		t.Fatal("waiter not granted after SetMax")
	}
	l.SetMax(1) // lowering never stops running ones
	r()
	r2()
	r2() // release is idempotent
	if in, _, _ := l.Stats(); in != 0 {
		t.Fatalf("in use %d after releases", in)
	}
	ctx, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	hold := must(t, l, true)
	if _, err := l.Acquire(ctx, true); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire on a cancelled ctx = %v", err)
	}
	hold()
}
