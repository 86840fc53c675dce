package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTunnelAndSorrySettings(t *testing.T) {
	src := `
virtual_server "gue" {
  address   = "192.0.2.50:80"
  lb_kind   = "TUN"
  tun_type  = "gue"
  tun_port  = 6080
  tun_flags = "csum"
  sorry_server            = "198.51.100.99:80"
  sorry_server_inhibit    = true
  sorry_server_lvs_method = "DR"
  real_server "inherits" { address = "198.51.100.10:80" }
  real_server "gre" {
    address   = "198.51.100.11:80"
    tun_type  = "gre"
    tun_flags = "nocsum"
  }
  real_server "own_kind" {
    address = "198.51.100.12:80"
    lb_kind = "TUN"
  }
  real_server "nat" {
    address = "198.51.100.13:8080"
    lb_kind = "NAT"
  }
}

virtual_server "plain" {
  address      = "192.0.2.51:80"
  lb_kind      = "TUN"
  ha_suspend   = true
  sorry_server = "198.51.100.98:80"
  real_server "a" { address = "198.51.100.10:80" }
}
`
	cfg, diags := Parse([]byte(src), "tun.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	gue := Tunnel{Type: TunnelGUE, Port: 6080, Checksum: TunnelCsum}
	v := cfg.VirtualServers[0]
	type got struct {
		VS, Sorry    Tunnel
		SorryKind    ForwardKind
		SorryInhibit bool
		RS           []Tunnel
		Kinds        []ForwardKind
	}
	g := got{VS: v.Tunnel, Sorry: v.SorryTunnel, SorryKind: v.SorryKind, SorryInhibit: v.SorryInhibit}
	for _, rs := range v.RealServers {
		g.RS = append(g.RS, rs.Tunnel)
		g.Kinds = append(g.Kinds, rs.Kind)
	}
	want := got{
		VS: gue, Sorry: Tunnel{}, SorryKind: KindDR, SorryInhibit: true,
		// A real server takes the virtual server's tunnel unless it names
		// its own lb_kind or tunnel; a NAT one has none.
		RS:    []Tunnel{gue, {Type: TunnelGRE}, {}, {}},
		Kinds: []ForwardKind{KindTUN, KindTUN, KindTUN, KindNAT},
	}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("gue virtual server (-want +got):\n%s", diff)
	}
	p := cfg.VirtualServers[1]
	if !p.HASuspend || v.HASuspend {
		t.Errorf("ha_suspend: %v and %v, want true for plain only", p.HASuspend, v.HASuspend)
	}
	if p.SorryKind != KindTUN || p.SorryTunnel != (Tunnel{}) || p.SorryInhibit || p.RealServers[0].Tunnel != (Tunnel{}) {
		t.Errorf("plain TUN: sorry %v %+v inhibit %v, rs %+v", p.SorryKind, p.SorryTunnel, p.SorryInhibit, p.RealServers[0].Tunnel)
	}
}
