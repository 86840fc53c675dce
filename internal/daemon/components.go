package daemon

import (
	"go.uber.org/zap"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/ipvssync"
)

// defaultComponents is the production set, in start order: IPVS first so
// the table is in place before this node can become master, then the
// checks that feed it and VRRP. Stop runs in reverse, so VRRP hands the
// VIPs to the peer (priority-0 advert) before the table is removed.
//
// Notifications start first and stop last, so the STOP notices VRRP
// sends while shutting down are still delivered.
func defaultComponents(log *zap.Logger) []Component {
	nc := newNotifyComponent(log)
	vr := newVRRPComponent(log, nc.VRRPStateChange)
	ip := newIPVSComponent(log, ipvssync.Open, nc.QuorumChange)
	ch := newChecksComponent(log, vr.SetTrackScript, func(ref realRef, ev checker.Event) {
		ip.RealServerEvent(ref.key, ev)
		nc.RealServerChange(ref, ev)
	})
	return []Component{nc, ip, ch, vr}
}
