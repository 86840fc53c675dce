package vrrp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
)

// VRRPv3 (RFC 5798 §5.1) differs from VRRPv2 on the wire in three ways:
// bytes 4-5 hold a 12-bit Max Adver Int in centiseconds (the top four
// bits reserved) where VRRPv2 had the auth type and a whole-second
// interval; there is no authentication data; and the checksum covers an
// IP pseudo-header (RFC 5798 §5.2.8), so encoding and decoding need the
// packet's source and destination. The addresses are of the packet's own
// family: 4 bytes each over IPv4, 16 over IPv6.

// GroupAddr6 is the IPv6 multicast group VRRPv3 adverts are sent to
// (RFC 5798 §5.1.2.2).
var GroupAddr6 = netip.AddrFrom16([16]byte{0: 0xff, 1: 0x02, 15: 0x12})

// AppendPacket appends the encoded advertisement to b. For VRRPv3 src
// and dst are the IP source and destination the packet is sent with,
// which the checksum covers; VRRPv2 ignores them. Besides the errors of
// AppendTo it returns ErrAddressFamily when an address or src and dst
// are not all of one family, and ErrInterval when MaxAdvertInt does not
// fit 12 bits.
func (a *Advertisement) AppendPacket(b []byte, src, dst netip.Addr) ([]byte, error) {
	if a.Version != Version3 {
		return a.AppendTo(b)
	}
	if len(a.Addresses) > MaxAddresses {
		return b, ErrTooManyAddresses
	}
	if a.MaxAdvertInt > MaxAdvertIntV3 {
		return b, fmt.Errorf("%w: %d", ErrInterval, a.MaxAdvertInt)
	}
	src, dst = src.Unmap(), dst.Unmap()
	if !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4() {
		return b, fmt.Errorf("%w: %v to %v", ErrPseudoHeader, src, dst)
	}
	start := len(b)
	b = append(b, Version3<<4|TypeAdvertisement, a.VRID, a.Priority, uint8(len(a.Addresses)),
		byte(a.MaxAdvertInt>>8), byte(a.MaxAdvertInt), 0, 0)
	for _, ip := range a.Addresses {
		if !ip.IsValid() || ip.Is4() != src.Is4() {
			return b[:start], fmt.Errorf("%w: %s over %s", ErrAddressFamily, ip, src)
		}
		b = append(b, ip.AsSlice()...)
	}
	binary.BigEndian.PutUint16(b[start+6:], checksumV3(b[start:], src, dst))
	return b, nil
}

// DecodePacket decodes one VRRP message of either version, as received
// from src to dst (the IP header's addresses, which the VRRPv3 checksum
// covers and whose family gives the size of VRRPv3 addresses). It
// returns the errors of UnmarshalBinary, in the same order of checking,
// and ErrPseudoHeader for a VRRPv3 message without valid addresses. It
// never panics and does not retain b; like UnmarshalBinary it reuses
// a.Addresses' array.
func (a *Advertisement) DecodePacket(b []byte, src, dst netip.Addr) error {
	if len(b) < headerLen {
		return ErrTooShort
	}
	switch v := b[0] >> 4; v {
	case Version:
		return a.UnmarshalBinary(b)
	case Version3:
	default:
		return fmt.Errorf("%w %d", ErrVersion, v)
	}
	if t := b[0] & 0x0f; t != TypeAdvertisement {
		return fmt.Errorf("%w %d", ErrType, t)
	}
	src, dst = src.Unmap(), dst.Unmap()
	if !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4() {
		return fmt.Errorf("%w: %v to %v", ErrPseudoHeader, src, dst)
	}
	size := src.BitLen() / 8
	count := int(b[3])
	if want := headerLen + size*count; len(b) != want {
		return fmt.Errorf("%w: %d bytes for %d addresses", ErrLength, len(b), count)
	}
	if checksumV3(b, src, dst) != 0 {
		return ErrChecksum
	}
	addrs := a.Addresses[:0]
	*a = Advertisement{
		Version:      Version3,
		VRID:         b[1],
		Priority:     b[2],
		MaxAdvertInt: binary.BigEndian.Uint16(b[4:]) & MaxAdvertIntV3,
	}
	if count > 0 {
		a.Addresses = slices.Grow(addrs, count)[:count]
		for i := range a.Addresses {
			off := headerLen + size*i
			if size == 4 {
				a.Addresses[i] = netip.AddrFrom4([4]byte(b[off:]))
			} else {
				a.Addresses[i] = netip.AddrFrom16([16]byte(b[off:]))
			}
		}
	}
	return nil
}

// checksumV3 is the Internet checksum of msg behind the pseudo-header of
// src and dst (RFC 768 style for IPv4, RFC 8200 §8.1 for IPv6), protocol
// 112. Over a message whose checksum field is zero it gives the value to
// store; over a received message it is zero when the message is intact.
func checksumV3(msg []byte, src, dst netip.Addr) uint16 {
	var sum uint32
	sum = sum16(src.AsSlice(), sum)
	sum = sum16(dst.AsSlice(), sum)
	// IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length, three
	// zero bytes, next header. Both sum to protocol + length.
	sum += ProtocolNumber + uint32(len(msg))
	sum = sum16(msg, sum)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// sum16 adds b to sum as big-endian 16-bit words, the last odd byte
// padded with zero.
func sum16(b []byte, sum uint32) uint32 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	return sum
}
