//go:build linux

package vrrp

import (
	"net/netip"
	"sort"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lbhad/lbhad/internal/netnstest"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// routesIn lists "dst proto scope type" of the IPv4 routes of table.
func routesIn(t *testing.T, table int) []string {
	t.Helper()
	rs, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: table}, netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		if r.Protocol == unix.RTPROT_KERNEL {
			continue // the interface's own prefix route
		}
		s := r.Dst.String() + " proto " + r.Protocol.String()
		if r.Gw != nil {
			s += " via " + r.Gw.String()
		}
		if r.Src != nil {
			s += " src " + r.Src.String()
		}
		if r.Type == unix.RTN_BLACKHOLE {
			s = "blackhole " + s
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// rulesAt lists "pref table from" of the IPv4 rules with preference
// 100-199 (the test's).
func rulesAt(t *testing.T) []string {
	t.Helper()
	rs, err := netlink.RuleList(netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		if r.Priority < 100 || r.Priority > 199 {
			continue
		}
		s := "all"
		if r.Src != nil {
			s = r.Src.String()
		}
		out = append(out, s+" table "+itoa(r.Table)+" pref "+itoa(r.Priority))
	}
	sort.Strings(out)
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestRouteManager: routes and rules go in with keepalived's defaults
// (proto 18), adding twice and removing twice are no-ops, and a
// removal leaves another route to the same destination alone.
func TestRouteManager(t *testing.T) {
	netnstest.InNewNetns(t, func() {
		netnstest.Veth(t, netnstest.End{Name: "va0", Addr: addrA}, netnstest.End{Name: "va1"})
		m, err := NewAddrManager(nil)
		if err != nil {
			netnstest.SkipOrFail(t, err)
		}
		defer m.Close()
		vip := VIPAddr{Prefix: netip.MustParsePrefix("192.0.2.50/24"), Dev: "va0"}
		if err := m.Add(vip); err != nil {
			t.Fatal(err)
		}
		routes := []VRoute{
			{Dst: netip.MustParsePrefix("198.51.100.0/24"), Via: netip.MustParseAddr("192.0.2.254"), Dev: "va0", Table: 100, Protocol: 18},
			{Dst: netip.MustParsePrefix("203.0.113.0/24"), Src: vip.Prefix.Addr(), Dev: "va0", Protocol: 18},
			{Type: RouteBlackhole, Dst: netip.MustParsePrefix("203.0.113.128/25"), Protocol: 18},
		}
		rule := VRule{From: netip.MustParsePrefix("192.0.2.50/32"), Table: 100, Priority: 100}
		for i := range 2 {
			for _, r := range routes {
				if err := m.AddRoute(r); err != nil {
					t.Fatalf("AddRoute #%d %v: %v", i+1, r.Dst, err)
				}
			}
			if err := m.AddRule(rule); err != nil {
				t.Fatalf("AddRule #%d: %v", i+1, err)
			}
		}
		wantMain := []string{"203.0.113.0/24 proto 18 src 192.0.2.50", "blackhole 203.0.113.128/25 proto 18"}
		sort.Strings(wantMain)
		if d := cmp.Diff(wantMain, routesIn(t, unix.RT_TABLE_MAIN)); d != "" {
			t.Errorf("main table (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]string{"198.51.100.0/24 proto 18 via 192.0.2.254"}, routesIn(t, 100)); d != "" {
			t.Errorf("table 100 (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]string{"192.0.2.50/32 table 100 pref 100"}, rulesAt(t)); d != "" {
			t.Errorf("rules (-want +got):\n%s", d)
		}

		// Someone else's route to the same destination, another protocol.
		other := &netlink.Route{Dst: ipNet(netip.MustParsePrefix("198.51.100.0/24")), Gw: netip.MustParseAddr("192.0.2.253").AsSlice(), Table: 100, Protocol: unix.RTPROT_STATIC, Priority: 5}
		if err := netlink.RouteAdd(other); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if err := m.RemoveRule(rule); err != nil {
				t.Fatalf("RemoveRule #%d: %v", i+1, err)
			}
			for _, r := range routes {
				if err := m.RemoveRoute(r); err != nil {
					t.Fatalf("RemoveRoute #%d %v: %v", i+1, r.Dst, err)
				}
			}
		}
		if got := routesIn(t, unix.RT_TABLE_MAIN); len(got) != 0 {
			t.Errorf("main table after removal: %v", got)
		}
		if d := cmp.Diff([]string{"198.51.100.0/24 proto static via 192.0.2.253"}, routesIn(t, 100)); d != "" {
			t.Errorf("table 100 after removal (-want +got):\n%s", d)
		}
		if got := rulesAt(t); len(got) != 0 {
			t.Errorf("rules after removal: %v", got)
		}
	})
}
