package config

import (
	"math"
	"net/netip"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Defaults of the bgp block. The hold time is RFC 4271's suggested 90s
// and the keepalive a third of it; withdraw_wait is how long a stopping
// director keeps forwarding after its withdrawal, for the routers to
// move the flows (a few BGP update rounds on a LAN).
const (
	defaultBGPHoldTime     = 90 * time.Second
	defaultBGPWithdrawWait = 2 * time.Second
	maxBGPHoldTime         = 65535 * time.Second // a 16-bit field of OPEN
)

// BGP is the bgp block: lbhad as a BGP speaker announcing the
// addresses of the virtual servers with announce = true as host routes.
type BGP struct {
	ASN      uint32
	RouterID netip.Addr // an IPv4 address, the BGP identifier
	// ListenPort is the TCP port for sessions routers open; 0 means
	// lbhad does not listen and only opens the sessions itself.
	ListenPort int
	// WithdrawWait is how long a stopping lbhad waits after withdrawing
	// its routes before it stops the rest (IPVS, VRRP).
	WithdrawWait time.Duration
	// IPVSSloppy turns on IPVS's sloppy_tcp (and sloppy_sctp when an
	// announced service is SCTP) before the first announcement, so a
	// director accepts a flow another director started after the router
	// rehashed it; mh then sends it to the same real server. false
	// leaves the settings to the operator. Default true.
	IPVSSloppy bool
	Neighbors  []*BGPNeighbor
	Range      hcl.Range
}

// BGPNeighbor is a neighbor block of bgp: one router lbhad peers with.
type BGPNeighbor struct {
	Name      string
	Address   netip.Addr
	Port      int // the router's port, default 179
	RemoteASN uint32
	HoldTime  time.Duration
	Keepalive time.Duration
	// Password is the TCP MD5 signature key (RFC 2385); "" is none.
	Password string
	// Multihop is the TTL of the session's packets for a router that is
	// not on a connected network; 0 is a directly connected one.
	Multihop int
	Range    hcl.Range
}

type rawBGP struct {
	ASN          hcl.Expression    `hcl:"asn"`
	RouterID     hcl.Expression    `hcl:"router_id"`
	ListenPort   hcl.Expression    `hcl:"listen_port,optional"`
	WithdrawWait hcl.Expression    `hcl:"withdraw_wait,optional"`
	IPVSSloppy   hcl.Expression    `hcl:"ipvs_sloppy,optional"`
	Neighbors    []*rawBGPNeighbor `hcl:"neighbor,block"`
	DefRange     hcl.Range         `hcl:",def_range"`
}

type rawBGPNeighbor struct {
	Name      string         `hcl:"name,label"`
	Address   hcl.Expression `hcl:"address"`
	Port      hcl.Expression `hcl:"port,optional"`
	RemoteASN hcl.Expression `hcl:"remote_asn"`
	HoldTime  hcl.Expression `hcl:"hold_time,optional"`
	Keepalive hcl.Expression `hcl:"keepalive,optional"`
	Password  hcl.Expression `hcl:"password,optional"`
	Multihop  hcl.Expression `hcl:"multihop,optional"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

func (b *builder) bgp(raw *rawFile, cfg *Config) {
	if r := raw.BGP; r != nil {
		cfg.BGP = b.bgpBlock(r)
	}
	byName := map[string]*VirtualServer{}
	for _, vs := range cfg.VirtualServers {
		byName[vs.Name] = vs
	}
	for _, rv := range raw.VirtualServers {
		vs := byName[rv.Name]
		if vs == nil || !vs.Announce {
			continue
		}
		if cfg.BGP == nil {
			b.errorf(rv.Announce.Range(), "announce without bgp", "announce = true needs a bgp block with at least one neighbor to announce to.")
		} else if len(ServiceAddrs(vs)) == 0 {
			b.errorf(rv.Announce.Range(), "announce without an address", "virtual_server %q has no IP address to announce (a fwmark service); announce needs address = \"IP:PORT\" or a group with addresses.", vs.Name)
		}
	}
}

func (b *builder) bgpBlock(r *rawBGP) *BGP {
	g := &BGP{WithdrawWait: defaultBGPWithdrawWait, Range: r.DefRange}
	b.require(r.ASN, "asn")
	b.require(r.RouterID, "router_id")
	if n, ok := b.integer(r.ASN, "asn", 1, math.MaxUint32); ok {
		g.ASN = uint32(n)
	}
	if s, ok := b.str(r.RouterID, "router_id"); ok {
		// The BGP identifier is 32 bits (RFC 6286), written as IPv4.
		if a, err := netip.ParseAddr(s); err != nil || !a.Is4() {
			b.errorf(r.RouterID.Range(), "Invalid bgp router_id", "router_id is the 32-bit BGP identifier, written as an IPv4 address such as \"192.0.2.1\"; %q is not.", s)
		} else {
			g.RouterID = a
		}
	}
	if n, ok := b.integer(r.ListenPort, "listen_port", 0, 65535); ok {
		g.ListenPort = int(n)
	}
	if d, ok := b.duration(r.WithdrawWait, "withdraw_wait"); ok {
		g.WithdrawWait = d
	}
	g.IPVSSloppy = b.boolDefault(r.IPVSSloppy, "ipvs_sloppy", true)
	if len(r.Neighbors) == 0 {
		b.errorf(r.DefRange, "bgp without neighbor", "A bgp block needs at least one neighbor \"NAME\" { address = ..., remote_asn = ... }.")
	}
	seen := map[string]hcl.Range{}
	addrs := map[netip.Addr]hcl.Range{}
	for _, rn := range r.Neighbors {
		if first, dup := seen[rn.Name]; dup {
			b.dupName(rn.DefRange, "neighbor", rn.Name, first)
			continue
		}
		seen[rn.Name] = rn.DefRange
		n := b.bgpNeighbor(rn)
		if first, dup := addrs[n.Address]; dup && n.Address.IsValid() {
			b.errorf(rn.Address.Range(), "Duplicate neighbor address", "Neighbor %s was already defined at %s; one session per router.", n.Address, first.String())
		}
		addrs[n.Address] = rn.DefRange
		g.Neighbors = append(g.Neighbors, n)
	}
	return g
}

func (b *builder) bgpNeighbor(r *rawBGPNeighbor) *BGPNeighbor {
	n := &BGPNeighbor{Name: r.Name, Port: 179, HoldTime: defaultBGPHoldTime, Range: r.DefRange}
	b.require(r.Address, "address")
	b.require(r.RemoteASN, "remote_asn")
	if a, ok := b.addr(r.Address, "address", false); ok {
		n.Address = a
	}
	if v, ok := b.integer(r.Port, "port", 1, 65535); ok {
		n.Port = int(v)
	}
	if v, ok := b.integer(r.RemoteASN, "remote_asn", 1, math.MaxUint32); ok {
		n.RemoteASN = uint32(v)
	}
	if d, ok := b.wholeSeconds(r.HoldTime, "hold_time"); ok {
		// RFC 4271 4.2: zero (no keepalives) or at least three seconds.
		if d != 0 && d < 3*time.Second || d > maxBGPHoldTime {
			b.errorf(r.HoldTime.Range(), "Invalid hold_time", "hold_time must be 0 or 3s to 65535s (RFC 4271); it is %v.", d)
		} else {
			n.HoldTime = d
		}
	}
	n.Keepalive = n.HoldTime / 3
	if d, ok := b.wholeSeconds(r.Keepalive, "keepalive"); ok {
		if n.HoldTime != 0 && (d == 0 || d >= n.HoldTime) {
			b.errorf(r.Keepalive.Range(), "Invalid keepalive", "keepalive must be at least 1s and shorter than hold_time (%v); it is %v.", n.HoldTime, d)
		} else {
			n.Keepalive = d
		}
	}
	if s, ok := b.str(r.Password, "password"); ok {
		if len(s) > 80 { // TCP_MD5SIG_MAXKEYLEN
			b.errorf(r.Password.Range(), "Invalid password", "password (the TCP MD5 key) must be at most 80 bytes; it has %d.", len(s))
		} else {
			n.Password = s
		}
	}
	if v, ok := b.integer(r.Multihop, "multihop", 0, 255); ok {
		n.Multihop = int(v)
	}
	return n
}

// ServiceAddrs are the addresses clients reach vs at: its address, or
// the addresses of its group's members, each once; fwmark services have
// none. announce = true announces them over BGP, and a new VRRP master
// announces them after its other addresses.
func ServiceAddrs(vs *VirtualServer) []netip.Addr {
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	add := func(ap netip.AddrPort) {
		if a := ap.Addr(); a.IsValid() && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	add(vs.Address)
	for _, m := range vs.Members {
		add(m.Address)
	}
	return out
}
