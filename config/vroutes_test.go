package config

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseVirtualRoute(t *testing.T) {
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	for _, tc := range []struct {
		in      string
		want    VirtualRoute
		wantErr string
	}{
		{in: "192.0.2.0/24 via 198.51.100.1 dev eth1", want: VirtualRoute{Dst: p("192.0.2.0/24"), Via: a("198.51.100.1"), Dev: "eth1", Protocol: 18}},
		{in: "src 192.0.2.10 to 203.0.113.0/24 via 192.0.2.254 dev eth1 table 100 metric 5 scope link protocol static no_track",
			want: VirtualRoute{Dst: p("203.0.113.0/24"), Src: a("192.0.2.10"), Via: a("192.0.2.254"), Dev: "eth1", Table: 100, Metric: 5, Scope: 253, Protocol: 4}},
		{in: "0.0.0.0/0 gw 192.0.2.1 table 100", want: VirtualRoute{Dst: p("0.0.0.0/0"), Via: a("192.0.2.1"), Table: 100, Protocol: 18}},
		{in: "default via 2001:db8::1", want: VirtualRoute{Dst: p("::/0"), Via: a("2001:db8::1"), Protocol: 18}},
		{in: "blackhole 203.0.113.0/24", want: VirtualRoute{Type: RouteBlackhole, Dst: p("203.0.113.0/24"), Protocol: 18}},
		{in: "unreachable 2001:db8:1::/48 table main", want: VirtualRoute{Type: RouteUnreachable, Dst: p("2001:db8:1::/48"), Table: 254, Protocol: 18}},
		{in: "192.0.2.7 dev eth0", want: VirtualRoute{Dst: p("192.0.2.7/32"), Dev: "eth0", Protocol: 18}},
		{in: "192.0.2.9/24 dev eth0", want: VirtualRoute{Dst: p("192.0.2.0/24"), Dev: "eth0", Protocol: 18}},
		{in: "192.0.2.0/24 oif eth2 protocol static", want: VirtualRoute{Dst: p("192.0.2.0/24"), Dev: "eth2", Protocol: 18}},
		{in: "192.0.2.0/24", wantErr: "needs via or dev"},
		{in: "via 192.0.2.1", wantErr: "no destination"},
		{in: "192.0.2.0/24 via 2001:db8::1", wantErr: "not of the destination's family"},
		{in: "blackhole 192.0.2.0/24 dev eth0", wantErr: "takes no via or dev"},
		{in: "192.0.2.0/24 via 192.0.2.1 or 192.0.2.2", wantErr: `option "or"`},
		{in: "192.0.2.0/24 nexthop via 192.0.2.1", wantErr: `option "nexthop"`},
		{in: "192.0.2.0/24 via 192.0.2.1 mtu 1400", wantErr: `option "mtu"`},
		{in: "192.0.2.0/24 via 192.0.2.1 table mytable", wantErr: "named tables"},
		{in: "192.0.2.0/24 via 192.0.2.1 frobnicate 3", wantErr: `unknown option "frobnicate"`},
		{in: "192.0.2.0/24 via", wantErr: "via needs a value"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseVirtualRoute(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got, cmp.Comparer(func(x, y netip.Addr) bool { return x == y }), cmp.Comparer(func(x, y netip.Prefix) bool { return x == y })); d != "" {
				t.Errorf("-want +got:\n%s", d)
			}
		})
	}
}

