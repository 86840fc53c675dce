package vrrp

import (
	"net/netip"
	"time"
)

// Status is a snapshot of one instance.
type Status struct {
	Name              string
	Interface         string
	VRID              uint8
	SyncGroup         string
	State             State
	BasePriority      uint8
	EffectivePriority uint8
	// Master is the master last heard (SrcAddr while master); invalid
	// when unknown.
	Master         netip.Addr
	MasterPriority uint8
	VIPs           []netip.Prefix
	// Faults lists what holds the instance in Fault: "link:eth1",
	// "script:chk_nginx", "file:maint", "group:g1", "waiting:<why>",
	// "send:adverts", "vip:192.0.2.1/24".
	Faults []string
	// Waiting, when not empty, says why the instance's interface cannot
	// be used yet (missing, no address, socket error); the instance stays
	// in Init (or Fault once it has run) and starts by itself when the
	// interface is usable.
	Waiting        string
	LastTransition time.Time
	LastReason     Reason
	Counters       Counters
	// Maintenance is true while "lbhad maint director on" holds the
	// instance out of the election; HandingOver while it is still master
	// waiting for its successor.
	Maintenance bool
	HandingOver bool
	// Version is Version or Version3; IPv6 is the instance's family.
	Version uint8
	IPv6    bool
	// MasterAdverInterval is the interval the master is expected to
	// advertise at: learned from its adverts in VRRPv3 (RFC 5798
	// §6.4.2), the configured one in VRRPv2.
	MasterAdverInterval time.Duration
}

// Status returns a snapshot of every instance, in configuration order.
func (r *Router) Status() []Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Status, 0, len(r.insts))
	for _, in := range r.insts {
		s := Status{
			Name: in.cfg.Name, Interface: in.cfg.Interface, VRID: in.cfg.VRID,
			State: in.m.State(), BasePriority: in.cfg.Priority, EffectivePriority: in.m.Priority(),
			LastTransition: in.lastChange, LastReason: in.lastReason, Counters: in.counters,
			Maintenance: in.m.InMaintenance(), HandingOver: in.m.HandingOver(),
			Version: max(in.cfg.Version, Version), IPv6: in.cfg.IPv6, MasterAdverInterval: in.m.MasterAdverInterval(),
		}
		s.Master, s.MasterPriority = in.m.Master()
		if in.group != nil {
			s.SyncGroup = in.group.Name()
			if in.group.Faulty() && !in.ownFault {
				s.Faults = append(s.Faults, "group:"+in.group.Name())
			}
		}
		for _, v := range in.cfg.VIPs {
			s.VIPs = append(s.VIPs, v.Prefix)
		}
		for _, n := range in.cfg.watched() {
			if up, ok := r.linkUp[n]; ok && !up && !in.cfg.weighted(n) {
				s.Faults = append(s.Faults, "link:"+n)
			}
		}
		if in.link.tr == nil && in.link.waitErr != nil {
			s.Waiting = in.link.waitErr.Error()
			s.Faults = append(s.Faults, "waiting:"+s.Waiting)
		}
		s.Faults = append(s.Faults, in.faults.status()...)
		for _, wi := range in.cfg.WeightedInterfaces {
			if wi.Weight == 0 && wi.Reverse && r.linkKnownUp(wi.Name) && wi.Name != in.cfg.Interface {
				s.Faults = append(s.Faults, "link-up:"+wi.Name) // weight 0 reverse
			}
		}
		for _, ts := range in.cfg.TrackScripts {
			if ts.Weight == 0 && !r.scriptOK(ts.Name) {
				s.Faults = append(s.Faults, "script:"+ts.Name)
			}
		}
		for i, f := range r.fileTracks(in) {
			if _, fault := f.delta(); fault {
				s.Faults = append(s.Faults, "file:"+in.cfg.TrackFiles[i].Name)
			}
		}
		out = append(out, s)
	}
	return out
}

// InterfaceCounters returns, per interface, the drops counted before an
// instance could be identified (TTL, malformed, unknown VRID).
func (r *Router) InterfaceCounters() map[string]Counters {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]Counters, len(r.links))
	for n, l := range r.links {
		out[n] = l.counters
	}
	return out
}

// Waiting returns how many instances the router lists (as Status does)
// and, as "NAME (why)", those whose interface cannot be used yet: what
// the daemon's STATUS= line needs, without building Status's snapshot
// of every instance (at 1,000 instances, refreshed every 5 s, that was
// the largest steady allocation of a running daemon).
func (r *Router) Waiting() (instances int, waiting []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, in := range r.insts {
		if in.link.tr == nil && in.link.waitErr != nil {
			waiting = append(waiting, in.cfg.Name+" ("+in.link.waitErr.Error()+")")
		}
	}
	return len(r.insts), waiting
}
