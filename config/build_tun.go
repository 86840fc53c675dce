package config

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// TunnelType is the encapsulation of lb_kind TUN: keepalived's
// `lvs_method TUN type ipip|gue|gre`, ipvsadm's --tun-type.
type TunnelType int

// Tunnel types. IPIP is the kernel's only one before Linux 5.2; GUE needs
// 5.2 and GRE 5.3.
const (
	TunnelIPIP TunnelType = iota
	TunnelGUE
	TunnelGRE
)

func (t TunnelType) String() string {
	switch t {
	case TunnelGUE:
		return "gue"
	case TunnelGRE:
		return "gre"
	}
	return "ipip"
}

// TunnelChecksum is the checksum option of a GUE or GRE tunnel
// (keepalived's nocsum|csum|remcsum).
type TunnelChecksum int

// Checksum options; remote checksum offload is GUE only.
const (
	TunnelNoCsum TunnelChecksum = iota
	TunnelCsum
	TunnelRemCsum
)

func (c TunnelChecksum) String() string {
	switch c {
	case TunnelCsum:
		return "csum"
	case TunnelRemCsum:
		return "remcsum"
	}
	return "nocsum"
}

// Tunnel is how a TUN destination encapsulates: the zero value is plain
// IPIP.
type Tunnel struct {
	Type     TunnelType
	Port     uint16 // GUE's UDP port; 0 for the others
	Checksum TunnelChecksum
}

// tunnel builds tun_type, tun_port and tun_flags for a destination that
// forwards with kind; inherit is the result when none of them is written
// (a real server takes the virtual server's tunnel unless it names its
// own lb_kind, as keepalived's lvs_method sets method and tunnel at once).
// Each must go with lb_kind TUN; tun_port goes with (and only with) gue;
// tun_flags with gue or gre, remcsum with gue alone, as the kernel and
// keepalived 2.2.7 have it.
func (b *builder) tunnel(kind ForwardKind, typ, port, flags hcl.Expression, inherit Tunnel) Tunnel {
	if !present(typ) && !present(port) && !present(flags) {
		if kind != KindTUN {
			return Tunnel{}
		}
		return inherit
	}
	var t Tunnel
	for _, e := range []hcl.Expression{typ, port, flags} {
		if present(e) && kind != KindTUN {
			b.errorf(e.Range(), "Tunnel setting without TUN", "tun_type, tun_port and tun_flags describe the encapsulation of lb_kind \"TUN\"; this one forwards with %s.", strings.ToUpper(kind.String()))
			return Tunnel{}
		}
	}
	if s, ok := b.str(typ, "tun_type"); ok {
		switch strings.ToLower(s) {
		case "ipip":
		case "gue":
			t.Type = TunnelGUE
		case "gre":
			t.Type = TunnelGRE
		default:
			b.errorf(typ.Range(), "Unknown tun_type", "tun_type must be \"ipip\", \"gue\" or \"gre\"; %q is none of them.", s)
			return Tunnel{}
		}
	}
	if n, ok := b.integer(port, "tun_port", 1, 65535); ok {
		if t.Type != TunnelGUE {
			b.errorf(port.Range(), "tun_port without gue", "Only a GUE tunnel is addressed to a UDP port; this tunnel is %s.", t.Type)
		}
		t.Port = uint16(n)
	} else if t.Type == TunnelGUE && !present(port) {
		b.errorf(typ.Range(), "Missing tun_port", "A GUE tunnel needs tun_port, the UDP port the real server decapsulates on (the kernel refuses a GUE destination without one).")
	}
	if s, ok := b.str(flags, "tun_flags"); ok {
		switch strings.ToLower(s) {
		case "nocsum":
		case "csum":
			t.Checksum = TunnelCsum
		case "remcsum":
			t.Checksum = TunnelRemCsum
		default:
			b.errorf(flags.Range(), "Unknown tun_flags", "tun_flags must be \"nocsum\", \"csum\" or \"remcsum\"; %q is none of them.", s)
		}
		switch {
		case t.Type == TunnelIPIP:
			b.errorf(flags.Range(), "tun_flags with ipip", "Checksum options exist for GUE and GRE tunnels only.")
		case t.Type == TunnelGRE && t.Checksum == TunnelRemCsum:
			b.errorf(flags.Range(), "remcsum without gue", "remcsum (remote checksum offload) exists for GUE tunnels only; GRE takes nocsum or csum.")
		}
	}
	return t
}

// sorryServer builds sorry_server_lvs_method and sorry_server_inhibit;
// both need a sorry_server. The sorry server forwards like the virtual
// server (tunnel included) unless told otherwise; told TUN, it uses
// plain IPIP, as a method named on its own does for a real server.
func (b *builder) sorryServer(r *rawVirtualServer, vs *VirtualServer) {
	vs.SorryKind, vs.SorryTunnel = vs.Kind, vs.Tunnel
	for _, e := range []hcl.Expression{r.SorryServerInhibit, r.SorryServerLVSMethod} {
		if present(e) && !present(r.SorryServer) {
			b.errorf(e.Range(), "Sorry-server setting without sorry_server", "sorry_server_inhibit and sorry_server_lvs_method describe the sorry server; this virtual_server has none.")
			return
		}
	}
	if k, ok := b.kind(r.SorryServerLVSMethod); ok {
		vs.SorryKind, vs.SorryTunnel = k, Tunnel{}
	}
	vs.SorryInhibit = b.boolDefault(r.SorryServerInhibit, "sorry_server_inhibit", false)
}

// haSuspend builds ha_suspend, which watches the virtual server's
// addresses: a firewall-mark service has none to watch.
func (b *builder) haSuspend(r *rawVirtualServer, vs *VirtualServer) {
	on := b.boolDefault(r.HASuspend, "ha_suspend", false)
	hasAddr := vs.Address.IsValid()
	for _, m := range vs.Members {
		hasAddr = hasAddr || m.Address.IsValid()
	}
	if on && !hasAddr {
		b.errorf(r.HASuspend.Range(), "ha_suspend without an address", "ha_suspend runs the checks while the virtual server's address is on this host; a firewall-mark service has no address to watch.")
		return
	}
	vs.HASuspend = on
}
