package vrrp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A tracked file moves the priority by value × weight: -100 hands the
// VIPs to the peer, 0 takes them back (preempt), -254 is Fault.
func TestRouterTrackFile(t *testing.T) {
	s, a, b := electAB(t, func(ca, _ *InstanceConfig) {
		ca.TrackFiles = []TrackFile{{Name: "maint", Weight: 1}}
	})
	a.r.SetTrackFile("maint", -100)
	s.run(20 * time.Second)
	if st := a.status("vi"); st.State != StateBackup || st.EffectivePriority != 50 || len(st.Faults) != 0 {
		t.Errorf("A at -100: %v prio %d faults %v, want BACKUP prio 50", st.State, st.EffectivePriority, st.Faults)
	}
	if st := b.status("vi"); st.State != StateMaster {
		t.Errorf("B at -100: %v, want MASTER", st.State)
	}
	a.r.SetTrackFile("maint", 0)
	s.run(30 * time.Second)
	if st := a.status("vi"); st.State != StateMaster || st.EffectivePriority != 150 {
		t.Errorf("A at 0: %v prio %d, want MASTER 150", st.State, st.EffectivePriority)
	}
	a.r.SetTrackFile("maint", -254)
	s.run(40 * time.Second)
	if st := a.status("vi"); st.State != StateFault || !cmp.Equal(st.Faults, []string{"file:maint"}) {
		t.Errorf("A at -254: %v faults %v, want FAULT [file:maint]", st.State, st.Faults)
	}
	if st := b.status("vi"); st.State != StateMaster {
		t.Errorf("B while A is in fault: %v, want MASTER", st.State)
	}
	a.r.SetTrackFile("maint", 0)
	s.run(50 * time.Second)
	if st := a.status("vi"); st.State != StateMaster || len(st.Faults) != 0 {
		t.Errorf("A healed: %v faults %v, want MASTER", st.State, st.Faults)
	}
	// A file nobody tracks changes nothing.
	a.r.SetTrackFile("other", -254)
	s.run(60 * time.Second)
	if st := a.status("vi"); st.State != StateMaster {
		t.Errorf("A after an untracked file: %v", st.State)
	}
	var got []State
	for _, c := range a.changes() {
		got = append(got, c.To)
	}
	want := []State{StateBackup, StateMaster, StateBackup, StateMaster, StateFault, StateBackup, StateMaster}
	if !cmp.Equal(got, want) {
		t.Errorf("A went through %v, want %v", got, want)
	}
}
