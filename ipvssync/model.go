package ipvssync

import (
	"fmt"
	"net/netip"
	"sort"
)

// Family is an address family as IPVS names it (AF_INET, AF_INET6). It is
// part of a service's identity: an fwmark service exists once per family.
type Family uint16

// Address families, with the Linux values the kernel reports.
const (
	FamilyIPv4 Family = 2  // AF_INET
	FamilyIPv6 Family = 10 // AF_INET6
)

func (f Family) String() string {
	if f == FamilyIPv6 {
		return "ipv6"
	}
	return "ipv4"
}

// familyOf returns the family of a; invalid addresses count as IPv4, the
// kernel's and ipvsadm's default.
func familyOf(a netip.Addr) Family {
	if a.Is6() && !a.Is4In6() {
		return FamilyIPv6
	}
	return FamilyIPv4
}

// Proto is the IP protocol number of a service; 0 for fwmark services,
// which the kernel reports without a protocol.
type Proto uint16

// Protocols of a service.
const (
	ProtoTCP  Proto = 6
	ProtoUDP  Proto = 17
	ProtoSCTP Proto = 132
)

func (p Proto) String() string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoSCTP:
		return "sctp"
	case 0:
		return "fwm"
	}
	return fmt.Sprintf("proto-%d", uint16(p))
}

// Service flags (IP_VS_SVC_F_*). Flags in a Service never include
// FlagHashed: the kernel sets it on every service it has hashed and reports
// it back, so it is masked on read and never written.
const (
	FlagPersistent uint32 = 0x0001
	FlagHashed     uint32 = 0x0002
	FlagOnePacket  uint32 = 0x0004
	FlagSched1     uint32 = 0x0008
	FlagSched2     uint32 = 0x0010
	FlagSched3     uint32 = 0x0020
)

// ServiceKey identifies an IPVS service the way the kernel does: by
// protocol, address and port, or by firewall mark (then Proto, Addr and
// Port are zero) — and by family in both cases.
type ServiceKey struct {
	Family Family
	Proto  Proto
	Addr   netip.Addr
	Port   uint16
	FWMark uint32
}

func (k ServiceKey) String() string {
	if k.FWMark != 0 {
		if k.Family == FamilyIPv6 {
			return fmt.Sprintf("fwmark %d ipv6", k.FWMark)
		}
		return fmt.Sprintf("fwmark %d", k.FWMark)
	}
	return k.Proto.String() + " " + netip.AddrPortFrom(k.Addr, k.Port).String()
}

// Stats are the kernel's counters of a service or destination. They are
// read for display only and never compared or written.
type Stats struct {
	Conns, PacketsIn, PacketsOut uint64
	BytesIn, BytesOut            uint64
	CPS, PPSIn, PPSOut           uint64
	BPSIn, BPSOut                uint64
}

// Service is one IPVS virtual service.
type Service struct {
	Key       ServiceKey
	Scheduler string
	Flags     uint32 // IP_VS_SVC_F_*, never FlagHashed
	Timeout   uint32 // persistence timeout in seconds
	// Netmask is the persistence granularity as a prefix length: 32 (IPv4)
	// or 128 (IPv6) means per client address.
	Netmask int
	Stats   Stats // observed only
}

// Persistent reports whether the service has client persistence.
func (s Service) Persistent() bool { return s.Flags&FlagPersistent != 0 }

// spec is the part of s that the reconciler manages: stats dropped, the
// hashed flag masked, and timeout and netmask ignored when the service is
// not persistent (the kernel does not use them then, and hand-made
// services carry arbitrary values there).
func (s Service) spec() Service {
	s.Stats = Stats{}
	s.Flags &^= FlagHashed
	if !s.Persistent() {
		s.Timeout, s.Netmask = 0, 0
	}
	return s
}

// Forward is a destination's forwarding method. The values are the
// kernel's IP_VS_CONN_F_* codes, so Masq is 0, which is also what the
// kernel reports back for a NAT destination.
type Forward uint32

// Forwarding methods.
const (
	ForwardMasq   Forward = 0 // NAT
	ForwardLocal  Forward = 1
	ForwardTunnel Forward = 2
	ForwardDR     Forward = 3 // direct routing ("Route" in ipvsadm)
)

func (f Forward) String() string {
	switch f {
	case ForwardMasq:
		return "Masq"
	case ForwardLocal:
		return "Local"
	case ForwardTunnel:
		return "Tunnel"
	case ForwardDR:
		return "Route"
	}
	return fmt.Sprintf("fwd-%d", uint32(f))
}

// DestKey identifies a destination within its service.
type DestKey struct {
	Addr netip.Addr
	Port uint16
}

func (k DestKey) String() string { return netip.AddrPortFrom(k.Addr, k.Port).String() }

// TunnelType is the encapsulation of a Tunnel destination, the kernel's
// IP_VS_CONN_F_TUNNEL_TYPE_* (Linux 5.2+; older kernels only do IPIP and
// ignore the attribute).
type TunnelType uint8

// Tunnel types. IPIP is 0, which is also what the kernel reports for
// every destination that is not a tunnel.
const (
	TunnelIPIP TunnelType = 0
	TunnelGUE  TunnelType = 1 // UDP encapsulation to TunPort, Linux 5.2+
	TunnelGRE  TunnelType = 2 // Linux 5.3+
)

