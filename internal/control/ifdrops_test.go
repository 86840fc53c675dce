package control

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/vrrp"
)

func TestInterfaceDropsFrom(t *testing.T) {
	var v4, v6, none vrrp.Counters
	v4.Dropped[vrrp.DropTTL] = 3
	v6.Dropped[vrrp.DropVersion], v6.Dropped[vrrp.DropUnknownVRID] = 2, 1
	got := InterfaceDropsFrom(map[string]vrrp.Counters{"eth1/ipv6": v6, "eth1": v4, "eth0": none})
	want := []InterfaceDrops{
		{Interface: "eth0", Family: "ipv4"},
		{Interface: "eth1", Family: "ipv4", Dropped: map[string]uint64{"ttl": 3}},
		{Interface: "eth1", Family: "ipv6", Dropped: map[string]uint64{"version": 2, "unknown_vrid": 1}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
