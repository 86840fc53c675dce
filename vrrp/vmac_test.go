package vrrp

import (
	"errors"
	"net"
	"slices"
	"testing"
)

func TestVirtualMAC(t *testing.T) {
	for _, tc := range []struct {
		vrid uint8
		v6   bool
		want string
	}{
		{1, false, "00:00:5e:00:01:01"},
		{51, false, "00:00:5e:00:01:33"},
		{255, false, "00:00:5e:00:01:ff"},
		{51, true, "00:00:5e:00:02:33"},
	} {
		if got := VirtualMAC(tc.vrid, tc.v6).String(); got != tc.want {
			t.Errorf("VirtualMAC(%d, %v) = %s, want %s", tc.vrid, tc.v6, got, tc.want)
		}
	}
	if got := DefaultVMACName(51); got != "vrrp.51" {
		t.Errorf("DefaultVMACName(51) = %q", got)
	}
}

func TestPlanVMAC(t *testing.T) {
	want := VMAC{Name: "vrrp.51", Parent: "eth0", MAC: VirtualMAC(51, false)}
	other := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	for _, tc := range []struct {
		name   string
		parent int
		have   VMACLink
		step   VMACStep
	}{
		{"parent missing", 0, VMACLink{}, VMACWait},
		{"parent missing, stale macvlan", 0, VMACLink{Exists: true, Macvlan: true}, VMACWait},
		{"parent missing, foreign interface", 0, VMACLink{Exists: true}, VMACRefuse},
		{"absent", 2, VMACLink{}, VMACCreate},
		{"ours", 2, VMACLink{Exists: true, Macvlan: true, ParentIndex: 2, MAC: want.MAC, Private: true}, VMACKeep},
		{"ours, wrong mode", 2, VMACLink{Exists: true, Macvlan: true, ParentIndex: 2, MAC: want.MAC}, VMACReplace},
		{"ours, wrong mac", 2, VMACLink{Exists: true, Macvlan: true, ParentIndex: 2, MAC: other, Private: true}, VMACReplace},
		{"our mac, other parent", 2, VMACLink{Exists: true, Macvlan: true, ParentIndex: 3, MAC: want.MAC, Private: true}, VMACReplace},
		{"someone's macvlan", 2, VMACLink{Exists: true, Macvlan: true, ParentIndex: 3, MAC: other, Private: true}, VMACRefuse},
		{"a dummy of the same name", 2, VMACLink{Exists: true, MAC: want.MAC}, VMACRefuse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlanVMAC(want, tc.parent, tc.have); got != tc.step {
				t.Errorf("PlanVMAC = %v, want %v", got, tc.step)
			}
		})
	}
}

// fakeVMACs is a VMACKernel over a map of links.
type fakeVMACs struct {
	parents  map[string]int
	links    map[string]VMACLink
	setup    map[string]int // Setup calls per name
	restored []string
	failSet  error
}

func newFakeVMACs() *fakeVMACs {
	return &fakeVMACs{parents: map[string]int{"eth0": 2}, links: map[string]VMACLink{}, setup: map[string]int{}}
}

func (f *fakeVMACs) ParentIndex(name string) (int, error) { return f.parents[name], nil }
func (f *fakeVMACs) Link(name string) (VMACLink, error)   { return f.links[name], nil }
func (f *fakeVMACs) Create(v VMAC, p int) error {
	if f.links[v.Name].Exists {
		return errors.New("file exists")
	}
	f.links[v.Name] = VMACLink{Exists: true, Macvlan: true, ParentIndex: p, MAC: v.MAC, Private: true}
	return nil
}
func (f *fakeVMACs) Delete(name string) error { delete(f.links, name); return nil }
func (f *fakeVMACs) Setup(v VMAC) error {
	f.setup[v.Name]++
	return f.failSet
}
func (f *fakeVMACs) Restore(p string) error { f.restored = append(f.restored, p); return nil }

