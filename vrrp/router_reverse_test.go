package vrrp

import (
	"testing"
	"time"
)

// TestRouterReverseTracks: reverse on a track_script or track_file entry
// reaches the priority the router advertises, so mastership moves.
func TestRouterReverseTracks(t *testing.T) {
	for _, tc := range []struct {
		name      string
		mutate    func(c *InstanceConfig)
		set       func(r *Router)
		wantPrio  uint8
		wantState State
	}{
		{"script weight 60 reverse, succeeding: lowered",
			func(c *InstanceConfig) { c.TrackScripts = []TrackScript{{Name: "chk", Weight: 60, Reverse: true}} },
			func(r *Router) { r.SetTrackScript("chk", true) }, 90, StateBackup},
		{"script weight 60 reverse, failing: untouched",
			func(c *InstanceConfig) { c.TrackScripts = []TrackScript{{Name: "chk", Weight: 60, Reverse: true}} },
			func(r *Router) { r.SetTrackScript("chk", false) }, 150, StateMaster},
		{"script weight 0 reverse, succeeding: fault",
			func(c *InstanceConfig) { c.TrackScripts = []TrackScript{{Name: "chk", Reverse: true}} },
			func(r *Router) { r.SetTrackScript("chk", true) }, 150, StateFault},
		{"file weight 1 reverse, 60: lowered",
			func(c *InstanceConfig) { c.TrackFiles = []TrackFile{{Name: "f", Weight: 1, Reverse: true}} },
			func(r *Router) { r.SetTrackFile("f", 60) }, 90, StateBackup},
		{"file weight 1 reverse, -10: raised",
			func(c *InstanceConfig) { c.TrackFiles = []TrackFile{{Name: "f", Weight: 1, Reverse: true}} },
			func(r *Router) { r.SetTrackFile("f", -10) }, 160, StateMaster},
		{"file weight 0 reverse, 0: fault",
			func(c *InstanceConfig) { c.TrackFiles = []TrackFile{{Name: "f", Reverse: true}} },
			func(r *Router) { r.SetTrackFile("f", 0) }, 150, StateFault},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, a, _ := electAB(t, func(ca, _ *InstanceConfig) { tc.mutate(ca) })
			tc.set(a.r)
			s.run(30 * time.Second)
			if st := a.status("vi"); st.EffectivePriority != tc.wantPrio || st.State != tc.wantState {
				t.Errorf("A: %v priority %d, want %v priority %d", st.State, st.EffectivePriority, tc.wantState, tc.wantPrio)
			}
		})
	}
}
