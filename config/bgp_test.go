package config

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

func TestBGPGood(t *testing.T) {
	cfg, _, diags := LoadFile(filepath.Join("testdata", "good", "bgp.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := &BGP{
		ASN: 64512, RouterID: netip.MustParseAddr("192.0.2.1"), WithdrawWait: 500 * time.Millisecond, IPVSSloppy: true,
		Neighbors: []*BGPNeighbor{
			{Name: "r1", Address: netip.MustParseAddr("192.0.2.254"), Port: 179, RemoteASN: 64500,
				HoldTime: 9 * time.Second, Keepalive: 3 * time.Second, Password: "s3cret"},
			{Name: "r2", Address: netip.MustParseAddr("198.51.100.254"), Port: 1179, RemoteASN: 64500,
				HoldTime: 90 * time.Second, Keepalive: 10 * time.Second, Multihop: 2},
		},
	}
	if diff := cmp.Diff(want, cfg.BGP, cmpopts.IgnoreTypes(hcl.Range{}), cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("bgp (-want +got):\n%s", diff)
	}
	if !cfg.VirtualServers[0].Announce {
		t.Error("announce = true was not kept")
	}
}

func TestServiceAddrs(t *testing.T) {
	a := netip.MustParseAddrPort
	for _, tc := range []struct {
		name string
		vs   *VirtualServer
		want []netip.Addr
	}{
		{"address", &VirtualServer{Address: a("192.0.2.80:80")}, []netip.Addr{netip.MustParseAddr("192.0.2.80")}},
		{"fwmark", &VirtualServer{FWMark: 7}, nil},
		{"group, one address twice, a fwmark", &VirtualServer{Address: a("192.0.2.80:80"), Members: []GroupMember{
			{Address: a("192.0.2.80:80")}, {Address: a("192.0.2.80:443")}, {FWMark: 3}, {Address: a("[2001:db8::80]:80")},
		}}, []netip.Addr{netip.MustParseAddr("192.0.2.80"), netip.MustParseAddr("2001:db8::80")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ServiceAddrs(tc.vs), cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Error(diff)
			}
		})
	}
}

// The bgp rules each have a bad file (TestParseBad checks the goldens).
func TestBGPBadCoverage(t *testing.T) {
	var all string
	for _, f := range []string{"bgp", "bgp_missing", "announce_nobgp"} {
		_, _, diags := LoadFile(filepath.Join("testdata", "bad", f+".hcl"))
		all += formatDiags(diags)
	}
	for _, r := range []string{"Invalid asn", "Invalid bgp router_id", "Invalid hold_time", "Invalid keepalive",
		"Duplicate neighbor name", "Duplicate neighbor address", "bgp without neighbor",
		"announce without bgp", "announce without an address"} {
		if !regexpContains(all, ": "+r+"; ") {
			t.Errorf("no bad file produces %q", r)
		}
	}
}

func regexpContains(s, sub string) bool { return strings.Contains(s, sub) }

// ipvs_sloppy defaults to true (ECMP needs it) and can be turned off
// for operators who manage the IPVS sysctls themselves.
func TestBGPIPVSSloppy(t *testing.T) {
	for _, tc := range []struct {
		attr string
		want bool
	}{{"", true}, {"ipvs_sloppy = true", true}, {"ipvs_sloppy = false", false}} {
		t.Run(tc.attr, func(t *testing.T) {
			src := `bgp {
  asn       = 64512
  router_id = "192.0.2.1"
  ` + tc.attr + `
  neighbor "r1" {
    address    = "192.0.2.254"
    remote_asn = 64500
  }
}
`
			cfg, diags := Parse([]byte(src), "sloppy.hcl")
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if cfg.BGP.IPVSSloppy != tc.want {
				t.Errorf("IPVSSloppy = %v, want %v", cfg.BGP.IPVSSloppy, tc.want)
			}
		})
	}
}
