package clock

import (
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Precise is the wall clock with timers that fire within microseconds
// of their deadline. The Go runtime sleeps in whole milliseconds when it
// waits for its next timer (epoll's timeout), so a runtime timer fires
// up to a millisecond late; measured on a VRRP backup's Master_Down
// timer, 0.2–1.5 ms. A timerfd wakes the runtime's poller when it
// expires, like any readable socket. Each timer holds a file descriptor
// and a goroutine until Close, so Precise is for the few timers whose
// precision is the product (the VRRP router's one loop timer), not for
// thousands of health checks. Where a timerfd cannot be made, NewTimer
// falls back to a runtime timer.
func Precise() Clock { return precise{} }

type precise struct{}

func (precise) Now() time.Time { return time.Now() }

func (precise) NewTimer(d time.Duration) Timer {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return realTimer{time.NewTimer(d)}
	}
	// A non-blocking descriptor given to os.NewFile joins the runtime's
	// poller, so the reader below parks without holding a thread.
	t := &fdTimer{fd: fd, f: os.NewFile(uintptr(fd), "timerfd"), c: make(chan time.Time, 1)}
	go t.read()
	t.Reset(d)
	return t
}

// fdTimer is a one-shot timer on a timerfd. Reset and Stop hold mu
// while they re-arm the descriptor and empty c, and the reader sends
// only for the arming that is current and due, so no stale tick is
// delivered after either returns (as with time.Timer since Go 1.23).
type fdTimer struct {
	fd int
	f  *os.File
	c  chan time.Time

	mu       sync.Mutex
	armed    bool
	deadline time.Time
}

func (t *fdTimer) C() <-chan time.Time { return t.c }

func (t *fdTimer) Reset(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	drainTick(t.c)
	// A zero it_value disarms a timerfd, so "now" is one nanosecond.
	d = max(d, time.Nanosecond)
	t.deadline = time.Now().Add(d)
	t.armed = true
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(t.fd, 0, &spec, nil); err != nil {
		// Not expected for a valid descriptor and value; deliver at
		// once rather than never, so a driver loop re-arms.
		t.armed = false
		t.c <- time.Now()
	}
}

func (t *fdTimer) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.armed = false
	unix.TimerfdSettime(t.fd, 0, &unix.ItimerSpec{}, nil)
	drainTick(t.c)
}

// Close releases the descriptor and ends the reader; the timer does not
// fire afterwards.
func (t *fdTimer) Close() error {
	t.Stop()
	return t.f.Close()
}

func (t *fdTimer) read() {
	var b [8]byte
	for {
		if _, err := t.f.Read(b[:]); err != nil {
			return // closed
		}
		now := time.Now()
		t.mu.Lock()
		// The expiry read may belong to an arming that Reset has since
		// replaced; the current one is delivered only once due.
		if t.armed && !now.Before(t.deadline) {
			t.armed = false
			select {
			case t.c <- now:
			default:
			}
		}
		t.mu.Unlock()
	}
}

func drainTick(c chan time.Time) {
	select {
	case <-c:
	default:
	}
}
