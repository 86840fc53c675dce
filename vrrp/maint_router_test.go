package vrrp

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// holderGaps replays the add/remove log and returns how many log entries
// after from leave no node holding vip.
func holderGaps(s *sim, from time.Time) int {
	have := map[string]bool{}
	gaps := 0
	for _, e := range s.log.filter(func(e event) bool { return e.Kind == "add" || e.Kind == "remove" }) {
		have[e.Node] = e.Kind == "add"
		if e.At.Before(from) {
			continue
		}
		if !have["A"] && !have["B"] {
			gaps++
		}
	}
	return gaps
}

func TestRouterMaintenanceHandover(t *testing.T) {
	for _, nopreempt := range []bool{false, true} {
		t.Run(map[bool]string{false: "preempt", true: "nopreempt"}[nopreempt], func(t *testing.T) {
			s, a, b := electAB(t, func(ca, cb *InstanceConfig) { ca.Nopreempt, cb.Nopreempt = nopreempt, nopreempt })
			names, err := a.r.SetMaintenance("", true)
			if err != nil || len(names) != 1 || names[0] != "vi" {
				t.Fatalf("SetMaintenance = %v, %v", names, err)
			}
			if st := a.status("vi"); !st.Maintenance || !st.HandingOver || st.State != StateMaster {
				t.Errorf("A right after maint on: %+v", st)
			}
			s.run(30 * time.Second)
			took := 10*time.Second + SkewTime(100)
			s.wantChanges(a, []change{
				{0, StateInit, StateBackup, ReasonStartup},
				{mdi(150), StateBackup, StateMaster, ReasonMasterDown},
				{took, StateMaster, StateBackup, ReasonMaintenance},
			})
			s.wantChanges(b, []change{
				{0, StateInit, StateBackup, ReasonStartup},
				{took, StateBackup, StateMaster, ReasonMasterDown},
			})
			if st := a.status("vi"); !st.Maintenance || st.HandingOver || st.State != StateBackup {
				t.Errorf("A in maintenance: %+v", st)
			}
			if g := holderGaps(s, s.at(5*time.Second)); g != 0 {
				t.Errorf("%d moments with nobody holding the VIP", g)
			}
			if _, err := a.r.SetMaintenance("vi", false); err != nil {
				t.Fatal(err)
			}
			s.run(60 * time.Second)
			want := StateMaster
			if nopreempt {
				want = StateBackup
			}
			if st := a.status("vi"); st.Maintenance || st.State != want {
				t.Errorf("A after maint off: %v maint %v, want %v", st.State, st.Maintenance, want)
			}
			if g := holderGaps(s, s.at(5*time.Second)); g != 0 {
				t.Errorf("%d moments with nobody holding the VIP", g)
			}
		})
	}
}

func TestRouterMaintenanceBeforeRunAndReload(t *testing.T) {
	s := newSim(t)
	a := s.newNode("A", ipA, one(inst("vi", "eth0", 51, 255, vipA)), nil)
	if _, err := a.r.SetMaintenance("nope", true); !errors.Is(err, ErrUnknownInstance) {
		t.Errorf("unknown instance: %v", err)
	}
	if _, err := a.r.SetMaintenance("vi", true); err != nil {
		t.Fatal(err)
	}
	s.start(a)
	s.run(20 * time.Second)
	// Even the address owner stays backup in maintenance, with no peer.
	if st := a.status("vi"); st.State != StateBackup || !st.Maintenance {
		t.Fatalf("after start: %+v", st)
	}
	// Reload recreating the instance (new VRID) keeps maintenance.
	c := inst("vi", "eth0", 52, 255, vipA)
	c.SrcAddr = ipA
	if err := a.r.Reload(one(c)); err != nil {
		t.Fatal(err)
	}
	s.run(40 * time.Second)
	if st := a.status("vi"); st.State != StateBackup || !st.Maintenance || st.VRID != 52 {
		t.Fatalf("after reload: %+v", st)
	}
	if _, err := a.r.SetMaintenance("vi", false); err != nil {
		t.Fatal(err)
	}
	s.run(60 * time.Second)
	if st := a.status("vi"); st.State != StateMaster {
		t.Fatalf("after off: %+v", st)
	}
}

// Once the instances run, the router keeps one config per instance: each
// instance points into the router's own copy of the list, not into the
// caller's and not into a copy of its own; SetMaintenance still names the
// configured instances in config order, before Run, while running, after
// a Reload, and after a stop and a Reload.
func TestRouterKeepsOneInstanceConfig(t *testing.T) {
	s := newSim(t)
	cfg := Config{Instances: []InstanceConfig{inst("b", "eth0", 52, 100, vipB), inst("a", "eth0", 51, 100, vipA)}}
	n := s.newNode("A", ipA, cfg, nil)
	names := func() []string {
		t.Helper()
		got, err := n.r.SetMaintenance("", false)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := func(stage string, got []string, want ...string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: names %v, want %v", stage, got, want)
		}
	}
	want("before Run", names(), "b", "a")
	oneCopy := func(stage string, caller []InstanceConfig) {
		t.Helper()
		n.r.mu.Lock()
		defer n.r.mu.Unlock()
		own := n.r.cfg.Instances
		if len(own) != len(n.r.insts) || &own[0] == &caller[0] {
			t.Fatalf("%s: router holds %d configs for %d instances, its own copy: %v", stage, len(own), len(n.r.insts), &own[0] != &caller[0])
		}
		for i, in := range n.r.insts {
			if in.cfg != &own[i] {
				t.Errorf("%s: instance %s does not point into the router's copy", stage, in.cfg.Name)
			}
		}
	}
	s.start(n)
	oneCopy("running", cfg.Instances)
	want("running", names(), "b", "a")
	if _, err := n.r.SetMaintenance("c", true); !errors.Is(err, ErrUnknownInstance) {
		t.Errorf("unknown instance while running: %v", err)
	}
	next := Config{Instances: []InstanceConfig{inst("c", "eth0", 53, 100, vipC), inst("a", "eth0", 51, 100, vipA)}}
	for i := range next.Instances {
		next.Instances[i].SrcAddr = ipA
	}
	if err := n.r.Reload(next); err != nil {
		t.Fatal(err)
	}
	oneCopy("after reload", next.Instances)
	want("after reload", names(), "c", "a")
	if _, err := n.r.SetMaintenance("b", true); !errors.Is(err, ErrUnknownInstance) {
		t.Errorf("removed instance: %v", err)
	}
	s.stop(n)
	want("stopped", names(), "c", "a")
	d := inst("d", "eth0", 54, 100, vipA)
	d.SrcAddr = ipA
	if err := n.r.Reload(one(d)); err != nil {
		t.Fatal(err)
	}
	want("reload after stop", names(), "d")
	if err := n.r.Reload(Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.r.SetMaintenance("", true); !errors.Is(err, ErrUnknownInstance) {
		t.Errorf("empty config after stop: %v", err)
	}
}
