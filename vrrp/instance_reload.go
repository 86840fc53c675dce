package vrrp

import (
	"net/netip"
	"slices"
	"time"

	"go.uber.org/zap"
)

// Reload applies a new configuration to a running Router without
// disturbing what did not change: an unchanged instance sees nothing; a
// new base priority (or new script weights) is advertised at once while
// master; a changed VIP list adds and removes only the difference (and
// announces the added VIPs) while master. An instance whose interface or
// VRID changed is stopped as if removed and started as if new; a new
// instance whose interface cannot be opened yet waits, as at start.
// Before Run, Reload just replaces the configuration. Errors are those
// of NewRouter's checks, leaving the old configuration running.
func (r *Router) Reload(cfg Config) error {
	if err := checkConfig(cfg); err != nil {
		return err
	}
	if err := checkSources(cfg, r.deps); err != nil {
		return err
	}
	cfg.ServiceAddrs = sortedAddrs(cfg.ServiceAddrs)
	r.mu.Lock()
	if !r.running {
		r.cfg = cfg
		r.mu.Unlock()
		return nil
	}
	now := r.clock.Now()
	// The Router's own copy: every instance, kept or new, points into
	// it, so the old copy is garbage once this returns.
	cfg.Instances = slices.Clone(cfg.Instances)
	want := map[string]*InstanceConfig{}
	for i := range cfg.Instances {
		want[cfg.Instances[i].Name] = &cfg.Instances[i]
	}
	for _, in := range slices.Clone(r.insts) {
		c, ok := want[in.cfg.Name]
		if ok && c.Interface == in.cfg.Interface && c.VRID == in.cfg.VRID && c.IPv6 == in.cfg.IPv6 {
			continue
		}
		r.apply(now, in, in.m.Handle(now, Shutdown{}))
		r.removeInstanceLocked(in)
	}
	var order []*instance
	for i := range cfg.Instances {
		c := &cfg.Instances[i]
		if in := r.byName[c.Name]; in != nil {
			r.updateLocked(now, in, c)
			order = append(order, in)
			continue
		}
		order = append(order, r.addInstanceLocked(c))
	}
	r.insts = order
	r.cfg = cfg
	r.rebuildGroupsLocked()
	for _, in := range r.insts {
		r.openLinkLocked(now, in.link)
	}
	for _, in := range r.insts {
		r.refreshLocked(now, in)
	}
	r.startReadyLocked(now)
	r.settleLocked(now)
	ctx := r.runCtx
	r.mu.Unlock()
	if ctx != nil {
		r.restartWatch(ctx)
	}
	r.dispatch()
	r.poke()
	return nil
}

// instanceNamesLocked lists the configured instances in config order.
func (r *Router) instanceNamesLocked() []string {
	var names []string
	for _, c := range r.cfg.Instances {
		names = append(names, c.Name)
	}
	return names
}

func (r *Router) removeInstanceLocked(in *instance) {
	delete(in.link.byVRID, in.cfg.VRID)
	delete(r.byName, in.cfg.Name)
	r.heapRemove(in)
	r.insts = slices.DeleteFunc(r.insts, func(x *instance) bool { return x == in })
	if len(in.link.byVRID) == 0 {
		in.link.closed = true
		if in.link.tr != nil {
			in.link.tr.Close()
		}
		delete(r.links, in.link.key)
		return
	}
	in.link.setMode()
}

// updateLocked moves a kept instance to its new configuration. Priority
// and fault changes are left to refreshLocked.
func (r *Router) updateLocked(now time.Time, in *instance, c *InstanceConfig) {
	old := in.cfg
	in.cfg = c
	in.link.setMode()
	if c.SrcAddr.IsValid() {
		in.src = c.SrcAddr
	} else if in.link.src.IsValid() {
		in.src = in.link.src
	}
	in.m.Reconfigure(c.machineConfig(in.src))
	in.expect = c.expect(in.src)
	in.advert = c.advert()
	r.preopenAnnouncersLocked(in)
	if in.m.State() != StateMaster {
		return
	}
	oldV, newV := old.vips(), c.vips()
	var fresh []VIPAddr
	for _, v := range newV {
		if !slices.Contains(oldV, v) {
			fresh = append(fresh, v)
		}
	}
	r.addVIPsLocked(now, in, fresh, false)
	for _, v := range oldV {
		if !slices.Contains(newV, v) {
			r.pace.cancel([]netip.Addr{v.Prefix.Addr()}) // paced frames of a VIP given up
			if err := r.deps.Addrs.Remove(v); err != nil {
				r.log.Error("remove vip", zap.String("instance", c.Name), zap.Stringer("vip", v.Prefix), zap.Error(err))
			}
		}
	}
	r.reloadRoutesLocked(in, old, c)
	r.announceVIPsLocked(fresh, max(c.GARPMasterRepeat, 1))
	if len(fresh) > 0 || len(oldV) != len(newV) {
		// The backups check the address list: tell them the new one now.
		r.sendLocked(now, in, in.m.Priority())
	}
}
