package vrrp

import (
	"net/netip"
	"slices"
	"time"

	"go.uber.org/zap"
)

func (r *Router) receiveLocked(now time.Time, l *link, b []byte, meta RecvMeta) {
	adv := &l.in
	why := l.recv.ParseInto(adv, b, meta)
	if why != DropNone {
		l.counters.Dropped[why]++
		r.logDrop(now, l.name, meta.Src, why, adv.VRID)
		return
	}
	in := l.byVRID[adv.VRID]
	if in == nil {
		l.counters.Dropped[DropUnknownVRID]++
		r.logDrop(now, l.name, meta.Src, DropUnknownVRID, adv.VRID)
		return
	}
	why = in.expect.CheckTTL(meta)
	backup := in.m.State() == StateBackup
	if why == DropNone {
		e := in.expect
		if in.cfg.SkipCheckAdvAddr && backup {
			e.SkipAddrsFrom = in.lastMaster
		}
		why = e.Check(adv, meta.Src)
	}
	if why != DropNone {
		in.counters.Dropped[why]++
		r.logDrop(now, l.name, meta.Src, why, adv.VRID)
		return
	}
	in.counters.AdvertsReceived++
	if backup {
		in.lastMaster = meta.Src
	}
	if adv.Priority == PriorityStop {
		in.counters.PriorityZeroReceived++
	}
	r.apply(now, in, in.m.Handle(now, AdvertReceived{Src: meta.Src, Priority: adv.Priority,
		Interval: time.Duration(adv.MaxAdvertInt) * centisecond}))
}

// apply carries out a machine's actions in order.
// Failures found on the way (a send or VIP add failing) are acted on
// once the outermost apply is done, so one list of actions is never
// interleaved with the fault it causes.
func (r *Router) apply(now time.Time, in *instance, actions []Action) {
	r.applyDepth++
	defer func() {
		r.applyDepth--
		if r.applyDepth == 0 {
			r.flushHeldLocked()
			r.settleLocked(now)
		}
	}()
	defer r.touch(in)
	for _, a := range actions {
		switch a := a.(type) {
		case SendAdvert:
			r.sendLocked(now, in, a.Priority)
		case AddVIPs:
			r.addVIPsLocked(now, in, in.cfg.vips(), true)
			r.addRoutesLocked(in, in.cfg.VirtualRoutes, in.cfg.VirtualRules)
		case RemoveVIPs:
			in.faults.vipsReleased()
			r.removeRoutesLocked(in, in.cfg.VirtualRoutes, in.cfg.VirtualRules)
			for _, v := range in.cfg.vips() {
				if err := r.deps.Addrs.Remove(v); err != nil {
					r.log.Error("remove vip", zap.String("instance", in.cfg.Name), zap.Stringer("vip", v.Prefix), zap.Error(err))
				}
			}
		case AnnounceVIPs:
			n := in.garp.becameMaster(now, in.cfg)
			if in.group != nil {
				// The rest of the group moves within this apply.
				r.held = append(r.held, announceBurst{in, in.cfg.vips(), n})
			} else {
				r.announceLocked(in, n)
			}
		case AnnounceLowerPriority:
			if n := in.garp.lowerPriority(now, in.cfg); n > 0 {
				r.announceLocked(in, n)
			}
		case StopAnnouncing:
			in.garp.stop()
			r.held = slices.DeleteFunc(r.held, func(b announceBurst) bool { return b.in == in })
			var addrs []netip.Addr
			for _, v := range in.cfg.vips() {
				addrs = append(addrs, v.Prefix.Addr())
			}
			r.pace.cancel(addrs)
		case StateChanged:
			r.waitUsableLocked(in)
			in.lastChange, in.lastReason = now, a.Reason
			if a.To == StateMaster {
				in.counters.BecameMaster++
			}
			sc := StateChange{Instance: in.cfg.Name, VRID: in.cfg.VRID, From: a.From, To: a.To,
				Reason: a.Reason, Priority: in.m.Priority(), At: now}
			if in.group != nil {
				sc.SyncGroup = in.group.Name()
			}
			r.log.Debug("vrrp transition", zap.String("instance", sc.Instance), zap.Uint8("vrid", sc.VRID),
				zap.Stringer("from", a.From), zap.Stringer("to", a.To), zap.String("reason", string(a.Reason)))
			r.pending = append(r.pending, sc)
			if in.group != nil {
				for _, o := range in.group.Observe(in.cfg.Name, a.From, a.To) {
					if mem := r.byName[o.Member]; mem != nil {
						r.apply(now, mem, mem.m.Handle(now, Force{o.To}))
					}
				}
			}
		}
	}
}

