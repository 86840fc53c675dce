package control

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
)

// bigSite is n virtual servers of 10 real servers with a tcp_check
// each, and a status per check: the checker bench's daemon phase.
func bigSite(n int) ([]*config.VirtualServer, []checker.Status) {
	var vss []*config.VirtualServer
	var sts []checker.Status
	for v := range n {
		vs := &config.VirtualServer{
			Name:      fmt.Sprintf("vs%04d", v),
			Address:   netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, byte(v >> 8), byte(v)}), 80),
			Protocol:  config.TCP,
			Scheduler: "wrr",
			Quorum:    5,
		}
		for r := range 10 {
			rs := &config.RealServer{
				Name:    fmt.Sprintf("rs%d", r),
				Address: netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 19, byte(v >> 4), byte(v<<4 | r)}), 80),
				Weight:  1,
				Checks:  []*config.Check{{Kind: config.CheckTCP}},
			}
			vs.RealServers = append(vs.RealServers, rs)
			sts = append(sts, checker.Status{
				Spec:     &checker.Spec{ID: "rs/" + vs.Name + "/" + rs.Name, Kind: checker.KindTCP, Target: rs.Address, VirtualServer: vs.Name},
				State:    checker.StateUp,
				Last:     checker.Result{OK: true, Latency: time.Millisecond},
				LastTime: time.Unix(1, 0),
			})
		}
		vss = append(vss, vs)
	}
	return vss, sts
}

// BenchmarkVirtualServers: the real server rows of one status snapshot
// (a metrics scrape's or `lbhad status`'s) at 1,000 × 10, checked, no
// IPVS table (docs/PERFORMANCE.md, "Metrics scrapes and status
// snapshots").
func BenchmarkVirtualServers(b *testing.B) {
	vss, sts := bigSite(1000)
	b.ReportAllocs()
	for b.Loop() {
		VirtualServers(vss, StatusIndex(sts), nil, nil)
	}
}
