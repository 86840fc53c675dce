package vrrp

import (
	"context"
	"time"

	"github.com/lbhad/lbhad/internal/clock"
)

// Interface flag bits as Linux reports them in ifinfomsg.ifi_flags.
const (
	iffUp      = 0x1
	iffRunning = 0x40
)

// linkUp is keepalived's IF_ISUP: administratively up and running.
// The kernel sets IFF_RUNNING when the operational state is UP or
// UNKNOWN, so this also counts dummy and other carrier-less links that
// report "unknown", and counts a veth whose peer is down as down.
func linkUp(flags uint32) bool {
	return flags&iffUp != 0 && flags&iffRunning != 0
}

// linkObs is one observation of a link, from a netlink notification or
// a lookup. Gone means it was deleted or not found.
type linkObs struct {
	Name  string
	Index int
	Flags uint32
	Gone  bool
}

// linkTracker turns link observations into LinkEvents for the tracked
// names, emitting only changes. It follows links by index too, so a
// tracked link renamed to something else counts as gone.
type linkTracker struct {
	names   []string
	tracked map[string]bool
	last    map[string]bool // last emitted state, by name
	index   map[int]string  // index of each present tracked link
}

func newLinkTracker(names []string) *linkTracker {
	t := &linkTracker{
		tracked: make(map[string]bool),
		last:    make(map[string]bool),
		index:   make(map[int]string),
	}
	for _, n := range names {
		if !t.tracked[n] {
			t.tracked[n] = true
			t.names = append(t.names, n)
		}
	}
	return t
}

// initial records the first observation of every tracked name (in the
// order given to newLinkTracker) and returns one event per name,
// whatever its state. obs maps names to lookups; a missing name is down.
func (t *linkTracker) initial(obs map[string]linkObs) []LinkEvent {
	evs := make([]LinkEvent, 0, len(t.names))
	for _, n := range t.names {
		o, ok := obs[n]
		if !ok {
			o = linkObs{Name: n, Gone: true}
		}
		t.record(o)
		evs = append(evs, LinkEvent{Name: n, Up: t.last[n]})
	}
	return evs
}

// observe applies one observation and returns the events it causes.
func (t *linkTracker) observe(o linkObs) []LinkEvent {
	var evs []LinkEvent
	if old, ok := t.index[o.Index]; ok && (o.Gone || old != o.Name) {
		// The tracked link with this index was deleted or renamed away.
		delete(t.index, o.Index)
		evs = t.emit(evs, old, false)
	}
	if !t.tracked[o.Name] {
		return evs
	}
	t.forget(o.Name)
	if o.Gone {
		return t.emit(evs, o.Name, false)
	}
	t.index[o.Index] = o.Name
	return t.emit(evs, o.Name, linkUp(o.Flags))
}

// forget drops any index recorded for name.
func (t *linkTracker) forget(name string) {
	for i, n := range t.index {
		if n == name {
			delete(t.index, i)
		}
	}
}

func (t *linkTracker) record(o linkObs) {
	if !o.Gone {
		t.index[o.Index] = o.Name
	}
	t.last[o.Name] = !o.Gone && linkUp(o.Flags)
}

func (t *linkTracker) emit(evs []LinkEvent, name string, up bool) []LinkEvent {
	if prev, ok := t.last[name]; ok && prev == up {
		return evs
	}
	t.last[name] = up
	return append(evs, LinkEvent{Name: name, Up: up})
}

// linkSource is a subscription to link notifications plus a way to look
// links up, behind which link_linux.go puts netlink. A subscription's
// channel is closed when it fails (typically ENOBUFS after a burst:
// notifications were lost), and stop ends it.
type linkSource interface {
	subscribeLinks() (updates <-chan linkObs, stop func(), err error)
	lookupAll(names []string) map[string]linkObs
}

// watchLoop is the watcher's retry policy, shared by links and
// addresses: it waits delay on clock before re-subscribing, and warn
// reports failures.
type watchLoop struct {
	clock clock.Clock
	delay time.Duration
	warn  func(msg string, err error)
}

// resubscribe calls sub until it succeeds or ctx ends (false).
func (w watchLoop) resubscribe(ctx context.Context, sub func() error) bool {
	for {
		t := w.clock.NewTimer(w.delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C():
		}
		err := sub()
		if err == nil {
			return true
		}
		w.warn("re-subscribing to notifications failed", err)
	}
}

// runLinks feeds t with src's notifications and sends the resulting
// events to out until ctx ends; out is closed then. A failed
// subscription is renewed and every tracked link looked up again, so a
// lost notification costs a delay, not a wrong state.
func (w watchLoop) runLinks(ctx context.Context, src linkSource, t *linkTracker, out chan<- LinkEvent, updates <-chan linkObs, stop func()) {
	defer close(out)
	defer func() { stop() }()
	send := func(evs []LinkEvent) bool {
		for _, ev := range evs {
			select {
			case out <- ev:
			case <-ctx.Done():
				return false
			}
		}
		return true
	}
	for {
		select {
		case <-ctx.Done():
			return
		case o, ok := <-updates:
			if ok {
				if !send(t.observe(o)) {
					return
				}
				continue
			}
			stop()
			stop = func() {}
			w.warn("link notifications failed; re-subscribing", nil)
			if !w.resubscribe(ctx, func() error {
				u, s, err := src.subscribeLinks()
				if err == nil {
					updates, stop = u, s
				}
				return err
			}) {
				return
			}
			if !send(t.resync(src.lookupAll(t.names))) {
				return
			}
		}
	}
}

// resync compares a fresh lookup of every tracked name with the last
// emitted state.
func (t *linkTracker) resync(obs map[string]linkObs) []LinkEvent {
	var evs []LinkEvent
	for _, n := range t.names {
		o, found := obs[n]
		if !found {
			o = linkObs{Name: n, Gone: true}
		}
		if found && !o.Gone && t.last[n] {
			if old, ok := t.indexOf(n); ok && old != o.Index {
				// Deleted and re-created while notifications were lost:
				// report it as the down and up it was, so the Router
				// reopens its socket.
				evs = append(evs, t.observe(linkObs{Name: n, Index: old, Gone: true})...)
			}
		}
		evs = append(evs, t.observe(o)...)
	}
	return evs
}

func (t *linkTracker) indexOf(name string) (int, bool) {
	for i, n := range t.index {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// addrSource is a subscription to IPv4 address notifications; the
// channel is closed when it fails.
type addrSource interface {
	subscribeAddrs() (updates <-chan struct{}, stop func(), err error)
}

// runAddrs forwards address notifications to out (coalesced: out has
// room for one) until ctx ends. After a failed subscription is renewed
// it sends one notification, since changes may have been lost.
func (w watchLoop) runAddrs(ctx context.Context, src addrSource, out chan struct{}, updates <-chan struct{}, stop func()) {
	defer close(out)
	defer func() { stop() }()
	notify := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-updates:
			if ok {
				notify()
				continue
			}
			stop()
			stop = func() {}
			w.warn("address notifications failed; re-subscribing", nil)
			if !w.resubscribe(ctx, func() error {
				u, s, err := src.subscribeAddrs()
				if err == nil {
					updates, stop = u, s
				}
				return err
			}) {
				return
			}
			notify()
		}
	}
}
