package realserver

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	vip4  = netip.MustParseAddr("192.0.2.50")
	vip4b = netip.MustParseAddr("192.0.2.51")
	vip6  = netip.MustParseAddr("2001:db8::50")
)

func p(s string) netip.Prefix { return netip.MustParsePrefix(s) }

var prefixCmp = cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })

// fresh is a host as it boots: lo with loopback, eth0, kernel defaults.
func fresh() State {
	return State{
		Links: []Link{
			{Name: "lo", Up: true, Addrs: []netip.Prefix{p("127.0.0.1/8"), p("::1/128")}},
			{Name: "eth0", Up: true, Addrs: []netip.Prefix{p("192.0.2.21/24")}},
		},
		Sysctl: map[string]string{
			"net.ipv4.conf.all.arp_ignore": "0", "net.ipv4.conf.all.arp_announce": "0", "net.ipv4.conf.all.rp_filter": "1",
			"net.ipv4.conf.lo.arp_ignore": "0", "net.ipv4.conf.lo.arp_announce": "0",
			"net.ipv4.conf.eth0.arp_ignore": "0", "net.ipv4.conf.eth0.arp_announce": "0", "net.ipv4.conf.eth0.rp_filter": "1",
		},
	}
}

// applied is what st becomes after steps, as the Linux adapter would
// leave it: the model the idempotence cases check against.
func applied(st State, steps []Step) State {
	out := State{Sysctl: map[string]string{}}
	for k, v := range st.Sysctl {
		out.Sysctl[k] = v
	}
	for _, l := range st.Links {
		l.Addrs = append([]netip.Prefix(nil), l.Addrs...)
		out.Links = append(out.Links, l)
	}
	idx := func(name string) int {
		for i, l := range out.Links {
			if l.Name == name {
				return i
			}
		}
		return -1
	}
	for _, s := range steps {
		switch {
		case s.EnsureLink != "":
			out.Links = append(out.Links, Link{Name: s.EnsureLink})
			out.Sysctl[SysctlKey(s.EnsureLink, "arp_ignore")] = "0"
			out.Sysctl[SysctlKey(s.EnsureLink, "arp_announce")] = "0"
			out.Sysctl[SysctlKey(s.EnsureLink, "rp_filter")] = "1"
		case s.SetUp != "":
			out.Links[idx(s.SetUp)].Up = true
		case s.AddAddr:
			i := idx(s.Link)
			out.Links[i].Addrs = append(out.Links[i].Addrs, s.Addr)
		case s.DelAddr:
			i := idx(s.Link)
			var keep []netip.Prefix
			for _, a := range out.Links[i].Addrs {
				if a != s.Addr {
					keep = append(keep, a)
				}
			}
			out.Links[i].Addrs = keep
		default:
			out.Sysctl[s.Key] = s.Value
		}
	}
	return out
}

