package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lbhad/lbhad/internal/control"
)

func TestBGPMetrics(t *testing.T) {
	m := New(fakeSource{snap: control.Snapshot{BGP: &control.BGPStatus{
		Sessions: []control.BGPSession{{Neighbor: "r1", State: "established", Up: true}, {Neighbor: "r2", State: "active"}},
		Routes:   []control.BGPRoute{{Prefix: "192.0.2.80/32", Announced: true}, {Prefix: "192.0.2.81/32"}},
	}}})
	want := `
# HELP lbhad_bgp_announced 1 while lbhad announces the host route prefix over BGP, 0 while it holds it back (no quorum, maintenance, stopping); lbhad status says why.
# TYPE lbhad_bgp_announced gauge
lbhad_bgp_announced{prefix="192.0.2.80/32"} 1
lbhad_bgp_announced{prefix="192.0.2.81/32"} 0
# HELP lbhad_bgp_session_up 1 while the BGP session with a neighbor is established.
# TYPE lbhad_bgp_session_up gauge
lbhad_bgp_session_up{neighbor="r1"} 1
lbhad_bgp_session_up{neighbor="r2"} 0
`
	if err := testutil.CollectAndCompare(m, strings.NewReader(want), "lbhad_bgp_announced", "lbhad_bgp_session_up"); err != nil {
		t.Error(err)
	}
}