func (r *Router) sendLocked(now time.Time, in *instance, prio uint8) bool {
	adv := in.advert
	adv.Priority = prio
	dsts := in.cfg.UnicastPeers
	if len(dsts) == 0 {
		dsts = []netip.Addr{in.cfg.group()}
	}
	sent := false
	for i, dst := range dsts {
		// A VRRPv2 advert is the same for every peer; a VRRPv3
		// checksum covers the destination.
		if i == 0 || adv.Version == Version3 {
			var err error
			if in.link.out, err = adv.AppendPacket(in.link.out[:0], in.src, dst); err != nil {
				// checkConfig rules this out, but for a source of the
				// wrong family found on the interface.
				in.counters.SendErrors++
				r.log.Error("encode advert", zap.String("instance", in.cfg.Name), zap.Error(err))
				return false
			}
		}
		if in.link.tr == nil {
			in.counters.SendErrors++
			continue
		}
		if err := in.link.tr.WriteTo(in.link.out, dst); err != nil {
			in.counters.SendErrors++
			if in.faultState().logSend() {
				r.log.Warn("send advert", zap.String("instance", in.cfg.Name), zap.Stringer("dst", dst), zap.Error(err))
			}
			if deviceGone(err) {
				r.breakLinkLocked(now, in.link, err)
			}
			continue
		}
		sent = true
		in.counters.AdvertsSent++
		if prio == PriorityStop {
			in.counters.PriorityZeroSent++
		}
	}
	if prio != PriorityStop && in.m.State() == StateMaster {
		r.sendResultLocked(now, in, sent)
	}
	return sent
}

func (r *Router) announceLocked(in *instance, repeat int) {
	r.announceVIPsLocked(in.cfg.vips(), repeat)
}

// announceBurst is repeat announcements of each of vips; in is the
// instance they belong to when they are held (Router.held).
type announceBurst struct {
	in     *instance
	vips   []VIPAddr
	repeat int
}

// flushHeldLocked sends the held bursts of the members that moved to
// master together, as one set of rounds (announceBurstsLocked), once
// every member has its addresses. Announced as each member moved, the
// first member's service address drew the old master's queued packets
// before a later member's inside address was in the real servers' ARP
// caches, and their answers went to the old master (docs/notes/
// nat-takeover.md).
func (r *Router) flushHeldLocked() {
	if len(r.held) == 0 {
		return
	}
	held := r.held
	r.held = nil
	r.announceBurstsLocked(held)
}

func (r *Router) announceVIPsLocked(vips []VIPAddr, repeat int) {
	r.announceBurstsLocked([]announceBurst{{vips: vips, repeat: repeat}})
}

// announceBurstsLocked sends the bursts round by round: one frame for
// every VIP of every burst, then the next round. Within a round the
// service addresses go last (Config.ServiceAddrs).
func (r *Router) announceBurstsLocked(bursts []announceBurst) {
	if r.deps.OpenAnnouncer == nil {
		return
	}
	now := r.clock.Now()
	rounds := 0
	for _, b := range bursts {
		rounds = max(rounds, b.repeat)
	}
	queued := false
	for round := range rounds {
		for _, service := range []bool{false, true} {
			queued = r.announceRoundLocked(now, bursts, round, service) || queued
		}
	}
	if queued {
		r.poke() // the loop's timer may be armed later than the pacer's
	}
}

// announceRoundLocked sends one frame for each VIP that is (service) or
// is not a service address, of every burst with a frame left in round;
// it reports whether the pacer queued any of them.
func (r *Router) announceRoundLocked(now time.Time, bursts []announceBurst, round int, service bool) (queued bool) {
	for _, b := range bursts {
		if round >= b.repeat {
			continue
		}
		for _, v := range b.vips {
			addr := v.Prefix.Addr()
			if r.isService(addr) != service {
				continue
			}
			if !r.pace.push(now, v.Dev, addr, r.paceGap(addr)) {
				queued = true
				continue
			}
			r.announceOneLocked(now, v.Dev, addr)
		}
	}
	return queued
}

// isService reports whether addr is one of Config.ServiceAddrs.
func (r *Router) isService(addr netip.Addr) bool {
	_, ok := slices.BinarySearchFunc(r.cfg.ServiceAddrs, addr, netip.Addr.Compare)
	return ok
}

// sortedAddrs is a sorted copy of addrs without repeats, for isService.
func sortedAddrs(addrs []netip.Addr) []netip.Addr {
	if len(addrs) == 0 {
		return nil
	}
	out := slices.Clone(addrs)
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

// paceGap is the gap between announcements of addr's family on one
// device (Config.GARPInterval, Config.GNAInterval).
func (r *Router) paceGap(addr netip.Addr) time.Duration {
	if addr.Is6() {
		return r.cfg.GNAInterval
	}
	return r.cfg.GARPInterval
}

func (r *Router) announceOneLocked(now time.Time, dev string, addr netip.Addr) {
	a := r.announcerLocked(now, dev)
	if a == nil {
		return
	}
	if err := a.Announce(addr); err != nil {
		r.log.Warn("send garp", zap.String("dev", dev), zap.Stringer("vip", addr), zap.Error(err))
		if deviceGone(err) {
			r.dropAnnouncerLocked(dev)
		}
	}
}

// preopenAnnouncersLocked opens the gratuitous-ARP senders of in's VIP
// devices ahead of need. Opened lazily, the first one cost a link lookup
// and an AF_PACKET socket between a new master's first advert and its
// first GARP: 2 ms under load on the bench (bench/vrrp), where keepalived
// takes 50-100 µs. A failure is not recorded, so the open at the first
// announcement retries it and reports it (the device may appear later).
func (r *Router) preopenAnnouncersLocked(in *instance) {
	if r.deps.OpenAnnouncer == nil {
		return
	}
	for _, v := range in.cfg.vips() {
		if _, ok := r.annc[v.Dev]; ok {
			continue
		}
		if a, err := r.deps.OpenAnnouncer(v.Dev); err == nil {
			r.annc[v.Dev] = a
		}
	}
}
