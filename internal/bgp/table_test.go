package bgp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lbhad/lbhad/config"
)

var (
	pfx80 = netip.MustParsePrefix("192.0.2.80/32")
	pfx81 = netip.MustParsePrefix("192.0.2.81/32")
	pfx6  = netip.MustParsePrefix("2001:db8::80/128")
)

func svc(name string, known, quorum bool, ps ...netip.Prefix) Service {
	return Service{Name: name, Prefixes: ps, Known: known, Quorum: quorum}
}

// TestTable steps one table through every transition the daemon
// drives: quorum, two services on one address, maintenance, stopping,
// removal from the config.
func TestTable(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	steps := []struct {
		name string
		in   Input
		want []Change
		// announced after the step
		announced []netip.Prefix
	}{
		{"quorum not known yet: nothing", Input{Services: []Service{svc("web", false, false, pfx80)}}, nil, nil},
		{"quorum up: announce", Input{Services: []Service{svc("web", true, true, pfx80)}},
			[]Change{{pfx80, true, ReasonQuorumUp}}, []netip.Prefix{pfx80}},
		{"same input: no change", Input{Services: []Service{svc("web", true, true, pfx80)}}, nil, []netip.Prefix{pfx80}},
		{"second service on the same address without quorum: still announced",
			Input{Services: []Service{svc("web", true, true, pfx80), svc("tls", true, false, pfx80), svc("dns", true, true, pfx81, pfx6)}},
			[]Change{{pfx81, true, ReasonQuorumUp}, {pfx6, true, ReasonQuorumUp}}, []netip.Prefix{pfx80, pfx81, pfx6}},
		{"web loses quorum, tls has none: withdraw",
			Input{Services: []Service{svc("web", true, false, pfx80), svc("tls", true, false, pfx80), svc("dns", true, true, pfx81, pfx6)}},
			[]Change{{pfx80, false, ReasonQuorumDown}}, []netip.Prefix{pfx81, pfx6}},
		{"tls regains quorum: announce",
			Input{Services: []Service{svc("web", true, false, pfx80), svc("tls", true, true, pfx80), svc("dns", true, true, pfx81, pfx6)}},
			[]Change{{pfx80, true, ReasonQuorumUp}}, []netip.Prefix{pfx80, pfx81, pfx6}},
		{"director maintenance: withdraw all",
			Input{Services: []Service{svc("tls", true, true, pfx80), svc("dns", true, true, pfx81, pfx6)}, DirectorMaint: true},
			[]Change{{pfx80, false, ReasonMaint}, {pfx81, false, ReasonMaint}, {pfx6, false, ReasonMaint}}, nil},
		{"maintenance off: announce again",
			Input{Services: []Service{svc("tls", true, true, pfx80), svc("dns", true, true, pfx81, pfx6)}},
			[]Change{{pfx80, true, ReasonQuorumUp}, {pfx81, true, ReasonQuorumUp}, {pfx6, true, ReasonQuorumUp}}, []netip.Prefix{pfx80, pfx81, pfx6}},
		{"dns leaves the config: withdraw its routes",
			Input{Services: []Service{svc("tls", true, true, pfx80)}},
			[]Change{{pfx81, false, ReasonRemoved}, {pfx6, false, ReasonRemoved}}, []netip.Prefix{pfx80}},
		{"stopping wins over quorum", Input{Services: []Service{svc("tls", true, true, pfx80)}, Stopping: true, DirectorMaint: true},
			[]Change{{pfx80, false, ReasonStopping}}, nil},
	}
	var tb Table
	for i, st := range steps {
		now := t0.Add(time.Duration(i) * time.Second)
		got := tb.Update(now, st.in)
		if diff := cmp.Diff(st.want, got, cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
			t.Errorf("step %d %q: changes (-want +got):\n%s", i, st.name, diff)
		}
		if diff := cmp.Diff(st.announced, tb.Announced(), cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
			t.Errorf("step %d %q: announced (-want +got):\n%s", i, st.name, diff)
		}
		for _, c := range got {
			for _, r := range tb.Routes() {
				if r.Prefix == c.Prefix && (!r.Since.Equal(now) || r.Reason != c.Reason) {
					t.Errorf("step %d: route %v since %v reason %q, want %v %q", i, r.Prefix, r.Since, r.Reason, now, c.Reason)
				}
			}
		}
	}
}

// A withdrawn route says why it stays withdrawn without a new change.
func TestTableWithdrawnReason(t *testing.T) {
	var tb Table
	now := time.Unix(0, 0)
	tb.Update(now, Input{Services: []Service{svc("web", false, false, pfx80)}})
	if r := tb.Routes()[0]; r.Reason != ReasonNoQuorum || r.Announced {
		t.Fatalf("route %+v", r)
	}
	if ch := tb.Update(now, Input{Services: []Service{svc("web", true, false, pfx80)}}); len(ch) != 0 {
		t.Fatalf("changes %v", ch)
	}
	if r := tb.Routes()[0]; r.Reason != ReasonQuorumDown {
		t.Errorf("reason %q, want %q", r.Reason, ReasonQuorumDown)
	}
}

func TestServicesOf(t *testing.T) {
	cfg := &config.Config{VirtualServers: []*config.VirtualServer{
		{Name: "web", Address: netip.MustParseAddrPort("192.0.2.80:80"), Announce: true},
		{Name: "quiet", Address: netip.MustParseAddrPort("192.0.2.99:80")},
		{Name: "v6", Address: netip.MustParseAddrPort("[2001:db8::80]:80"), Announce: true},
	}}
	want := []Service{{Name: "web", Prefixes: []netip.Prefix{pfx80}}, {Name: "v6", Prefixes: []netip.Prefix{pfx6}}}
	if diff := cmp.Diff(want, ServicesOf(cfg), cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
		t.Error(diff)
	}
}
