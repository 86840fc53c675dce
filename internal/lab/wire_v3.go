package lab

import (
	"encoding/binary"
	"net/netip"
)

// AdvertV3 is a VRRPv3 packet (RFC 5798 §5.1) with every field settable,
// encoded independently of vrrp/packet_v3.go so that integration tests
// do not trust the implementation they test.
type AdvertV3 struct {
	Version, Type uint8 // 0 means 3 and 1
	VRID          uint8
	Priority      uint8
	Count         int    // number of addresses claimed; -1 means len(VIPs)
	MaxAdvertInt  uint16 // centiseconds (12 bits; the top 4 are reserved)
	VIPs          []netip.Addr
	BadChecksum   bool // Marshal writes a wrong checksum
}

// Marshal encodes a as sent from src to dst, whose pseudo-header the
// checksum covers (RFC 5798 §5.2.8), unless BadChecksum is set.
func (a AdvertV3) Marshal(src, dst netip.Addr) []byte {
	ver, typ := a.Version, a.Type
	if ver == 0 {
		ver = 3
	}
	if typ == 0 {
		typ = 1
	}
	count := a.Count
	if count < 0 {
		count = len(a.VIPs)
	}
	b := []byte{ver<<4 | typ&0x0f, a.VRID, a.Priority, byte(count), 0, 0, 0, 0}
	binary.BigEndian.PutUint16(b[4:], a.MaxAdvertInt)
	for _, v := range a.VIPs {
		b = append(b, v.AsSlice()...)
	}
	pseudo := append(append([]byte(nil), src.AsSlice()...), dst.AsSlice()...)
	if src.Is4() {
		pseudo = append(pseudo, 0, 112, byte(len(b)>>8), byte(len(b)))
	} else {
		pseudo = append(pseudo, 0, 0, byte(len(b)>>8), byte(len(b)), 0, 0, 0, 112)
	}
	sum := Checksum(append(pseudo, b...))
	if a.BadChecksum {
		sum ^= 0x5a5a
	}
	binary.BigEndian.PutUint16(b[6:], sum)
	return b
}
