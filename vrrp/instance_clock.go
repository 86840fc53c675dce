package vrrp

import "time"

// Clock is the time source of the driver. The protocol core takes time as
// an argument; only the driver's loop needs a real timer, and tests
// replace it with a fake they advance by hand.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) ClockTimer
}

// ClockTimer is the subset of *time.Timer the driver uses.
type ClockTimer interface {
	C() <-chan time.Time
	// Reset re-arms the timer; the driver drains C before calling it.
	Reset(d time.Duration)
	Stop()
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) ClockTimer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time   { return t.t.C }
func (t realTimer) Reset(d time.Duration) { t.t.Reset(d) }
func (t realTimer) Stop()                 { t.t.Stop() }
