package ipvssync

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/config"
)

func TestDesiredTunnel(t *testing.T) {
	gue := config.Tunnel{Type: config.TunnelGUE, Port: 6080, Checksum: config.TunnelRemCsum}
	v := vs(func(v *config.VirtualServer) {
		v.Kind = config.KindTUN
		v.RealServers[0].Kind, v.RealServers[0].Tunnel = config.KindTUN, gue
		v.RealServers[1].Kind, v.RealServers[1].Tunnel = config.KindTUN, config.Tunnel{Type: config.TunnelGRE, Checksum: config.TunnelCsum}
	})
	got := Desired([]*config.VirtualServer{v}, Health{})[key].Dests
	want := map[DestKey]Destination{
		k1: {Addr: rs1, Port: 80, Weight: 2, Forward: ForwardTunnel, TunType: TunnelGUE, TunPort: 6080, TunFlags: TunFlagRemCsum},
		k2: {Addr: rs2, Port: 80, Weight: 3, Forward: ForwardTunnel, TunType: TunnelGRE, TunFlags: TunFlagCsum},
	}
	if diff := cmp.Diff(want, got, addrCmp); diff != "" {
		t.Errorf("tunnel destinations (-want +got):\n%s", diff)
	}

	// A change of tunnel type alone is a change: Plan updates the
	// destination, and the fake kernel (like the real one) keeps it.
	k := NewFakeKernel()
	r := NewReconciler(k, nil)
	if _, err := r.Sync(Desired([]*config.VirtualServer{v}, Health{})); err != nil {
		t.Fatal(err)
	}
	v.RealServers[1].Tunnel = config.Tunnel{Type: config.TunnelIPIP}
	n, err := r.Sync(Desired([]*config.VirtualServer{v}, Health{}))
	if err != nil || n != 1 {
		t.Fatalf("sync after gre -> ipip wrote %d, %v; want 1 update", n, err)
	}
	tab, err := Read(k)
	if err != nil {
		t.Fatal(err)
	}
	if d := tab[key].Dests[k2]; d.TunType != TunnelIPIP || d.TunFlags != 0 {
		t.Errorf("after the update the kernel has %+v", d)
	}
	// A DR destination's leftover tunnel fields are not a difference.
	cur := Table{key: {Service: tab[key].Service, Dests: map[DestKey]Destination{k1: {Addr: rs1, Port: 80, Weight: 1, Forward: ForwardDR, TunType: TunnelGRE}}}}
	wantDR := Table{key: {Service: tab[key].Service, Dests: map[DestKey]Destination{k1: {Addr: rs1, Port: 80, Weight: 1, Forward: ForwardDR}}}}
	if ops := Plan(cur, wantDR, nil, nil); len(ops) != 0 {
		t.Errorf("Plan on DR with stale tunnel fields = %v, want none", ops)
	}
	// The kernel refuses GUE without a port; so does the fake.
	bad := Destination{Addr: rs3, Port: 80, Weight: 1, Forward: ForwardTunnel, TunType: TunnelGUE}
	if err := k.NewDestination(key, bad); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("GUE without port: %v, want EINVAL", err)
	}
}

func TestDesiredSorryInhibitAndMethod(t *testing.T) {
	sorry := netip.MustParseAddr("198.51.100.99")
	kS := DestKey{sorry, 80}
	v := vs(func(v *config.VirtualServer) {
		v.SorryServer = netip.AddrPortFrom(sorry, 80)
		v.SorryKind = config.KindTUN
		v.SorryTunnel = config.Tunnel{Type: config.TunnelGUE, Port: 5555}
	})
	allDown := Health{Real: map[RealKey]RealState{RealKeyOf(v, v.RealServers[0]): down, RealKeyOf(v, v.RealServers[1]): down}}
	sorryDest := func(w int) Destination {
		return Destination{Addr: sorry, Port: 80, Weight: w, Forward: ForwardTunnel, TunType: TunnelGUE, TunPort: 5555}
	}
	for _, tc := range []struct {
		name    string
		inhibit bool
		h       Health
		want    map[DestKey]Destination
	}{
		{"quorum up: no sorry server", false, Health{}, map[DestKey]Destination{
			k1: {Addr: rs1, Port: 80, Weight: 2, Forward: ForwardDR}, k2: {Addr: rs2, Port: 80, Weight: 3, Forward: ForwardDR}}},
		{"quorum up, inhibit: sorry server at weight 0", true, Health{}, map[DestKey]Destination{
			k1: {Addr: rs1, Port: 80, Weight: 2, Forward: ForwardDR}, k2: {Addr: rs2, Port: 80, Weight: 3, Forward: ForwardDR}, kS: sorryDest(0)}},
		{"quorum down: sorry server with its own method", false, allDown, map[DestKey]Destination{kS: sorryDest(1)}},
		{"quorum down, inhibit: sorry server at weight 1", true, allDown, map[DestKey]Destination{kS: sorryDest(1)}},
	} {
		v.SorryInhibit = tc.inhibit
		got := Desired([]*config.VirtualServer{v}, tc.h)[key].Dests
		if diff := cmp.Diff(tc.want, got, addrCmp); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
