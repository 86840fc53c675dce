package lab

import (
	"encoding/binary"
	"net"
	"net/netip"
	"time"
)

// This file is a deliberately independent VRRPv2 (RFC 3768 §5) and ARP
// codec for observing and forging packets, so that integration tests do
// not trust the implementation they test.

// VRRPMulticast is the VRRP group address and its MAC.
var (
	VRRPMulticast    = netip.MustParseAddr("224.0.0.18")
	VRRPMulticastMAC = net.HardwareAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12}
)

// Advert is a VRRP packet with every field settable, including wrong ones.
type Advert struct {
	Version, Type uint8 // 0 means 2 and 1
	VRID          uint8
	Priority      uint8
	Count         int // number of addresses claimed; -1 means len(VIPs)
	AuthType      uint8
	AdvertInt     uint8 // seconds
	Checksum      uint16
	VIPs          []netip.Addr
	AuthData      [8]byte
	BadChecksum   bool // Marshal writes a wrong checksum
}

// Marshal encodes a, computing the checksum unless BadChecksum is set.
func (a Advert) Marshal() []byte {
	ver, typ := a.Version, a.Type
	if ver == 0 {
		ver = 2
	}
	if typ == 0 {
		typ = 1
	}
	count := a.Count
	if count < 0 {
		count = len(a.VIPs)
	}
	b := make([]byte, 8, 8+4*len(a.VIPs)+8)
	b[0] = ver<<4 | typ&0x0f
	b[1] = a.VRID
	b[2] = a.Priority
	b[3] = byte(count)
	b[4] = a.AuthType
	b[5] = a.AdvertInt
	for _, v := range a.VIPs {
		b = append(b, v.AsSlice()...)
	}
	b = append(b, a.AuthData[:]...)
	sum := Checksum(b)
	if a.BadChecksum {
		sum ^= 0x5a5a
	}
	binary.BigEndian.PutUint16(b[6:], sum)
	return b
}

// PassAuth returns the 8-byte auth data for a PASS password.
func PassAuth(pw string) (d [8]byte) {
	copy(d[:], pw)
	return d
}

