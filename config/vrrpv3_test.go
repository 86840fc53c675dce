package config

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestVRRPv3Config(t *testing.T) {
	cfg, _, diags := LoadFile(filepath.Join("testdata", "good", "vrrpv3.hcl"))
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", formatDiags(diags))
	}
	if cfg.Global.VRRPVersion != 3 {
		t.Errorf("vrrp_version %d", cfg.Global.VRRPVersion)
	}
	type inst struct {
		Name     string
		Version  uint8
		IPv6     bool
		Interval time.Duration
		VIPs     []string
		Src      string
		Peers    []string
		TTL      map[string]TTLRange
		Auth     AuthType
	}
	var got []inst
	for _, in := range cfg.Instances {
		g := inst{Name: in.Name, Version: in.Version, IPv6: in.IPv6, Interval: in.AdvertInterval, Auth: in.AuthType}
		for _, v := range in.VIPs {
			g.VIPs = append(g.VIPs, v.Prefix.String())
		}
		if in.UnicastSrcIP.IsValid() {
			g.Src = in.UnicastSrcIP.String()
		}
		for _, p := range in.UnicastPeers {
			g.Peers = append(g.Peers, p.String())
		}
		for a, r := range in.UnicastPeerTTL {
			if g.TTL == nil {
				g.TTL = map[string]TTLRange{}
			}
			g.TTL[a.String()] = r
		}
		got = append(got, g)
	}
	want := []inst{
		{Name: "web4", Version: 3, Interval: 100 * time.Millisecond, VIPs: []string{"192.0.2.50/24"}},
		{Name: "web6", Version: 3, IPv6: true, Interval: 100 * time.Millisecond,
			VIPs: []string{"2001:db8::50/64", "2001:db8::51/128"}, Src: "2001:db8::1",
			Peers: []string{"2001:db8::2", "2001:db8:1::2"}, TTL: map[string]TTLRange{"2001:db8:1::2": {Min: 250, Max: 255}}},
		{Name: "legacy", Version: 2, Interval: time.Second, VIPs: []string{"198.51.100.50/32"}, Auth: AuthPass},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("instances (-want +got):\n%s", d)
	}
}

// TestVRRPv3Defaults: without any version setting instances are VRRPv2,
// and IPv6 VIPs alone make an instance IPv6 and VRRPv3, as in keepalived.
func TestVRRPv3Defaults(t *testing.T) {
	src := []byte(`
vrrp_instance "v4" {
  interface         = "eth0"
  virtual_router_id = 1
  virtual_ipaddress = ["192.0.2.1"]
}
vrrp_instance "v6" {
  interface         = "eth0"
  virtual_router_id = 1
  advert_int        = 0.5
  virtual_ipaddress = ["2001:db8::1"]
}
`)
	cfg, diags := Parse(src, "defaults.hcl")
	if diags.HasErrors() {
		t.Fatalf("diagnostics:\n%s", formatDiags(diags))
	}
	if in := cfg.Instances[0]; in.Version != 2 || in.IPv6 {
		t.Errorf("v4: version %d, ipv6 %v", in.Version, in.IPv6)
	}
	if in := cfg.Instances[1]; in.Version != 3 || !in.IPv6 || in.AdvertInterval != 500*time.Millisecond ||
		in.VIPs[0].Prefix != netip.MustParsePrefix("2001:db8::1/128") {
		t.Errorf("v6: %+v", in)
	}
}