func TestPlan(t *testing.T) {
	arpOn := []Step{
		{Key: "net.ipv4.conf.all.arp_ignore", Value: "1"}, {Key: "net.ipv4.conf.all.arp_announce", Value: "2"},
		{Key: "net.ipv4.conf.eth0.arp_ignore", Value: "1"}, {Key: "net.ipv4.conf.eth0.arp_announce", Value: "2"},
	}
	arpOff := []Step{
		{Key: "net.ipv4.conf.all.arp_ignore", Value: "0"}, {Key: "net.ipv4.conf.all.arp_announce", Value: "0"},
		{Key: "net.ipv4.conf.eth0.arp_ignore", Value: "0"}, {Key: "net.ipv4.conf.eth0.arp_announce", Value: "0"},
	}
	dr4 := Want{VIP: vip4, Mode: DR, On: true}
	tests := []struct {
		name string
		st   State
		w    Want
		want []Step
	}{
		{"dr on, fresh host", fresh(), dr4,
			append([]Step{{AddAddr: true, Link: "lo", Addr: p("192.0.2.50/32")}}, arpOn...)},
		{"dr on, twice: nothing", applied(fresh(), Plan(dr4, fresh())), dr4, nil},
		{"dr on, sysctls set by hand, VIP missing", applied(fresh(), arpOn), dr4,
			[]Step{{AddAddr: true, Link: "lo", Addr: p("192.0.2.50/32")}}},
		{"dr off after on: VIP and sysctls back", applied(fresh(), Plan(dr4, fresh())), Want{VIP: vip4, Mode: DR},
			append([]Step{{DelAddr: true, Link: "lo", Addr: p("192.0.2.50/32")}}, arpOff...)},
		{"dr off, fresh host: nothing", fresh(), Want{VIP: vip4, Mode: DR}, nil},
		{"dr off, another VIP stays: sysctls kept",
			applied(fresh(), append(Plan(dr4, fresh()), Step{AddAddr: true, Link: "lo", Addr: p("192.0.2.51/32")})),
			Want{VIP: vip4, Mode: DR},
			[]Step{{DelAddr: true, Link: "lo", Addr: p("192.0.2.50/32")}}},
		{"dr on, IPv6: lo only, no sysctls", fresh(), Want{VIP: vip6, Mode: DR, On: true},
			[]Step{{AddAddr: true, Link: "lo", Addr: p("2001:db8::50/128")}}},
		{"dr off, IPv6, IPv4 VIP stays", applied(fresh(), append(Plan(dr4, fresh()), Step{AddAddr: true, Link: "lo", Addr: p("2001:db8::50/128")})),
			Want{VIP: vip6, Mode: DR}, []Step{{DelAddr: true, Link: "lo", Addr: p("2001:db8::50/128")}}},
		{"tun on, no tunl0", fresh(), Want{VIP: vip4, Mode: TUN, On: true},
			append(append([]Step{{EnsureLink: "tunl0"}, {SetUp: "tunl0"}, {AddAddr: true, Link: "tunl0", Addr: p("192.0.2.50/32")}}, arpOn...),
				Step{Key: "net.ipv4.conf.tunl0.rp_filter", Value: "2"})},
		{"tun on, tunl0 down: no ARP sysctls on the NOARP tunnel", applied(fresh(), []Step{{EnsureLink: "tunl0"}}), Want{VIP: vip4, Mode: TUN, On: true},
			append(append([]Step{{SetUp: "tunl0"}, {AddAddr: true, Link: "tunl0", Addr: p("192.0.2.50/32")}}, arpOn...),
				Step{Key: "net.ipv4.conf.tunl0.rp_filter", Value: "2"})},
		{"tun on, IPv6: ip6tnl0, no sysctls", fresh(), Want{VIP: vip6, Mode: TUN, On: true},
			[]Step{{EnsureLink: "ip6tnl0"}, {SetUp: "ip6tnl0"}, {AddAddr: true, Link: "ip6tnl0", Addr: p("2001:db8::50/128")}}},
		{"dr off when the VIP is on tunl0: only the sysctls", applied(fresh(), Plan(Want{VIP: vip4b, Mode: TUN, On: true}, fresh())),
			Want{VIP: vip4b, Mode: DR}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Plan(tc.w, tc.st)
			if diff := cmp.Diff(tc.want, got, prefixCmp); diff != "" {
				t.Errorf("Plan (-want +got):\n%s", diff)
			}
			// Every plan reaches its goal: planning again finds nothing.
			if again := Plan(tc.w, applied(tc.st, got)); len(again) != 0 {
				t.Errorf("not idempotent: after applying, Plan still wants %v", again)
			}
		})
	}
}

func TestWantCheck(t *testing.T) {
	for _, s := range []string{"0.0.0.0", "127.0.0.2", "224.0.0.18", "fe80::1", "::1", "::"} {
		if err := (Want{VIP: netip.MustParseAddr(s), Mode: DR}).Check(); !errors.Is(err, ErrBadVIP) {
			t.Errorf("%s: Check = %v, want ErrBadVIP", s, err)
		}
	}
	if err := (Want{VIP: vip4, Mode: "nat"}).Check(); err == nil {
		t.Error("mode nat accepted")
	}
	for _, w := range []Want{{VIP: vip4, Mode: DR}, {VIP: vip6, Mode: TUN}} {
		if err := w.Check(); err != nil {
			t.Errorf("%v: %v", w, err)
		}
	}
}

func TestVIPs(t *testing.T) {
	st := applied(fresh(), append(Plan(Want{VIP: vip4, Mode: DR, On: true}, fresh()),
		Step{EnsureLink: "tunl0"}, Step{AddAddr: true, Link: "tunl0", Addr: p("192.0.2.51/32")}))
	want := []Want{{VIP: vip4, Mode: DR, On: true}, {VIP: vip4b, Mode: TUN, On: true}}
	if diff := cmp.Diff(want, VIPs(st), addrCmp); diff != "" {
		t.Errorf("VIPs (-want +got):\n%s", diff)
	}
}