func (t TunnelType) String() string {
	switch t {
	case TunnelIPIP:
		return "ipip"
	case TunnelGUE:
		return "gue"
	case TunnelGRE:
		return "gre"
	}
	return fmt.Sprintf("tun-%d", uint8(t))
}

// Tunnel checksum flags (IP_VS_TUNNEL_ENCAP_FLAG_*); none set is nocsum.
const (
	TunFlagCsum    uint16 = 1 << 0 // checksum in the outer header (GUE, GRE)
	TunFlagRemCsum uint16 = 1 << 1 // remote checksum offload (GUE only)
)

// Destination is one real server of a service.
type Destination struct {
	Addr    netip.Addr
	Port    uint16
	Weight  int
	Forward Forward
	Upper   uint32 // upper connection threshold, 0 = none
	Lower   uint32 // lower connection threshold
	// TunType, TunPort and TunFlags are the encapsulation of a
	// ForwardTunnel destination; they mean nothing for the other
	// methods, and spec drops them there. TunPort is the GUE port.
	TunType  TunnelType
	TunPort  uint16
	TunFlags uint16
	// Observed only: never compared or written.
	ActiveConns, InactConns int
	Stats                   Stats
}

// Key returns the destination's identity.
func (d Destination) Key() DestKey { return DestKey{d.Addr, d.Port} }

func (d Destination) spec() Destination {
	d.ActiveConns, d.InactConns, d.Stats = 0, 0, Stats{}
	if d.Forward != ForwardTunnel {
		d.TunType, d.TunPort, d.TunFlags = 0, 0, 0
	}
	return d
}

// tunneled reports whether d asks for more than the kernel's default
// encapsulation (IPIP without flags), which only the hand-built
// destination messages can carry.
func (d Destination) tunneled() bool {
	return d.Forward == ForwardTunnel && (d.TunType != TunnelIPIP || d.TunPort != 0 || d.TunFlags != 0)
}

// ServiceEntry is a service with its destinations.
type ServiceEntry struct {
	Service
	Dests map[DestKey]Destination
}

// Table is a whole IPVS table, or the part of one lbhad wants.
type Table map[ServiceKey]ServiceEntry

// Keys returns the table's service keys in ipvsadm's order.
func (t Table) Keys() []ServiceKey {
	keys := make([]ServiceKey, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return serviceLess(keys[i], keys[j]) })
	return keys
}

// SortedDests returns e's destinations ordered by address, then port.
func (e ServiceEntry) SortedDests() []Destination {
	ds := make([]Destination, 0, len(e.Dests))
	for _, d := range e.Dests {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return destLess(ds[i].Key(), ds[j].Key()) })
	return ds
}

// serviceLess orders services exactly like ipvsadm's ipvs_cmp_services,
// so FormatList lists in ipvsadm's order: by fwmark (address services
// first), family, protocol, address, port. ipvsadm subtracts unsigned
// 32-bit values into an int, so addresses 2^31 or more apart compare the
// "wrong" way round (10.0.0.1 sorts after 192.0.2.1); that is kept.
func serviceLess(a, b ServiceKey) bool {
	if r := int32(a.FWMark - b.FWMark); r != 0 {
		return r < 0
	}
	if a.Family != b.Family {
		return a.Family < b.Family
	}
	if a.Proto != b.Proto {
		return a.Proto < b.Proto
	}
	if r := addrCmp32(a.Addr, b.Addr); r != 0 {
		return r < 0
	}
	return a.Port < b.Port
}

// destLess is ipvsadm's ipvs_cmp_dests, with the same quirk.
func destLess(a, b DestKey) bool {
	if r := addrCmp32(a.Addr, b.Addr); r != 0 {
		return r < 0
	}
	return a.Port < b.Port
}

// addrCmp32 compares addresses 32 bits at a time by wrapping subtraction,
// as ipvsadm does.
func addrCmp32(a, b netip.Addr) int32 {
	a, b = a.Unmap(), b.Unmap()
	if la, lb := addrLen(a), addrLen(b); la != lb {
		return int32(la - lb)
	}
	// As16 instead of AsSlice: Plan sorts thousands of keys and must not
	// allocate two slices per comparison.
	x, y := a.As16(), b.As16()
	for i := 16 - addrLen(a); i+4 <= 16; i += 4 {
		u := uint32(x[i])<<24 | uint32(x[i+1])<<16 | uint32(x[i+2])<<8 | uint32(x[i+3])
		v := uint32(y[i])<<24 | uint32(y[i+1])<<16 | uint32(y[i+2])<<8 | uint32(y[i+3])
		if r := int32(u - v); r != 0 {
			return r
		}
	}
	return 0
}

// addrLen is len(a.AsSlice()) without the allocation.
func addrLen(a netip.Addr) int {
	switch {
	case a.Is4():
		return 4
	case a.Is6():
		return 16
	default:
		return 0
	}
}

// Clone returns a deep copy of t.
func (t Table) Clone() Table {
	out := make(Table, len(t))
	for k, e := range t {
		ds := make(map[DestKey]Destination, len(e.Dests))
		for dk, d := range e.Dests {
			ds[dk] = d
		}
		out[k] = ServiceEntry{Service: e.Service, Dests: ds}
	}
	return out
}
