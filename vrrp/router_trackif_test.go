package vrrp

import (
	"slices"
	"testing"
	"time"
)

// TestRouterWeightedInterface: a track_interface with a weight moves the
// priority instead of causing Fault (keepalived's rule), reverse turns
// the adjustment the other way, weight 0 with reverse faults while the
// link is up, and a plain tracked interface still faults.
func TestRouterWeightedInterface(t *testing.T) {
	for _, tc := range []struct {
		name      string
		track     TrackInterface
		linkUp    bool
		wantPrio  uint8
		wantFault string // "" for none
		wantState State  // A's state once B (priority 100) has reacted
	}{
		{"weight -60, down: 150-60 < 100, B takes over", TrackInterface{Name: "eth9", Weight: -60}, false, 90, "", StateBackup},
		{"weight -60, up: untouched", TrackInterface{Name: "eth9", Weight: -60}, true, 150, "", StateMaster},
		{"weight 20, down: not added", TrackInterface{Name: "eth9", Weight: 20}, false, 150, "", StateMaster},
		{"weight 20, up: added", TrackInterface{Name: "eth9", Weight: 20}, true, 170, "", StateMaster},
		{"weight 60 reverse, up: lowered", TrackInterface{Name: "eth9", Weight: 60, Reverse: true}, true, 90, "", StateBackup},
		{"weight -60 reverse, down: raised", TrackInterface{Name: "eth9", Weight: -60, Reverse: true}, false, 210, "", StateMaster},
		{"weight 0 reverse, up: fault", TrackInterface{Name: "eth9", Reverse: true}, true, 150, "link-up:eth9", StateFault},
		{"weight 0 reverse, down: fine", TrackInterface{Name: "eth9", Reverse: true}, false, 150, "", StateMaster},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, a, _ := electAB(t, func(ca, _ *InstanceConfig) {
				ca.TrackInterfaces = []string{"eth9", "eth8"}
				ca.WeightedInterfaces = []TrackInterface{tc.track}
			})
			a.r.SetLink("eth9", tc.linkUp)
			s.run(30 * time.Second)
			st := a.status("vi")
			if st.EffectivePriority != tc.wantPrio || st.State != tc.wantState {
				t.Errorf("A: %v priority %d, want %v priority %d", st.State, st.EffectivePriority, tc.wantState, tc.wantPrio)
			}
			var want []string
			if tc.wantFault != "" {
				want = []string{tc.wantFault}
			}
			if !slices.Equal(st.Faults, want) {
				t.Errorf("faults %v, want %v", st.Faults, want)
			}
			// The unweighted eth8 keeps keepalived's default: down is Fault.
			a.r.SetLink("eth9", !tc.track.Reverse || tc.track.Weight != 0) // clear any weight-0 reverse fault
			a.r.SetLink("eth8", false)
			s.run(40 * time.Second)
			if st := a.status("vi"); st.State != StateFault || !slices.Contains(st.Faults, "link:eth8") {
				t.Errorf("A with plain eth8 down: %v faults %v, want FAULT by link:eth8", st.State, st.Faults)
			}
		})
	}
}
