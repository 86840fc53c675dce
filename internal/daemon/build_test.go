package daemon

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"

	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/internal/metrics"
)

// The parts start in the order the daemon's promises need (see
// Parts.List) and none is missing.
func TestBuildOrder(t *testing.T) {
	p := build(Env{Log: zap.NewNop(), Metrics: metrics.New(nil)}, Ports{})
	var names []string
	for _, c := range p.List() {
		names = append(names, c.Name())
	}
	want := []string{"notify", "maint", "ipvs", "syncd", "checker", "track_file", "vrrp", "bgp"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("start order (-want +got):\n%s", diff)
	}
}

// Ports.Clock is the one clock: build hands it to every part that reads
// time, so a test that moves it moves them all.
func TestBuildOneClock(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	p := build(Env{Log: zap.NewNop(), Metrics: metrics.New(nil)}, Ports{Clock: fake})
	for _, tc := range []struct {
		part string
		got  clock.Clock
	}{
		{"notify", p.Notify.clock},
		{"ipvs", p.IPVS.clock},
		{"checker", p.Checks.clock},
		{"vrrp", p.VRRP.clock},
		{"bgp", p.BGP.clock},
	} {
		if tc.got != fake {
			t.Errorf("%s clock = %T %v, want the injected fake", tc.part, tc.got, tc.got)
		}
	}
	fake.Advance(time.Hour)
	if got := p.Maint.now(); !got.Equal(fake.Now()) {
		t.Errorf("maintenance marks read %v, want the fake's %v", got, fake.Now())
	}
}
