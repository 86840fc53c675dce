//go:build linux

package vrrp

import (
	"errors"
	"net/netip"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lbhad/lbhad/internal/netnstest"
	"github.com/vishvananda/netlink"
)

// addrsOn lists "addr/len label" for every IPv4 address on name.
func addrsOn(t *testing.T, name string) []string {
	t.Helper()
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	as, err := netlink.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range as {
		out = append(out, a.IPNet.String()+" "+a.Label)
	}
	sort.Strings(out)
	return out
}

func TestAddrManager(t *testing.T) {
	netnstest.InNewNetns(t, func() {
		netnstest.Veth(t, netnstest.End{Name: "va0", Addr: addrA}, netnstest.End{Name: "va1"})
		netnstest.AddAddr(t, "va0", netip.MustParsePrefix("192.0.2.51/24")) // someone else's
		m, err := NewAddrManager(nil)
		if err != nil {
			netnstest.SkipOrFail(t, err)
		}
		defer m.Close()

		vip := VIPAddr{Prefix: netip.MustParsePrefix("192.0.2.50/24"), Dev: "va0", Label: "va0:vip"}
		others := []string{"192.0.2.11/24 va0", "192.0.2.51/24 va0"}

		for i := range 2 { // the second add must be a no-op, not an error
			if err := m.Add(vip); err != nil {
				t.Fatalf("Add #%d: %v", i+1, err)
			}
		}
		want := append([]string{"192.0.2.50/24 va0:vip"}, others...)
		sort.Strings(want)
		if diff := cmp.Diff(want, addrsOn(t, "va0")); diff != "" {
			t.Errorf("after Add (-want +got):\n%s", diff)
		}
		present := func(v VIPAddr) bool {
			t.Helper()
			ok, err := m.Present(v)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !present(vip) {
			t.Error("Present(vip) = false after Add")
		}
		if present(VIPAddr{Prefix: netip.MustParsePrefix("192.0.2.50/32"), Dev: "va0"}) {
			t.Error("Present matched another prefix length")
		}

		// Removing the same IP with another prefix length or label must
		// leave the address alone, without error.
		for _, v := range []VIPAddr{
			{Prefix: netip.MustParsePrefix("192.0.2.50/32"), Dev: "va0"},
			{Prefix: vip.Prefix, Dev: "va0", Label: "va0:other"},
		} {
			if err := m.Remove(v); err != nil {
				t.Errorf("Remove(%+v): %v", v, err)
			}
		}
		if !present(vip) {
			t.Fatal("a near-miss Remove took the VIP away")
		}

		for i := range 2 { // the second remove must be a no-op
			if err := m.Remove(vip); err != nil {
				t.Fatalf("Remove #%d: %v", i+1, err)
			}
		}
		if diff := cmp.Diff(others, addrsOn(t, "va0")); diff != "" {
			t.Errorf("after Remove (-want +got):\n%s", diff)
		}
		if present(vip) {
			t.Error("Present(vip) = true after Remove")
		}

		// Gone device: removal is done, adding is an error.
		gone := VIPAddr{Prefix: vip.Prefix, Dev: "nosuch0"}
		if err := m.Remove(gone); err != nil {
			t.Errorf("Remove on missing device: %v", err)
		}
		if err := m.Add(gone); err == nil {
			t.Error("Add on missing device succeeded")
		}
		bad := VIPAddr{Prefix: vip.Prefix, Dev: "va0", Label: "eth0:vip"}
		if err := m.Add(bad); !errors.Is(err, ErrVIPLabel) {
			t.Errorf("Add with foreign label: err = %v, want ErrVIPLabel", err)
		}
	})
}

// A VIP whose device was renamed away (while up, which Linux allows) is
// still removed: the device and the address are still on the wire, and
// the instance, following the name, has left master.
func TestAddrManagerRemovesFromRenamedDevice(t *testing.T) {
	netnstest.InNewNetns(t, func() {
		netnstest.Veth(t, netnstest.End{Name: "vr0", Addr: addrA}, netnstest.End{Name: "vr1"})
		m, err := NewAddrManager(nil)
		if err != nil {
			netnstest.SkipOrFail(t, err)
		}
		defer m.Close()
		vip := VIPAddr{Prefix: netip.MustParsePrefix("192.0.2.50/24"), Dev: "vr0"}
		if err := m.Add(vip); err != nil {
			t.Fatal(err)
		}
		l, err := netlink.LinkByName("vr0")
		if err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkSetName(l, "away0"); err != nil {
			t.Fatal(err)
		}
		if err := m.Remove(vip); err != nil {
			t.Fatalf("Remove after rename: %v", err)
		}
		if diff := cmp.Diff([]string{"192.0.2.11/24 away0"}, addrsOn(t, "away0")); diff != "" {
			t.Errorf("addresses on the renamed device (-want +got):\n%s", diff)
		}
	})
}

// linkByName finds a device's index with one ioctl and, for a device
// that is not there, answers as LinkByName does (LinkNotFoundError), so
// Remove still treats a missing device as done.
func TestAddrManagerLinkByName(t *testing.T) {
	netnstest.InNewNetns(t, func() {
		netnstest.Veth(t, netnstest.End{Name: "vl0", Addr: addrA}, netnstest.End{Name: "vl1"})
		m, err := NewAddrManager(nil)
		if err != nil {
			netnstest.SkipOrFail(t, err)
		}
		defer m.Close()
		if m.ifreq < 0 {
			t.Fatal("no socket for SIOCGIFINDEX")
		}
		want, err := netlink.LinkByName("vl0")
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.linkByName("vl0")
		if err != nil || got.Attrs().Index != want.Attrs().Index || got.Attrs().Name != "vl0" {
			t.Errorf("linkByName(vl0) = %+v, %v; want index %d", got, err, want.Attrs().Index)
		}
		if _, err := m.linkByName("nosuchdev0"); !errors.As(err, new(netlink.LinkNotFoundError)) {
			t.Errorf("linkByName(nosuchdev0) error %v, want a LinkNotFoundError", err)
		}
		if _, err := m.linkByName("a-name-longer-than-ifnamsiz"); !errors.As(err, new(netlink.LinkNotFoundError)) {
			t.Errorf("linkByName(long name) error %v, want a LinkNotFoundError", err)
		}
		if err := m.Remove(VIPAddr{Prefix: netip.MustParsePrefix("192.0.2.50/32"), Dev: "nosuchdev0"}); err != nil {
			t.Errorf("Remove from a missing device: %v", err)
		}
	})
}
