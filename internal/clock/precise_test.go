package clock

import (
	"io"
	"runtime"
	"slices"
	"testing"
	"time"
)

// TestPreciseTimer checks Precise's timers keep the Timer contract of
// the runtime's: fire once, never before the deadline, Reset moves the
// deadline, and nothing stale arrives after Stop or Reset returns.
func TestPreciseTimer(t *testing.T) {
	c := Precise()
	tm := c.NewTimer(time.Hour)
	if cl, ok := tm.(io.Closer); ok {
		defer cl.Close()
	}

	var late []time.Duration
	for range 20 {
		d := 20 * time.Millisecond
		start := time.Now()
		tm.Reset(d)
		at := <-tm.C()
		if at.Sub(start) < d {
			t.Fatalf("fired %v after Reset(%v): early", at.Sub(start), d)
		}
		late = append(late, at.Sub(start)-d)
		if _, ok := fired(tm); ok {
			t.Fatal("fired twice for one Reset")
		}
	}
	slices.Sort(late)
	t.Logf("lateness over 20 fires of 20 ms: median %v, max %v", late[len(late)/2], late[len(late)-1])

	// A fire due but not yet received is dropped by Stop and by Reset.
	tm.Reset(time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	tm.Stop()
	time.Sleep(20 * time.Millisecond)
	if _, ok := fired(tm); ok {
		t.Fatal("a stopped timer delivered its earlier fire")
	}
	tm.Reset(time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	tm.Reset(50 * time.Millisecond)
	at := <-tm.C()
	if at.Sub(start) < 50*time.Millisecond {
		t.Fatalf("after Reset(50ms) the timer delivered a fire %v later: the earlier arming's", at.Sub(start))
	}

	// Reset to zero or less fires at once.
	tm.Reset(-time.Second)
	select {
	case <-tm.C():
	case <-time.After(5 * time.Second):
		t.Fatal("Reset(-1s) did not fire")
	}
}

// TestPreciseTimerClose checks Close ends the timer's reader: a router
// that is replaced (reload after its loop ended) must not leak it.
func TestPreciseTimerClose(t *testing.T) {
	before := runtime.NumGoroutine()
	var timers []Timer
	for range 50 {
		timers = append(timers, Precise().NewTimer(time.Hour))
	}
	for _, tm := range timers {
		if cl, ok := tm.(io.Closer); ok {
			if err := cl.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after closing 50 timers, %d before", n, before)
	}
}
