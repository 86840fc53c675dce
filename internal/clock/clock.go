package clock

import "time"

// Clock is a source of the current time and of timers.
type Clock interface {
	Now() time.Time
	// NewTimer returns an armed timer that fires once, d from now.
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer a driver loop uses.
type Timer interface {
	// C delivers the time the timer fired.
	C() <-chan time.Time
	// Reset re-arms the timer to fire d from now.
	Reset(d time.Duration)
	// Stop disarms the timer.
	Stop()
}

// Real is the wall clock: time.Now and time.NewTimer.
func Real() Clock { return real{} }

// OrReal returns c, or Real when c is nil, for optional Clock fields.
func OrReal(c Clock) Clock {
	if c == nil {
		return Real()
	}
	return c
}

type real struct{}

func (real) Now() time.Time                 { return time.Now() }
func (real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time   { return t.t.C }
func (t realTimer) Reset(d time.Duration) { t.t.Reset(d) }
func (t realTimer) Stop()                 { t.t.Stop() }
