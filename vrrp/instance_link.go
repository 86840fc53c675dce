package vrrp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"time"

	"go.uber.org/zap"
)

// The Router follows each interface by name. An interface whose
// transport cannot open waits, alone; it is tried again at once on a
// link or address event and otherwise every waitPoll. An interface that
// comes back up gets a new transport; a send that says the device is
// gone closes the transport and makes the interface wait again.

// errNotOpened is the wait reason of an interface not tried yet.
var errNotOpened = errors.New("not opened yet")

// waitPoll is the fallback retry of waiting interfaces, for changes no
// event reports (a unicast source on another namespace's terms, a lost
// notification). Events make the usual case immediate.
const waitPoll = 5 * time.Second

// brokenRetry is how soon an interface whose socket died is tried again
// without an event: the device may already be back under the same name.
const brokenRetry = time.Second

// announcerRetry is how long a device whose GARP sender failed to open
// is left alone before the next announcement tries again.
const announcerRetry = time.Second

// openLinkLocked opens l's transport if it has none; on failure l waits.
// Its instances are refreshed (and started) by settleLocked and
// startReadyLocked.
func (r *Router) openLinkLocked(now time.Time, l *link) {
	if l.tr != nil || l.closed || !r.running {
		return
	}
	var src netip.Addr
	needPrimary := false
	for _, in := range l.byVRID {
		if !in.cfg.SrcAddr.IsValid() {
			needPrimary = true
		}
	}
	if needPrimary {
		var err error
		if find := r.primaryFinder(l); find == nil {
			err = ErrNoIPv4
		} else {
			src, err = find(l.name)
		}
		if err != nil {
			r.waitLocked(now, l, fmt.Errorf("source address: %w", err))
			return
		}
	}
	open := r.deps.OpenTransport
	if l.v6 {
		open = r.deps.OpenTransport6
	}
	if open == nil {
		r.waitLocked(now, l, errNoIPv6Transport)
		return
	}
	tr, err := open(l.name)
	if err != nil {
		r.waitLocked(now, l, fmt.Errorf("open transport: %w", err))
		return
	}
	if tr == nil { // a test double with nothing to do
		r.waitLocked(now, l, errors.New("open transport: no transport"))
		return
	}
	if l.waitErr != errNotOpened {
		r.log.Info("vrrp interface ready", zap.String("interface", l.name), zap.Stringer("src", src))
	}
	l.tr, l.waitErr, l.src = tr, nil, src
	for _, in := range l.byVRID {
		s := in.cfg.SrcAddr
		if !s.IsValid() {
			s = src
		}
		r.setSrcLocked(in, s)
		r.markDirty(in)
	}
	if r.readersOn {
		r.startReader(l, tr)
	}
}

// errNoIPv6Transport is the wait reason of IPv6 instances in a Router
// without Deps.OpenTransport6.
var errNoIPv6Transport = errors.New("no ipv6 transport")

// primaryFinder is the way to find l's default advert source.
func (r *Router) primaryFinder(l *link) func(string) (netip.Addr, error) {
	if l.v6 {
		return r.deps.PrimaryAddr6
	}
	return r.deps.PrimaryAddr
}

// setSrcLocked moves in to a new advert source (tie-breaker and the
// address its own adverts are recognised by).
func (r *Router) setSrcLocked(in *instance, src netip.Addr) {
	if in.src == src {
		return
	}
	in.src = src
	in.m.Reconfigure(in.cfg.machineConfig(src))
	in.expect = in.cfg.expect(src)
}

func (r *Router) waitLocked(now time.Time, l *link, err error) {
	if l.waitErr == nil || l.waitErr == errNotOpened || l.waitErr.Error() != err.Error() {
		var names []string
		for _, in := range r.insts {
			if in.link == l {
				names = append(names, in.cfg.Name)
			}
		}
		r.log.Warn("vrrp instances waiting for their interface", zap.String("interface", l.name),
			zap.Strings("instances", names), zap.Error(err))
	}
	l.waitErr = err
	if r.retryAt.IsZero() || r.retryAt.After(now.Add(waitPoll)) {
		r.retryAt = now.Add(waitPoll)
	}
}

// breakLinkLocked closes a transport whose device is gone; l waits for
// the interface to come back and its instances go to Fault.
func (r *Router) breakLinkLocked(now time.Time, l *link, err error) {
	if l.tr == nil {
		return
	}
	l.tr.Close()
	l.tr = nil
	r.waitLocked(now, l, fmt.Errorf("device gone: %w", err))
	r.retryAt = earliest(r.retryAt, now.Add(brokenRetry))
	for _, in := range l.byVRID {
		r.markDirty(in)
	}
}

