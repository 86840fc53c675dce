package clock

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func fired(tm Timer) (time.Time, bool) {
	select {
	case at := <-tm.C():
		return at, true
	default:
		return time.Time{}, false
	}
}

func TestFake(t *testing.T) {
	type step struct {
		name string
		do   func(c *Fake, tm Timer)
		// after the step: whether the timer fired and at what clock time,
		// and what Next reports.
		fire   bool
		at     time.Time
		next   time.Time
		hasNxt bool
	}
	for _, tc := range []struct {
		name  string
		d     time.Duration
		steps []step
	}{
		{"fires when due, not before", 3 * time.Second, []step{
			{"armed", func(*Fake, Timer) {}, false, time.Time{}, t0.Add(3 * time.Second), true},
			{"1 s early", func(c *Fake, _ Timer) { c.Advance(2 * time.Second) }, false, time.Time{}, t0.Add(3 * time.Second), true},
			{"due", func(c *Fake, _ Timer) { c.Advance(time.Second) }, true, t0.Add(3 * time.Second), time.Time{}, false},
			{"fires once", func(c *Fake, _ Timer) { c.Advance(time.Hour) }, false, time.Time{}, time.Time{}, false},
		}},
		{"a jump past the deadline fires with the new time", time.Second, []step{
			{"jump", func(c *Fake, _ Timer) { c.Set(t0.Add(time.Minute)) }, true, t0.Add(time.Minute), time.Time{}, false},
		}},
		{"stop disarms", time.Second, []step{
			{"stop", func(_ *Fake, tm Timer) { tm.Stop() }, false, time.Time{}, time.Time{}, false},
			{"past due", func(c *Fake, _ Timer) { c.Advance(time.Hour) }, false, time.Time{}, time.Time{}, false},
		}},
		{"reset moves the deadline from now", 10 * time.Second, []step{
			{"later", func(c *Fake, _ Timer) { c.Advance(5 * time.Second) }, false, time.Time{}, t0.Add(10 * time.Second), true},
			{"reset 2 s", func(_ *Fake, tm Timer) { tm.Reset(2 * time.Second) }, false, time.Time{}, t0.Add(7 * time.Second), true},
			{"due", func(c *Fake, _ Timer) { c.Advance(2 * time.Second) }, true, t0.Add(7 * time.Second), time.Time{}, false},
			{"reset a fired timer", func(_ *Fake, tm Timer) { tm.Reset(time.Second) }, false, time.Time{}, t0.Add(8 * time.Second), true},
		}},
		{"zero or negative fires at once", 0, []step{
			{"reset -1 s after firing", func(_ *Fake, tm Timer) { <-tm.C(); tm.Reset(-time.Second) }, true, t0, time.Time{}, false},
		}},
		{"never backwards", time.Second, []step{
			{"earlier", func(c *Fake, _ Timer) { c.Set(t0.Add(-time.Hour)) }, false, time.Time{}, t0.Add(time.Second), true},
		}},
		{"the channel holds one value", 0, []step{
			{"fire again unread", func(c *Fake, tm Timer) { tm.Reset(time.Second); c.Advance(time.Second) }, true, t0, time.Time{}, false},
			{"nothing more", func(*Fake, Timer) {}, false, time.Time{}, time.Time{}, false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewFake(t0)
			tm := c.NewTimer(tc.d)
			for _, s := range tc.steps {
				s.do(c, tm)
				at, ok := fired(tm)
				if ok != s.fire || !at.Equal(s.at) {
					t.Errorf("%s: fired %v at %v, want %v at %v", s.name, ok, at, s.fire, s.at)
				}
				next, has := c.Next()
				if has != s.hasNxt || !next.Equal(s.next) {
					t.Errorf("%s: Next %v %v, want %v %v", s.name, next, has, s.next, s.hasNxt)
				}
				if now := c.Now(); now.Before(t0) {
					t.Errorf("%s: clock went back to %v", s.name, now)
				}
			}
		})
	}
}

func TestFakeNextIsEarliestOfMany(t *testing.T) {
	c := NewFake(t0)
	a := c.NewTimer(5 * time.Second)
	c.NewTimer(3 * time.Second)
	if n, _ := c.Next(); !n.Equal(t0.Add(3 * time.Second)) {
		t.Fatalf("Next = %v, want t0+3s", n)
	}
	a.Reset(time.Second)
	if n, _ := c.Next(); !n.Equal(t0.Add(time.Second)) {
		t.Fatalf("after Reset, Next = %v, want t0+1s", n)
	}
	if got := c.Arms(); got != 3 {
		t.Errorf("Arms = %d after two NewTimer and one Reset, want 3", got)
	}
	a.Stop()
	if got := c.Arms(); got != 4 {
		t.Errorf("Arms = %d after a Stop, want 4", got)
	}
}

func TestReal(t *testing.T) {
	c := OrReal(nil)
	before := time.Now()
	tm := c.NewTimer(time.Millisecond)
	select {
	case at := <-tm.C():
		if at.Before(before) {
			t.Errorf("fired at %v, before it was armed at %v", at, before)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a 1 ms real timer did not fire in 10 s")
	}
	tm.Reset(time.Hour)
	tm.Stop()
	if now := c.Now(); now.Before(before) {
		t.Errorf("Now = %v, before %v", now, before)
	}
	f := NewFake(t0)
	if OrReal(f) != Clock(f) {
		t.Error("OrReal replaced a non-nil clock")
	}
}
