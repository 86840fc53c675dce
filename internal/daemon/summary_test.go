package daemon

import (
	"testing"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/vrrp"
)

// TestStatusLine: STATUS= counts the instances in the election, names
// each waiting one with its reason and every degraded part, and says
// "running" only when nothing is degraded and no instance waits or is
// missing.
func TestStatusLine(t *testing.T) {
	three := &config.Config{Instances: make([]*config.Instance, 3), VirtualServers: make([]*config.VirtualServer, 1)}
	allUp := []vrrp.Status{{Name: "VI_1"}, {Name: "VI_2"}, {Name: "VI_3"}}
	oneWaits := []vrrp.Status{{Name: "VI_1"}, {Name: "VI_2", Waiting: "interface late0 not found"}, {Name: "VI_3"}}
	twoWait := []vrrp.Status{{Name: "VI_1", Waiting: "interface eth9 not found"}, {Name: "VI_2", Waiting: "interface late0 has no IPv4 address"}, {Name: "VI_3"}}
	ipvsDown := []control.Problem{{Component: "ipvs", Error: "IPVS is not available"}}
	tests := []struct {
		name     string
		cfg      *config.Config
		degraded []control.Problem
		st       []vrrp.Status
		want     string
	}{
		{"all up", three, nil, allUp, "running: 3/3 VRRP instances up; 1 virtual server"},
		{"one waits", three, nil, oneWaits,
			"degraded: 2/3 VRRP instances up; waiting: VI_2 (interface late0 not found); 1 virtual server"},
		{"two wait", three, nil, twoWait,
			"degraded: 1/3 VRRP instances up; waiting: VI_1 (interface eth9 not found), VI_2 (interface late0 has no IPv4 address); 1 virtual server"},
		{"ipvs down and one waits", three, ipvsDown, oneWaits,
			"degraded: 2/3 VRRP instances up; waiting: VI_2 (interface late0 not found); ipvs: IPVS is not available; 1 virtual server"},
		{"ipvs down", three, ipvsDown, allUp,
			"degraded: 3/3 VRRP instances up; ipvs: IPVS is not available; 1 virtual server"},
		{"vrrp did not start", three, []control.Problem{{Component: "vrrp", Error: "open socket: operation not permitted"}}, nil,
			"degraded: 0/3 VRRP instances up; vrrp: open socket: operation not permitted; 1 virtual server"},
		{"instances missing from the router", three, nil, allUp[:1], "degraded: 1/3 VRRP instances up; 1 virtual server"},
		{"one instance", &config.Config{Instances: make([]*config.Instance, 1)}, nil, allUp[:1],
			"running: 1/1 VRRP instance up; 0 virtual servers"},
		{"no router, not degraded", three, nil, nil, "running: 3 VRRP instances; 1 virtual server"},
		{"no router, ipvs down", three, ipvsDown, nil, "degraded: 3 VRRP instances; ipvs: IPVS is not available; 1 virtual server"},
		{"router lists none", three, nil, []vrrp.Status{}, "degraded: 0/3 VRRP instances up; 1 virtual server"},
		{"no vrrp", &config.Config{VirtualServers: make([]*config.VirtualServer, 2)}, nil, nil,
			"running: no VRRP instances; 2 virtual servers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusLine(tt.cfg, tt.degraded, summarize(tt.st)); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// summarize is what vrrpComponent.Waiting reports for a router whose
// Status is st (nil: no router).
func summarize(st []vrrp.Status) vrrpSummary {
	vs := vrrpSummary{known: st != nil, instances: len(st)}
	for _, s := range st {
		if s.Waiting != "" {
			vs.waiting = append(vs.waiting, s.Name+" ("+s.Waiting+")")
		}
	}
	return vs
}