// followLinkLocked acts on a link report for name (see decideTransport)
// before the Router records it.
func (r *Router) followLinkLocked(now time.Time, name string, known, wasUp, up bool) {
	if !r.running {
		return
	}
	for _, l := range []*link{r.links[linkKey(name, false)], r.links[linkKey(name, true)]} {
		if l == nil {
			continue
		}
		switch decideTransport(l.tr != nil, known, wasUp, up) {
		case openTransport:
			r.openLinkLocked(now, l)
		case reopenTransport:
			l.tr.Close()
			l.tr = nil
			l.waitErr = errors.New("interface came back")
			r.openLinkLocked(now, l)
			if l.tr == nil {
				for _, in := range l.byVRID {
					r.markDirty(in)
				}
			}
		}
	}
	if up && known && !wasUp {
		r.dropAnnouncerLocked(name)
		for _, in := range r.insts {
			if in.faults != nil && in.faults.vipFault && slices.ContainsFunc(in.cfg.vips(), func(v VIPAddr) bool { return v.Dev == name }) {
				// The VIP's device came back: try again now.
				in.faults.vipHoldUntil = now
				r.touch(in)
			}
		}
	}
}

// retryWaitingLocked tries every waiting interface again.
func (r *Router) retryWaitingLocked(now time.Time) {
	r.retryAt = time.Time{}
	for _, in := range r.insts {
		r.openLinkLocked(now, in.link)
	}
	r.startReadyLocked(now)
}

// addrsChangedLocked follows an address change: waiting interfaces are
// tried again, and an open interface whose primary address (the source
// of its instances without SrcAddr) changed is reopened.
func (r *Router) addrsChangedLocked(now time.Time) {
	if !r.running {
		return
	}
	// Once per interface, not per instance: our own VIP adds cause
	// these events too.
	for _, l := range r.links {
		find := r.primaryFinder(l)
		if l.tr == nil || !l.src.IsValid() || find == nil {
			continue
		}
		src, err := find(l.name)
		if err == nil && src == l.src {
			continue
		}
		r.log.Info("primary address changed; reopening", zap.String("interface", l.name),
			zap.Stringer("old", l.src), zap.Stringer("new", src), zap.Error(err))
		l.tr.Close()
		l.tr, l.src = nil, netip.Addr{}
		l.waitErr = errors.New("primary address changed")
		for _, m := range l.byVRID {
			r.markDirty(m)
		}
	}
	r.retryWaitingLocked(now)
}

// startReadyLocked delivers Startup, in configuration order, to the
// instances whose interface is open and that have not started yet.
func (r *Router) startReadyLocked(now time.Time) {
	if !r.running {
		return
	}
	for _, in := range r.insts {
		if in.started || in.link.tr == nil {
			continue
		}
		in.started = true
		r.refreshLocked(now, in)
		r.apply(now, in, in.m.Handle(now, Startup{}))
	}
}

func (r *Router) markDirty(in *instance) {
	if !slices.Contains(r.dirty, in) {
		r.dirty = append(r.dirty, in)
	}
}

// settleLocked refreshes the instances whose fault inputs changed while
// actions were being carried out.
func (r *Router) settleLocked(now time.Time) {
	if r.settling || r.applyDepth > 0 {
		return
	}
	r.settling = true
	defer func() { r.settling = false }()
	for range 8 {
		if len(r.dirty) == 0 {
			return
		}
		batch := r.dirty
		r.dirty = nil
		for _, in := range batch {
			if r.byName[in.cfg.Name] == in {
				r.refreshLocked(now, in)
			}
		}
	}
}

// watchAddrs follows address changes for as long as ctx lives.
func (r *Router) watchAddrs(ctx context.Context) {
	if r.deps.AddrChanges == nil {
		return
	}
	ch, err := r.deps.AddrChanges.WatchAddrs(ctx)
	if err != nil {
		r.log.Error("watch addresses; waiting interfaces are polled", zap.Duration("every", waitPoll), zap.Error(err))
		return
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-ch:
				if !ok {
					return
				}
				r.AddrsChanged()
			}
		}
	}()
}

// AddrsChanged tells the Router that IPv4 addresses changed (the
// AddrWatcher feeds it; tests may call it).
func (r *Router) AddrsChanged() {
	r.mu.Lock()
	now := r.clock.Now()
	r.addrsChangedLocked(now)
	r.settleLocked(now)
	r.mu.Unlock()
	r.dispatch()
	r.poke()
}

// announcerLocked returns dev's GARP sender, opening it if needed; nil
// if it cannot be opened now (tried again after announcerRetry).
func (r *Router) announcerLocked(now time.Time, dev string) Announcer {
	if a, ok := r.annc[dev]; ok {
		return a
	}
	if t, ok := r.anncRetry[dev]; ok && now.Before(t) {
		return nil
	}
	a, err := r.deps.OpenAnnouncer(dev)
	if err != nil {
		r.log.Error("open garp sender", zap.String("dev", dev), zap.Error(err))
		r.anncRetry[dev] = now.Add(announcerRetry)
		return nil
	}
	delete(r.anncRetry, dev)
	r.annc[dev] = a
	return a
}

// dropAnnouncerLocked forgets dev's GARP sender, which may be bound to
// an ifindex that is gone; the next announcement opens a new one.
func (r *Router) dropAnnouncerLocked(dev string) {
	if a, ok := r.annc[dev]; ok {
		if c, ok := a.(io.Closer); ok {
			c.Close()
		}
		delete(r.annc, dev)
	}
	delete(r.anncRetry, dev)
}
