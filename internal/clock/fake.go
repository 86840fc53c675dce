package clock

import (
	"sync"
	"time"
)

// Fake is a Clock whose time moves only through Set and Advance, which
// fire the timers that fall due, in no particular order. A timer's
// channel holds one value, like a real timer's: a fire that finds it
// full is dropped. Fake is safe for concurrent use; the zero value is
// not usable, use NewFake.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	arms   uint64
}

// NewFake returns a Fake showing t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now is the time last set.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer armed for d from Now; it fires at once if d
// is not positive.
func (c *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1)}
	c.mu.Lock()
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	t.Reset(d)
	return t
}

// Set moves the clock to t, never backwards (an earlier t only fires
// what is due), and fires every timer due at the new time.
func (c *Fake) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	for _, tm := range c.timers {
		tm.fireLocked()
	}
}

// Advance moves the clock d forward and fires what falls due.
func (c *Fake) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Next is the earliest time an armed timer fires; false when none is
// armed. A test steps a driver from one deadline to the next with it.
func (c *Fake) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var at time.Time
	ok := false
	for _, tm := range c.timers {
		if tm.armed && (!ok || tm.at.Before(at)) {
			at, ok = tm.at, true
		}
	}
	return at, ok
}

// Armed reports whether some armed timer fires at t, so a test can
// wait until a driver has armed the timer it is about.
func (c *Fake) Armed(t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tm := range c.timers {
		if tm.armed && tm.at.Equal(t) {
			return true
		}
	}
	return false
}

// Arms counts the NewTimer, Reset and Stop calls so far, so a test can
// wait until a driver has re-armed after an event before reading Next.
func (c *Fake) Arms() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.arms
}

type fakeTimer struct {
	c     *Fake
	ch    chan time.Time
	at    time.Time
	armed bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Reset(d time.Duration) {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	t.c.arms++
	t.at, t.armed = t.c.now.Add(d), true
	t.fireLocked()
}

func (t *fakeTimer) Stop() {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	t.c.arms++
	t.armed = false
}

func (t *fakeTimer) fireLocked() {
	if t.armed && !t.c.now.Before(t.at) {
		t.armed = false
		select {
		case t.ch <- t.c.now:
		default:
		}
	}
}
