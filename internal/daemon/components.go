package daemon

import (
	"go.uber.org/zap"

	"github.com/lbhad/lbhad/ipvssync"
)

// defaultComponents is the production set, in start order: IPVS first so
// the table is in place before this node can become master, then the
// checks that feed it and VRRP. Stop runs in reverse, so VRRP hands the
// VIPs to the peer (priority-0 advert) before the table is removed.
func defaultComponents(log *zap.Logger) []Component {
	vr := newVRRPComponent(log, nil)
	ip := newIPVSComponent(log, ipvssync.Open, nil)
	ch := newChecksComponent(log, vr.SetTrackScript, ip.RealServerEvent)
	return []Component{ip, ch, vr}
}
