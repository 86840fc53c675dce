package ipvssync

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"
)

// The fake answers as the kernel does (docs/notes/ipvs-kernel.md), so
// tests of Apply and the daemon against it mean something; the guest
// tests check the same answers against a real kernel.
func TestFakeKernelErrors(t *testing.T) {
	v6 := ServiceKey{Family: FamilyIPv6, Proto: ProtoTCP, Addr: netip.MustParseAddr("2001:db8::50"), Port: 80}
	other := ServiceKey{Family: FamilyIPv4, Proto: ProtoTCP, Addr: vip, Port: 81}
	tests := []struct {
		name string
		do   func(k *FakeKernel) error
		want error
	}{
		{"service exists", func(k *FakeKernel) error { return k.NewService(Service{Key: key, Scheduler: "rr"}) }, syscall.EEXIST},
		{"destination exists", func(k *FakeKernel) error { return k.NewDestination(key, Destination{Addr: rs1, Port: 80}) }, syscall.EEXIST},
		{"unknown scheduler", func(k *FakeKernel) error { return k.NewService(Service{Key: other, Scheduler: "nosuch"}) }, syscall.ENOENT},
		{"missing destination", func(k *FakeKernel) error { return k.DelDestination(key, k2) }, syscall.ENOENT},
		{"update missing destination", func(k *FakeKernel) error { return k.UpdateDestination(key, Destination{Addr: rs2, Port: 80}) }, syscall.ENOENT},
		{"missing service", func(k *FakeKernel) error { return k.DelService(other) }, syscall.ESRCH},
		{"ipv6 netmask 0", func(k *FakeKernel) error { return k.NewService(Service{Key: v6, Scheduler: "rr"}) }, syscall.EINVAL},
		{"ipv6 netmask 129", func(k *FakeKernel) error { return k.NewService(Service{Key: v6, Scheduler: "rr", Netmask: 129}) }, syscall.EINVAL},
		{"ipv6 netmask 128", func(k *FakeKernel) error { return k.NewService(Service{Key: v6, Scheduler: "rr", Netmask: 128}) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := NewFakeKernel()
			if err := k.NewService(Service{Key: key, Scheduler: "rr", Netmask: 32}); err != nil {
				t.Fatal(err)
			}
			if err := k.NewDestination(key, Destination{Addr: rs1, Port: 80, Weight: 1}); err != nil {
				t.Fatal(err)
			}
			w := k.Writes()
			err := tt.do(k)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want != nil && k.Writes() != w {
				t.Errorf("a failed write was counted: %d writes, want %d", k.Writes(), w)
			}
		})
	}
}

// Read back, a service carries the hashed flag and a NAT destination
// forwarding 0; only the forwarding bits of a destination are kept.
func TestFakeKernelReadBack(t *testing.T) {
	k := NewFakeKernel()
	if err := k.NewService(Service{Key: key, Scheduler: "rr", Flags: FlagPersistent, Netmask: 24}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []Destination{
		{Addr: rs1, Port: 80, Forward: ForwardMasq, ActiveConns: 5},
		{Addr: rs2, Port: 80, Forward: ForwardDR | 0x100},
	} {
		if err := k.NewDestination(key, d); err != nil {
			t.Fatal(err)
		}
	}
	svcs, err := k.GetServices()
	if err != nil || len(svcs) != 1 {
		t.Fatalf("GetServices = %v, %v", svcs, err)
	}
	if s := svcs[0]; s.Flags != FlagPersistent|FlagHashed || s.Netmask != 24 {
		t.Errorf("service read back with flags %#x netmask %d, want %#x and 24", s.Flags, s.Netmask, FlagPersistent|FlagHashed)
	}
	ds, err := k.GetDestinations(key)
	if err != nil || len(ds) != 2 {
		t.Fatalf("GetDestinations = %v, %v", ds, err)
	}
	if ds[0].Forward != 0 || ds[0].ActiveConns != 0 {
		t.Errorf("NAT destination read back with forwarding %d, %d active; want 0, 0", ds[0].Forward, ds[0].ActiveConns)
	}
	if ds[1].Forward != ForwardDR {
		t.Errorf("DR destination read back with forwarding %#x, want %#x", ds[1].Forward, ForwardDR)
	}
	tab, err := Read(k)
	if err != nil {
		t.Fatal(err)
	}
	if f := tab[key].Flags; f != FlagPersistent {
		t.Errorf("Read flags %#x, want the hashed flag masked: %#x", f, FlagPersistent)
	}
}
