package daemon

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"

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
	want := []string{"notify", "maint", "ipvs", "syncd", "checker", "track_file", "vrrp"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("start order (-want +got):\n%s", diff)
	}
}
