package daemon

import (
	"testing"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/vrrp"
)

// TestStatusLine: STATUS= says "running" only when nothing is degraded
// and no instance waits; otherwise it names each reason.
func TestStatusLine(t *testing.T) {
	cfg := &config.Config{Instances: make([]*config.Instance, 3)}
	waiting := waitingInstances([]vrrp.Status{
		{Name: "VI_1"},
		{Name: "VI_2", Waiting: "interface late0 not found"},
		{Name: "VI_3"},
	})
	tests := []struct {
		name     string
		degraded []control.Problem
		waiting  []string
		want     string
	}{
		{"all up", nil, nil, "running: 3 vrrp instances, 0 virtual servers"},
		{"one waits", nil, waiting,
			"degraded (vrrp: 1/3 instances waiting: VI_2 (interface late0 not found)): 3 vrrp instances, 0 virtual servers"},
		{"ipvs down and one waits", []control.Problem{{Component: "ipvs", Error: "no ip_vs"}}, waiting,
			"degraded (ipvs: no ip_vs; vrrp: 1/3 instances waiting: VI_2 (interface late0 not found)): 3 vrrp instances, 0 virtual servers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusLine(cfg, tt.degraded, tt.waiting); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
