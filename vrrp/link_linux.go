package vrrp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// NetlinkLinkWatcher is the Linux LinkWatcher. It subscribes to
// RTNLGRP_LINK notifications rather than polling, and uses keepalived's
// notion of up: IFF_UP and IFF_RUNNING.
type NetlinkLinkWatcher struct {
	log *zap.Logger
}

var _ LinkWatcher = (*NetlinkLinkWatcher)(nil)

// NewLinkWatcher returns a watcher; log (nil = no logging) receives
// subscription failures, which the watcher recovers from by itself.
func NewLinkWatcher(log *zap.Logger) *NetlinkLinkWatcher {
	if log == nil {
		log = zap.NewNop()
	}
	return &NetlinkLinkWatcher{log: log.With(zap.String("component", "vrrp-link"))}
}

// resubscribeDelay is how long to wait before re-subscribing after the
// notification socket failed (typically ENOBUFS after a burst).
const resubscribeDelay = time.Second

// Watch implements LinkWatcher. It watches the network namespace of the
// calling thread. The channel first carries one event per name (in
// order, duplicates dropped; a missing interface is down), then one
// event per change; it is closed when ctx is done. If the notification
// socket fails, Watch re-subscribes and re-reads every link, so a lost
// notification costs a delay, not a wrong state.
func (w *NetlinkLinkWatcher) Watch(ctx context.Context, names []string) (<-chan LinkEvent, error) {
	ns, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("watch links: get netns: %w", err)
	}
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("watch links: %w", err)
	}
	s := &linkSession{ns: ns, h: h, log: w.log, tracker: newLinkTracker(names)}
	// Subscribe before reading the current state so that no change
	// falls between the two.
	updates, stop, err := s.subscribe()
	if err != nil {
		s.close()
		return nil, fmt.Errorf("watch links: %w", err)
	}
	initial := s.tracker.initial(s.lookupAll())
	out := make(chan LinkEvent, len(initial))
	for _, ev := range initial {
		out <- ev
	}
	go s.run(ctx, out, updates, stop)
	return out, nil
}

// linkSession is one Watch call's state, owned by its goroutine.
type linkSession struct {
	ns      netns.NsHandle
	h       *netlink.Handle
	log     *zap.Logger
	tracker *linkTracker
}

func (s *linkSession) close() {
	s.h.Close()
	s.ns.Close()
}

func (s *linkSession) subscribe() (<-chan netlink.LinkUpdate, chan struct{}, error) {
	ch := make(chan netlink.LinkUpdate, 256)
	stop := make(chan struct{})
	ns := s.ns
	err := netlink.LinkSubscribeWithOptions(ch, stop, netlink.LinkSubscribeOptions{
		Namespace:         &ns,
		ReceiveBufferSize: 1 << 20,
		ErrorCallback: func(err error) {
			select {
			case <-stop: // closing the socket on purpose
			default:
				s.log.Warn("link notifications failed; re-subscribing", zap.Error(err))
			}
		},
	})
	if err != nil {
		close(stop)
		return nil, nil, fmt.Errorf("subscribe to link notifications: %w", err)
	}
	return ch, stop, nil
}

// lookupAll reads the current state of every tracked name.
func (s *linkSession) lookupAll() map[string]linkObs {
	obs := make(map[string]linkObs, len(s.tracker.names))
	for _, n := range s.tracker.names {
		l, err := s.h.LinkByName(n)
		if err != nil {
			if !errors.As(err, new(netlink.LinkNotFoundError)) {
				s.log.Warn("link lookup failed; treating as down", zap.String("interface", n), zap.Error(err))
			}
			continue
		}
		a := l.Attrs()
		obs[n] = linkObs{Name: a.Name, Index: a.Index, Flags: a.RawFlags}
	}
	return obs
}

func (s *linkSession) run(ctx context.Context, out chan<- LinkEvent, updates <-chan netlink.LinkUpdate, stop chan struct{}) {
	defer close(out)
	defer s.close()
	unsubscribe := func() {
		if stop != nil {
			close(stop)
			stop = nil
		}
	}
	defer unsubscribe()
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
		case u, ok := <-updates:
			if ok {
				a := u.Attrs()
				o := linkObs{Name: a.Name, Index: a.Index, Flags: a.RawFlags, Gone: u.Header.Type == unix.RTM_DELLINK}
				if !send(s.tracker.observe(o)) {
					return
				}
				continue
			}
			// The subscription died: subscribe again, then resync.
			unsubscribe()
			for stop == nil {
				select {
				case <-ctx.Done():
					return
				case <-time.After(resubscribeDelay):
				}
				var err error
				if updates, stop, err = s.subscribe(); err != nil {
					s.log.Warn("re-subscribing to link notifications failed", zap.Error(err))
				}
			}
			if !send(s.resync()) {
				return
			}
		}
	}
}

// resync compares a fresh lookup of every tracked name with the last
// emitted state.
func (s *linkSession) resync() []LinkEvent {
	var evs []LinkEvent
	obs := s.lookupAll()
	for _, n := range s.tracker.names {
		o, found := obs[n]
		if !found {
			o = linkObs{Name: n, Gone: true}
		}
		evs = append(evs, s.tracker.observe(o)...)
	}
	return evs
}
