package vrrp

import (
	"errors"
	"syscall"
	"time"
)

// deviceGone reports whether a send error means the socket's device is
// no longer there to send on: deleted (ENODEV, ENXIO, which a socket
// bound to a vanished ifindex gets) or down under us (ENETDOWN). Such an
// error never heals on the same socket: the instance goes to Fault and
// the transport is opened again, by name, when the interface is back.
func deviceGone(err error) bool {
	return errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.ENETDOWN)
}

// giveUpIntervals is how many advert intervals a master keeps trying to
// add a VIP or send adverts before it gives way: the third failed advert
// in a row (two intervals after the first) makes it Fault, so the peer,
// whose Master_Down_Interval is three intervals plus skew, takes over
// within three intervals of the first failure.
const giveUpIntervals = 2

// backoff is a doubling delay between min and max, for retrying a VIP
// add and for how long an instance that gave up its VIPs waits before it
// tries again. The zero value is unusable; set min and max.
type backoff struct {
	min, max time.Duration
	cur      time.Duration
}

// next returns the delay before the next attempt: min first, then twice
// the last, at most max.
func (b *backoff) next() time.Duration {
	switch {
	case b.cur == 0:
		b.cur = b.min
	case b.cur < b.max:
		b.cur = min(2*b.cur, b.max)
	}
	return b.cur
}

// reset makes the next delay min again.
func (b *backoff) reset() { b.cur = 0 }

// failWindow tracks a run of failures of one kind (VIP adds, advert
// sends) and says when the run has lasted long enough to give up.
type failWindow struct {
	since time.Time // first failure of the current run; zero: none
}

// fail records a failure at now and reports whether the run has reached
// limit.
func (w *failWindow) fail(now time.Time, limit time.Duration) bool {
	if w.since.IsZero() {
		w.since = now
	}
	return now.Sub(w.since) >= limit
}

// ok ends the run.
func (w *failWindow) ok() { w.since = time.Time{} }

// deadline is when a run that keeps failing reaches limit (zero: no run).
func (w *failWindow) deadline(limit time.Duration) time.Time {
	if w.since.IsZero() {
		return time.Time{}
	}
	return w.since.Add(limit)
}

// transportStep is what the Router does with an interface's transport
// when it hears about the interface.
type transportStep int

const (
	keepTransport transportStep = iota
	// openTransport: no transport yet (waiting); try to open one.
	openTransport
	// reopenTransport: the interface came back up (re-created, renamed
	// back, or set up again): the old socket may be bound to an ifindex
	// that no longer exists, so close it and open a new one by name.
	reopenTransport
)

// decideTransport is the pure reopen rule. open says whether the
// interface has a transport; wasUp is the last known state (known false
// before the first report); up is the new report.
func decideTransport(open, known, wasUp, up bool) transportStep {
	switch {
	case !open:
		return openTransport // any news may mean it can open now
	case up && known && !wasUp:
		return reopenTransport
	}
	return keepTransport
}