func TestParseVirtualRule(t *testing.T) {
	p := netip.MustParsePrefix
	for _, tc := range []struct {
		in      string
		want    VirtualRule
		wantErr string
	}{
		{in: "from 192.0.2.0/24 table 100 preference 100", want: VirtualRule{From: p("192.0.2.0/24"), Table: 100, Priority: 100}},
		{in: "to 2001:db8::/32 lookup 7 priority 9 no_track", want: VirtualRule{IPv6: true, To: p("2001:db8::/32"), Table: 7, Priority: 9}},
		{in: "from all iif eth1 oif eth2 fwmark 0x10/0xff table main pref 5", want: VirtualRule{IIF: "eth1", OIF: "eth2", FWMark: 16, FWMask: 255, Table: 254, Priority: 5}},
		{in: "inet6 fwmark 3 table 3 preference 3", want: VirtualRule{IPv6: true, FWMark: 3, Table: 3, Priority: 3}},
		{in: "from 192.0.2.0/24 table 1", wantErr: "needs a preference"},
		{in: "from 192.0.2.0/24 preference 1", wantErr: "needs a table"},
		{in: "from 192.0.2.0/24 to 2001:db8::/32 table 1 preference 1", wantErr: "different families"},
		{in: "from 192.0.2.0/24 goto 40 preference 1", wantErr: `option "goto"`},
		{in: "not from 192.0.2.0/24 table 1 preference 1", wantErr: `option "not"`},
		{in: "from 192.0.2.0/24 table 1 preference 1 bogus 2", wantErr: `unknown option "bogus"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseVirtualRule(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got, cmp.Comparer(func(x, y netip.Prefix) bool { return x == y })); d != "" {
				t.Errorf("-want +got:\n%s", d)
			}
		})
	}
}

func TestParseVIPOptions(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    VIP
		wantErr string
	}{
		{in: "192.0.2.1/24 brd 192.0.2.255 dev eth1 scope global label eth1:1",
			want: VIP{Prefix: netip.MustParsePrefix("192.0.2.1/24"), Dev: "eth1", Label: "eth1:1", Broadcast: netip.MustParseAddr("192.0.2.255")}},
		{in: "192.0.2.1/24 brd +", want: VIP{Prefix: netip.MustParsePrefix("192.0.2.1/24"), Broadcast: netip.MustParseAddr("192.0.2.255")}},
		{in: "192.0.2.1/26 brd -", want: VIP{Prefix: netip.MustParsePrefix("192.0.2.1/26"), Broadcast: netip.MustParseAddr("192.0.2.0")}},
		{in: "192.0.2.1 scope host", want: VIP{Prefix: netip.MustParsePrefix("192.0.2.1/32"), Scope: 254}},
		{in: "2001:db8::1/64 scope link", want: VIP{Prefix: netip.MustParsePrefix("2001:db8::1/64"), Scope: 253}},
		{in: "2001:db8::1/64 brd +", wantErr: "IPv4 addresses only"},
		{in: "192.0.2.1/24 scope galaxy", wantErr: "scope"},
		{in: "192.0.2.1/24 brd 192.0.2.255 brd 192.0.2.255", wantErr: "repeated brd"},
		{in: "192.0.2.1/24 peer 192.0.2.2", wantErr: `unknown option "peer"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseVIP(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestInstanceVirtualRoutesConfig: the keywords load into the instance,
// excluded VIPs of the other family do not make the instance IPv6, and
// a bad entry is an error at the attribute.
func TestInstanceVirtualRoutesConfig(t *testing.T) {
	src := `
vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.50/24"]
  virtual_ipaddress_excluded = ["2001:db8::50/64", "198.51.100.50 dev eth1"]
  virtual_routes = ["198.51.100.0/24 via 192.0.2.254 table 100", "blackhole 203.0.113.0/24"]
  virtual_rules = ["from 192.0.2.50 table 100 preference 100"]
}
`
	cfg, diags := Parse([]byte(src), "t.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	in := cfg.Instances[0]
	if in.IPv6 || len(in.VIPs) != 1 || len(in.ExcludedVIPs) != 2 || in.ExcludedVIPs[1].Dev != "eth1" || in.ExcludedVIPs[0].Dev != "eth0" {
		t.Errorf("instance: IPv6 %v VIPs %v excluded %v", in.IPv6, in.VIPs, in.ExcludedVIPs)
	}
	if len(in.VirtualRoutes) != 2 || len(in.VirtualRules) != 1 || in.VirtualRules[0].From != netip.MustParsePrefix("192.0.2.50/32") {
		t.Errorf("routes %v rules %v", in.VirtualRoutes, in.VirtualRules)
	}

	bad := strings.Replace(src, `"blackhole 203.0.113.0/24"`, `"blackhole 203.0.113.0/24 mtu 9000"`, 1)
	bad = strings.Replace(bad, `"2001:db8::50/64"`, `"192.0.2.50"`, 1)
	_, diags = Parse([]byte(bad), "t.hcl")
	var got []string
	for _, d := range diags {
		got = append(got, d.Subject.String()+" "+d.Summary)
	}
	want := []string{"t.hcl:6,32-72 Duplicate virtual_ipaddress_excluded", "t.hcl:7,20-102 Invalid virtual_routes"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("diagnostics -want +got:\n%s", d)
	}
}

// FuzzParseVirtualRoute: any entry is parsed or refused, never a panic,
// and an accepted route is of one family with what it needs (via or dev
// for unicast, neither for the other types).
func FuzzParseVirtualRoute(f *testing.F) {
	for _, s := range []string{
		"192.0.2.0/24 via 198.51.100.1 dev eth1", "blackhole 203.0.113.0/24", "default via 2001:db8::1",
		"src 192.0.2.10 to 203.0.113.0/24 via 192.0.2.254 dev eth1 table 100 metric 5 scope link protocol static no_track",
		"inet6 default dev eth0", "0.0.0.0/0 gw 192.0.2.1 table main", "via", "to to to",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseVirtualRoute(s)
		if err != nil {
			return
		}
		fam6 := r.Dst.Addr().Is6()
		for _, a := range []netip.Addr{r.Via, r.Src} {
			if a.IsValid() && a.Is6() != fam6 {
				t.Fatalf("%q: mixed families %+v", s, r)
			}
		}
		if (r.Type == RouteUnicast) != (r.Via.IsValid() || r.Dev != "") {
			t.Fatalf("%q: type %v with via %v dev %q", s, r.Type, r.Via, r.Dev)
		}
	})
}

// FuzzParseVirtualRule: parsed or refused, never a panic; an accepted
// rule has a table and one family.
func FuzzParseVirtualRule(f *testing.F) {
	for _, s := range []string{
		"from 192.0.2.0/24 table 100 preference 100", "to 2001:db8::/32 lookup 7 priority 9",
		"from all iif eth1 oif eth2 fwmark 0x10/0xff table main pref 5", "inet6 fwmark 3 table 3 preference 3", "table",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseVirtualRule(s)
		if err != nil {
			return
		}
		if r.Table == 0 {
			t.Fatalf("%q: no table", s)
		}
		for _, p := range []netip.Prefix{r.From, r.To} {
			if p.IsValid() && p.Addr().Is6() != r.IPv6 {
				t.Fatalf("%q: prefix %v in a rule of the other family", s, p)
			}
		}
	})
}
