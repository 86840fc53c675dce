//go:build linux

package ipvssync

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrTimeout is wrapped by every Guard call that did not finish within
// the Guard's timeout.
var ErrTimeout = errors.New("ipvs netlink call timed out")

// Guard is a Handle whose every call returns within a deadline.
//
// moby/ipvs gives its socket a 3 s receive timeout but treats the EAGAIN
// it yields as "try again" and loops, so a request whose answer never
// comes blocks its caller for ever (docs/notes/moby-ipvs.md). A call
// through Guard runs on its own goroutine; when the deadline passes the
// caller gets ErrTimeout and the handle is closed and dropped, which
// makes moby/ipvs' loop give up at its next receive timeout, so the stuck
// goroutine ends too; the next call opens a new handle. Calls are
// serialised (a moby/ipvs handle is not safe for concurrent requests:
// replies are matched by sequence number and others' are discarded), and
// the wait for the handle counts against the same deadline.
type Guard struct {
	open    func() (Handle, error)
	timeout time.Duration
	sem     chan struct{}

	mu     sync.Mutex
	h      Handle // nil after a timeout, until the next call reopens
	closed bool
}

// NewGuard opens a handle with open and returns a Guard around it whose
// calls each take at most timeout. It returns open's error.
func NewGuard(open func() (Handle, error), timeout time.Duration) (*Guard, error) {
	h, err := open()
	if err != nil {
		return nil, err
	}
	return &Guard{open: open, timeout: timeout, sem: make(chan struct{}, 1), h: h}, nil
}

// errClosed is returned by calls on a closed Guard.
var errClosed = errors.New("ipvs handle closed")

func (g *Guard) handle() (Handle, error) {
	g.mu.Lock()
	h, closed := g.h, g.closed
	g.mu.Unlock()
	if closed {
		return nil, errClosed
	}
	if h != nil {
		return h, nil
	}
	// Open without g.mu: it talks to the kernel and may hang too.
	h, err := g.open()
	if err != nil {
		return nil, fmt.Errorf("reopen ipvs handle: %w", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.closed:
		h.Close()
		return nil, errClosed
	case g.h != nil: // a timed-out call's open finished first
		h.Close()
		return g.h, nil
	}
	g.h = h
	return h, nil
}

// drop closes h, which a call has overrun, unless it was already
// replaced.
func (g *Guard) drop(h Handle) {
	g.mu.Lock()
	if g.h == h {
		g.h = nil
	}
	g.mu.Unlock()
	h.Close()
}

type result[T any] struct {
	v   T
	err error
}

func guarded[T any](g *Guard, op string, fn func(Kernel) (T, error)) (T, error) {
	var zero T
	timer := time.NewTimer(g.timeout)
	defer timer.Stop()
	select {
	case g.sem <- struct{}{}:
	case <-timer.C:
		return zero, fmt.Errorf("%s: waiting for the handle: %w (%v)", op, ErrTimeout, g.timeout)
	}
	defer func() { <-g.sem }()
	// Opening a handle (after a timeout) talks to the kernel too, so it
	// runs on the call's goroutine, under the same deadline. Channels are
	// buffered: a late answer never blocks.
	done := make(chan result[T], 1)
	used := make(chan Handle, 1)
	go func() {
		h, err := g.handle()
		used <- h
		if err != nil {
			done <- result[T]{err: err}
			return
		}
		v, err := fn(h)
		done <- result[T]{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-timer.C:
		select {
		case h := <-used:
			if h != nil {
				g.drop(h) // before the next call can pick it up
			}
		default:
			go func() { // still opening: drop it once it exists
				if h := <-used; h != nil {
					g.drop(h)
				}
			}()
		}
		return zero, fmt.Errorf("%s: %w (%v); handle replaced", op, ErrTimeout, g.timeout)
	}
}

func guardedErr(g *Guard, op string, fn func(Kernel) error) error {
	_, err := guarded(g, op, func(k Kernel) (struct{}, error) { return struct{}{}, fn(k) })
	return err
}

// Close closes the handle; later calls fail. A call still running keeps
// its handle until it returns or times out.
func (g *Guard) Close() {
	g.mu.Lock()
	h := g.h
	g.h, g.closed = nil, true
	g.mu.Unlock()
	if h != nil {
		h.Close()
	}
}

func (g *Guard) GetServices() ([]Service, error) {
	return guarded(g, "list services", func(k Kernel) ([]Service, error) { return k.GetServices() })
}

func (g *Guard) GetService(s ServiceKey) (Service, error) {
	return guarded(g, "get service", func(k Kernel) (Service, error) { return k.GetService(s) })
}

func (g *Guard) GetDestinations(s ServiceKey) ([]Destination, error) {
	return guarded(g, "list destinations", func(k Kernel) ([]Destination, error) { return k.GetDestinations(s) })
}

func (g *Guard) NewService(s Service) error {
	return guardedErr(g, "add service", func(k Kernel) error { return k.NewService(s) })
}

func (g *Guard) UpdateService(s Service) error {
	return guardedErr(g, "update service", func(k Kernel) error { return k.UpdateService(s) })
}

func (g *Guard) DelService(s ServiceKey) error {
	return guardedErr(g, "delete service", func(k Kernel) error { return k.DelService(s) })
}

func (g *Guard) NewDestination(s ServiceKey, d Destination) error {
	return guardedErr(g, "add destination", func(k Kernel) error { return k.NewDestination(s, d) })
}

func (g *Guard) UpdateDestination(s ServiceKey, d Destination) error {
	return guardedErr(g, "update destination", func(k Kernel) error { return k.UpdateDestination(s, d) })
}

func (g *Guard) DelDestination(s ServiceKey, d DestKey) error {
	return guardedErr(g, "delete destination", func(k Kernel) error { return k.DelDestination(s, d) })
}

func (g *Guard) GetConfig() (KernelConfig, error) {
	return guarded(g, "get timeouts", func(k Kernel) (KernelConfig, error) { return k.GetConfig() })
}

func (g *Guard) SetConfig(c KernelConfig) error {
	return guardedErr(g, "set timeouts", func(k Kernel) error { return k.SetConfig(c) })
}