func TestVMACManager(t *testing.T) {
	k := newFakeVMACs()
	var events []string
	m := NewVMACManager(k, nil, nil, func(name string, ok bool) {
		s := name + " down"
		if ok {
			s = name + " ready"
		}
		events = append(events, s)
	})
	v := VMAC{Name: "vrrp.51", Parent: "eth0", MAC: VirtualMAC(51, false)}
	w := VMAC{Name: "vip52", Parent: "eth1", MAC: VirtualMAC(52, false)}
	ready, err := m.Set([]VMAC{v, w})
	if err != nil {
		t.Fatalf("Set: %v", err)
	}
	if !ready["vrrp.51"] || ready["vip52"] {
		t.Fatalf("ready = %v, want vrrp.51 only (eth1 is missing)", ready)
	}
	if !k.links["vrrp.51"].Exists || k.links["vip52"].Exists {
		t.Fatalf("links = %v", k.links)
	}

	// The parent appears: the VMAC follows.
	k.parents["eth1"] = 3
	m.Reconcile()
	if !k.links["vip52"].Exists || !slices.Equal(events, []string{"vip52 ready"}) {
		t.Fatalf("after eth1 appeared: links %v, events %v", k.links, events)
	}

	// Deleted under us: re-created, readiness unchanged (the router
	// sees the link go and come back on its own).
	delete(k.links, "vrrp.51")
	m.Reconcile()
	if !k.links["vrrp.51"].Exists {
		t.Fatal("deleted vmac not re-created")
	}

	// Replaced by a foreign interface: left alone, reported down.
	k.links["vrrp.51"] = VMACLink{Exists: true, MAC: v.MAC}
	events = nil
	m.Reconcile()
	if k.links["vrrp.51"].Macvlan || !slices.Equal(events, []string{"vrrp.51 down"}) {
		t.Fatalf("foreign interface: link %v, events %v", k.links["vrrp.51"], events)
	}
	// The operator removes it: ours again.
	delete(k.links, "vrrp.51")
	events = nil
	m.Reconcile()
	if !k.links["vrrp.51"].Macvlan || !slices.Equal(events, []string{"vrrp.51 ready"}) {
		t.Fatalf("after the foreign interface left: link %v, events %v", k.links["vrrp.51"], events)
	}

	// A reload drops vip52: kept until Prune (the router moves off it
	// first), then deleted and eth1's sysctls restored.
	if _, err := m.Set([]VMAC{v}); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if !k.links["vip52"].Exists {
		t.Fatal("vip52 deleted by Set, before the router moved off it")
	}
	if err := m.Prune(); err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if k.links["vip52"].Exists || !slices.Equal(k.restored, []string{"eth1"}) {
		t.Fatalf("after reload: links %v, restored %v", k.links, k.restored)
	}

	// Close deletes ours and never a foreign one.
	k.links["foreign"] = VMACLink{Exists: true}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if k.links["vrrp.51"].Exists || !k.links["foreign"].Exists || !slices.Equal(k.restored, []string{"eth1", "eth0"}) {
		t.Fatalf("after Close: links %v, restored %v", k.links, k.restored)
	}
	if _, err := m.Set([]VMAC{v}); err == nil {
		t.Fatal("Set after Close succeeded")
	}
}

func TestVMACManagerSetupFails(t *testing.T) {
	k := newFakeVMACs()
	k.failSet = errors.New("read-only /proc/sys")
	m := NewVMACManager(k, nil, nil, nil)
	ready, err := m.Set([]VMAC{{Name: "vrrp.1", Parent: "eth0", MAC: VirtualMAC(1, false)}})
	if err == nil || ready["vrrp.1"] {
		t.Fatalf("Set = %v, %v; want not ready and an error", ready, err)
	}
	if err := m.Close(); err != nil || k.links["vrrp.1"].Exists {
		t.Fatalf("Close: %v; links %v", err, k.links)
	}
}
