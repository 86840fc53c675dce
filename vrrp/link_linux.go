package vrrp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/internal/clock"
)

// NetlinkLinkWatcher is the Linux LinkWatcher. It subscribes to
// RTNLGRP_LINK notifications rather than polling, and uses keepalived's
// notion of up: IFF_UP and IFF_RUNNING.
type NetlinkLinkWatcher struct {
	log *zap.Logger
	// rcvbuf is the notification sockets' receive buffer; a test shrinks
	// it to make the kernel drop notifications (ENOBUFS) for real.
	rcvbuf int
}

var _ LinkWatcher = (*NetlinkLinkWatcher)(nil)

// NewLinkWatcher returns a watcher; log (nil = no logging) receives
// subscription failures, which the watcher recovers from by itself.
func NewLinkWatcher(log *zap.Logger) *NetlinkLinkWatcher {
	if log == nil {
		log = zap.NewNop()
	}
	return &NetlinkLinkWatcher{log: log.With(zap.String("component", "vrrp-link")), rcvbuf: notifyRcvBuf}
}

// notifyRcvBuf is the receive buffer of the notification sockets: room
// for a few hundred link messages, so only a real storm overruns it.
const notifyRcvBuf = 1 << 20

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
	s, err := w.open()
	if err != nil {
		return nil, fmt.Errorf("watch links: %w", err)
	}
	tracker := newLinkTracker(names)
	// Subscribe before reading the current state so that no change
	// falls between the two.
	updates, stop, err := s.subscribeLinks()
	if err != nil {
		s.close()
		return nil, fmt.Errorf("watch links: %w", err)
	}
	initial := tracker.initial(s.lookupAll(tracker.names))
	out := make(chan LinkEvent, len(initial))
	for _, ev := range initial {
		out <- ev
	}
	go func() {
		defer s.close()
		w.loop().runLinks(ctx, s, tracker, out, updates, stop)
	}()
	return out, nil
}

// WatchAddrs implements AddrWatcher for the calling thread's network
// namespace, with the same recovery from a failed socket as Watch.
func (w *NetlinkLinkWatcher) WatchAddrs(ctx context.Context) (<-chan struct{}, error) {
	s, err := w.open()
	if err != nil {
		return nil, fmt.Errorf("watch addresses: %w", err)
	}
	updates, stop, err := s.subscribeAddrs()
	if err != nil {
		s.close()
		return nil, fmt.Errorf("watch addresses: %w", err)
	}
	out := make(chan struct{}, 1)
	go func() {
		defer s.close()
		w.loop().runAddrs(ctx, s, out, updates, stop)
	}()
	return out, nil
}

func (w *NetlinkLinkWatcher) loop() watchLoop {
	return watchLoop{clock: clock.Real(), delay: resubscribeDelay, warn: func(msg string, err error) {
		w.log.Warn(msg, zap.Error(err))
	}}
}

func (w *NetlinkLinkWatcher) open() (*nlSource, error) {
	ns, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("get netns: %w", err)
	}
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		ns.Close()
		return nil, err
	}
	return &nlSource{ns: ns, h: h, log: w.log, rcvbuf: w.rcvbuf}, nil
}

// nlSource is the netlink linkSource and addrSource of one watch.
type nlSource struct {
	ns     netns.NsHandle
	h      *netlink.Handle
	log    *zap.Logger
	rcvbuf int
}

func (s *nlSource) close() {
	s.h.Close()
	s.ns.Close()
}

func (s *nlSource) errorCallback(what string, stop chan struct{}) func(error) {
	return func(err error) {
		select {
		case <-stop: // closing the socket on purpose
		default:
			s.log.Warn(what+" notifications failed", zap.Error(err))
		}
	}
}

func (s *nlSource) subscribeLinks() (<-chan linkObs, func(), error) {
	ch := make(chan netlink.LinkUpdate, 256)
	stop := make(chan struct{})
	ns := s.ns
	err := netlink.LinkSubscribeWithOptions(ch, stop, netlink.LinkSubscribeOptions{
		Namespace:         &ns,
		ReceiveBufferSize: s.rcvbuf,
		ErrorCallback:     s.errorCallback("link", stop),
	})
	if err != nil {
		close(stop)
		return nil, nil, fmt.Errorf("subscribe to link notifications: %w", err)
	}
	out := make(chan linkObs, 256)
	go func() {
		defer close(out)
		for u := range ch {
			a := u.Attrs()
			o := linkObs{Name: a.Name, Index: a.Index, Flags: a.RawFlags, Gone: u.Header.Type == unix.RTM_DELLINK}
			select {
			case out <- o:
			case <-stop:
				return
			}
		}
	}()
	return out, closeOnce(stop), nil
}

func (s *nlSource) subscribeAddrs() (<-chan struct{}, func(), error) {
	ch := make(chan netlink.AddrUpdate, 256)
	stop := make(chan struct{})
	ns := s.ns
	err := netlink.AddrSubscribeWithOptions(ch, stop, netlink.AddrSubscribeOptions{
		Namespace:         &ns,
		ReceiveBufferSize: s.rcvbuf,
		ErrorCallback:     s.errorCallback("address", stop),
	})
	if err != nil {
		close(stop)
		return nil, nil, fmt.Errorf("subscribe to address notifications: %w", err)
	}
	out := make(chan struct{}, 1)
	go func() {
		defer close(out)
		for u := range ch {
			// IPv6 too: a link-local address leaving duplicate
			// address detection is what lets an IPv6 transport open.
			if u.LinkAddress.IP == nil {
				continue
			}
			select {
			case out <- struct{}{}:
			case <-stop:
				return
			default: // one pending notification says enough
			}
		}
	}()
	return out, closeOnce(stop), nil
}

func closeOnce(c chan struct{}) func() {
	var once sync.Once
	return func() { once.Do(func() { close(c) }) }
}

// lookupAll reads the current state of every tracked name.
func (s *nlSource) lookupAll(names []string) map[string]linkObs {
	obs := make(map[string]linkObs, len(names))
	for _, n := range names {
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

var _ AddrWatcher = (*NetlinkLinkWatcher)(nil)