// Checksum is the Internet checksum (RFC 1071) of b.
func Checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// IPv4 builds an IPv4 packet without options: TOS 0xc0 (CS6, as VRRP
// senders use), no DF, correct header checksum.
func IPv4(src, dst netip.Addr, ttl, proto uint8, id uint16, payload []byte) []byte {
	b := make([]byte, 20, 20+len(payload))
	b[0] = 0x45
	b[1] = 0xc0
	binary.BigEndian.PutUint16(b[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(b[4:], id)
	b[8] = ttl
	b[9] = proto
	s, d := src.As4(), dst.As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	binary.BigEndian.PutUint16(b[10:], Checksum(b))
	return append(b, payload...)
}

// Ethernet prepends an Ethernet II header.
func Ethernet(dst, src net.HardwareAddr, etherType uint16, payload []byte) []byte {
	b := make([]byte, 14, 14+len(payload))
	copy(b, dst)
	copy(b[6:], src)
	binary.BigEndian.PutUint16(b[12:], etherType)
	return append(b, payload...)
}

// Frame is a parsed captured frame: a VRRP advert or an ARP packet.
type Frame struct {
	Time   time.Time
	SrcMAC net.HardwareAddr
	DstMAC net.HardwareAddr
	VRRP   *SeenAdvert
	ARP    *SeenARP
	NA     *SeenNA
}

// SeenNA is a captured ICMPv6 Neighbor Advertisement (RFC 4861 §4.4):
// what an IPv6 master sends where an IPv4 one sends gratuitous ARP.
type SeenNA struct {
	Src, Dst  netip.Addr
	Target    netip.Addr
	Override  bool
	Solicited bool
}

// SeenAdvert is a captured VRRP packet with its IP header fields.
type SeenAdvert struct {
	Src, Dst  netip.Addr
	TTL       uint8
	TOS       uint8
	Version   uint8
	Type      uint8
	VRID      uint8
	Priority  uint8
	Count     uint8
	AuthType  uint8
	AdvertInt uint8
	VIPs      []netip.Addr
	AuthData  [8]byte
}

// SeenARP is a captured ARP packet for IPv4 over Ethernet.
type SeenARP struct {
	Op                   uint16
	SenderMAC, TargetMAC net.HardwareAddr
	SenderIP, TargetIP   net.IP
}

// ParseFrame decodes an Ethernet frame carrying VRRP over IPv4 or IPv6,
// ARP or an ICMPv6 Neighbor Advertisement; ok is false for anything else
// or anything truncated. IPv6 extension headers are not followed: VRRP
// and NA packets are sent without them.
func ParseFrame(b []byte) (f Frame, ok bool) {
	if len(b) < 14 {
		return f, false
	}
	f.DstMAC = append(net.HardwareAddr(nil), b[0:6]...)
	f.SrcMAC = append(net.HardwareAddr(nil), b[6:12]...)
	p := b[14:]
	switch binary.BigEndian.Uint16(b[12:]) {
	case 0x0806:
		if len(p) < 28 || binary.BigEndian.Uint16(p[0:]) != 1 || binary.BigEndian.Uint16(p[2:]) != 0x0800 {
			return f, false
		}
		f.ARP = &SeenARP{
			Op:        binary.BigEndian.Uint16(p[6:]),
			SenderMAC: append(net.HardwareAddr(nil), p[8:14]...),
			SenderIP:  append(net.IP(nil), p[14:18]...),
			TargetMAC: append(net.HardwareAddr(nil), p[18:24]...),
			TargetIP:  append(net.IP(nil), p[24:28]...),
		}
		return f, true
	case 0x0800:
		if len(p) < 20 || p[0]>>4 != 4 || p[9] != 112 {
			return f, false
		}
		ihl := int(p[0]&0x0f) * 4
		if ihl < 20 || len(p) < ihl+8 {
			return f, false
		}
		v := p[ihl:]
		a := &SeenAdvert{
			Src:       netip.AddrFrom4([4]byte(p[12:16])),
			Dst:       netip.AddrFrom4([4]byte(p[16:20])),
			TTL:       p[8],
			TOS:       p[1],
			Version:   v[0] >> 4,
			Type:      v[0] & 0x0f,
			VRID:      v[1],
			Priority:  v[2],
			Count:     v[3],
			AuthType:  v[4],
			AdvertInt: v[5],
		}
		rest := v[8:]
		for i := 0; i < int(a.Count) && len(rest) >= 4; i++ {
			a.VIPs = append(a.VIPs, netip.AddrFrom4([4]byte(rest[:4])))
			rest = rest[4:]
		}
		copy(a.AuthData[:], rest)
		f.VRRP = a
		return f, true
	case 0x86dd:
		return parseIPv6(f, p)
	}
	return f, false
}

// parseIPv6 decodes the IPv6 packet p of f: a VRRPv3 advert or an NA.
func parseIPv6(f Frame, p []byte) (Frame, bool) {
	if len(p) < 40+8 || p[0]>>4 != 6 {
		return f, false
	}
	src, dst := netip.AddrFrom16([16]byte(p[8:24])), netip.AddrFrom16([16]byte(p[24:40]))
	body := p[40:]
	switch p[6] {
	case 112:
		a := &SeenAdvert{
			Src: src, Dst: dst, TTL: p[7], TOS: p[0]<<4 | p[1]>>4,
			Version: body[0] >> 4, Type: body[0] & 0x0f, VRID: body[1],
			Priority: body[2], Count: body[3],
		}
		rest := body[8:]
		for i := 0; i < int(a.Count) && len(rest) >= 16; i++ {
			a.VIPs = append(a.VIPs, netip.AddrFrom16([16]byte(rest[:16])))
			rest = rest[16:]
		}
		f.VRRP = a
		return f, true
	case 58:
		if body[0] != 136 || len(body) < 24 {
			return f, false
		}
		f.NA = &SeenNA{
			Src: src, Dst: dst, Target: netip.AddrFrom16([16]byte(body[8:24])),
			Solicited: body[4]&0x40 != 0, Override: body[4]&0x20 != 0,
		}
		return f, true
	}
	return f, false
}
