package vrrp

import (
	"context"
	"slices"
	"time"

	"go.uber.org/zap"
)

// restartWatch (re)subscribes to the interfaces the instances track.
func (r *Router) restartWatch(ctx context.Context) {
	if r.deps.Links == nil {
		return
	}
	r.mu.Lock()
	if r.watchEnd != nil {
		r.watchEnd()
	}
	var names []string
	for _, in := range r.insts {
		for _, n := range in.cfg.followed() {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	wctx, cancel := context.WithCancel(ctx)
	r.watchEnd = cancel
	r.mu.Unlock()
	if len(names) == 0 {
		return
	}
	ch, err := r.deps.Links.Watch(wctx, names)
	if err != nil {
		// Without link state the instances run as if every link were up;
		// the daemon sees the error in the log.
		r.log.Error("watch links", zap.Strings("interfaces", names), zap.Error(err))
		return
	}
	go func() {
		for {
			select {
			case <-wctx.Done():
				return
			case ev, ok := <-ch:
				if !ok {
					return
				}
				r.SetLink(ev.Name, ev.Up)
			}
		}
	}()
}

// SetLink records the state of an interface (the LinkWatcher feeds it;
// tests and the daemon may call it directly). An interface that comes
// back up gets a new transport and GARP sender, opened by name, since
// the old ones may be bound to an ifindex that is gone; one still
// waiting is tried again.
func (r *Router) SetLink(name string, up bool) {
	r.mu.Lock()
	now := r.clock.Now()
	wasUp, known := r.linkUp[name]
	r.followLinkLocked(now, name, known, wasUp, up)
	if wasUp != up || !known {
		r.linkUp[name] = up
		for _, in := range r.insts {
			if slices.Contains(in.cfg.watched(), name) {
				r.refreshLocked(now, in)
			}
		}
	}
	r.startReadyLocked(now)
	r.settleLocked(now)
	r.mu.Unlock()
	r.dispatch()
	r.poke()
}

// SetTrackScript records the result of a tracked script; every instance
// tracking it recomputes its priority (advertised at once while master)
// or enters or leaves Fault for a weight-0 script.
func (r *Router) SetTrackScript(name string, ok bool) {
	r.mu.Lock()
	if old, seen := r.scripts[name]; !seen || old != ok {
		r.scripts[name] = ok
		now := r.clock.Now()
		for _, in := range r.insts {
			for _, ts := range in.cfg.TrackScripts {
				if ts.Name == name {
					r.refreshLocked(now, in)
					break
				}
			}
		}
	}
	r.mu.Unlock()
	r.dispatch()
	r.poke()
}

// SetTrackFile records the number last read from a tracked file (0 for
// a missing or unreadable one); every instance tracking it recomputes its
// priority with value × its weight (advertised at once while master), or
// enters or leaves Fault when that reaches FileFaultDelta.
func (r *Router) SetTrackFile(name string, value int) {
	r.mu.Lock()
	if old, seen := r.files[name]; !seen || old != value {
		r.files[name] = value
		now := r.clock.Now()
		for _, in := range r.insts {
			for _, tf := range in.cfg.TrackFiles {
				if tf.Name == name {
					r.refreshLocked(now, in)
					break
				}
			}
		}
	}
	r.mu.Unlock()
	r.dispatch()
	r.poke()
}

func (r *Router) fileTracks(in *instance) []FileTrack {
	files := make([]FileTrack, len(in.cfg.TrackFiles))
	for i, tf := range in.cfg.TrackFiles {
		files[i] = FileTrack{Weight: tf.Weight, Value: r.files[tf.Name], Reverse: tf.Reverse}
	}
	return files
}

// linkKnownUp is false only for an interface known to be down: one not
// yet reported counts as up, as for the Fault rule.
func (r *Router) linkKnownUp(name string) bool {
	up, ok := r.linkUp[name]
	return !ok || up
}

func (r *Router) scriptOK(name string) bool {
	ok, seen := r.scripts[name]
	return !seen || ok
}

// refreshLocked recomputes effective priority and fault of one instance
// (and its sync group) and feeds any change to the machines. Before
// Startup it only primes them.
func (r *Router) refreshLocked(now time.Time, in *instance) {
	tracks := make([]Track, len(in.cfg.TrackScripts))
	for i, ts := range in.cfg.TrackScripts {
		tracks[i] = Track{Weight: ts.Weight, OK: r.scriptOK(ts.Name), Reverse: ts.Reverse}
	}
	for _, wi := range in.cfg.WeightedInterfaces {
		tracks = append(tracks, Track{Weight: wi.Weight, OK: r.linkKnownUp(wi.Name), Reverse: wi.Reverse})
	}
	prio, fault := EffectivePriority(in.cfg.Priority, tracks, r.fileTracks(in)...)
	for _, n := range in.cfg.watched() {
		if in.cfg.weighted(n) {
			continue // its weight is in prio
		}
		if up, ok := r.linkUp[n]; ok && !up {
			fault = true
		}
	}
	if in.link.tr == nil || in.faults.any() {
		fault = true
	}
	if prio != in.m.Priority() {
		r.apply(now, in, in.m.Handle(now, PriorityChanged{prio}))
	}
	in.ownFault = fault
	if in.group == nil {
		r.apply(now, in, in.m.Handle(now, FaultChanged{fault}))
		return
	}
	gf := in.group.SetFault(in.cfg.Name, fault)
	for _, name := range in.group.members {
		if mem := r.byName[name]; mem != nil {
			r.apply(now, mem, mem.m.Handle(now, FaultChanged{gf}))
		}
	}
}
