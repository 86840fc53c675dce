package daemon

import (
	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/ipvssync"
	"github.com/lbhad/lbhad/vrrp"
)

// defaultComponents is the production set, in start order: IPVS first so
// the table is in place before this node can become master, then the
// checks that feed it and VRRP. Stop runs in reverse, so VRRP hands the
// VIPs to the peer (priority-0 advert) before the table is removed.
//
// Notifications start first and stop last, so the STOP notices VRRP
// sends while shutting down are still delivered.
func defaultComponents(env Env) []Component {
	log, m := env.Log, env.Metrics
	nc := newNotifyComponent(log)
	m.SetNotificationSource(nc.counts)
	// The connection sync daemon's role follows VRRP; it starts after
	// the table is programmed and stops after VRRP has handed over.
	sd := NewSyncdComponent(log, nil)
	vr := newVRRPComponent(log, func(sc vrrp.StateChange) {
		m.ObserveTransition(sc.Instance, sc.To.String())
		nc.VRRPStateChange(sc)
		sd.VRRPStateChange(sc)
	})
	ip := newIPVSComponent(log, ipvssync.Open, nc.QuorumChange)
	ip.observe = m.ObserveIPVS
	ch := newChecksComponent(log, vr.SetTrackScript, func(ref realRef, ev checker.Event) {
		ip.RealServerEvent(ref.key, ev)
		nc.RealServerChange(ref, ev)
	})
	ch.observe = m.ObserveCheck
	// Track files start before VRRP so their numbers are in place when
	// the router is built (vr remembers them until then).
	tf := newTrackFileComponent(log, vr.SetTrackFile)
	// Maintenance (maint.go) starts before IPVS and VRRP so both come up
	// with the saved state already applied.
	mc := newMaintComponent(log, nc.send)
	mc.vr, mc.ip, vr.onRouter, ip.overlay = vr, ip, mc.applyRouter, mc.overlay
	return []Component{nc, mc, ip, sd, ch, tf, vr}
}
