package vrrp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
)

// Wire constants of RFC 3768 §5 and RFC 5798 §5.
const (
	// Version is VRRPv2 (RFC 3768), the default.
	Version = 2
	// Version3 is VRRPv3 (RFC 5798): centisecond intervals, no
	// authentication, IPv4 or IPv6, checksum over a pseudo-header.
	Version3 = 3
	// TypeAdvertisement is the only VRRP packet type.
	TypeAdvertisement = 1
	// ProtocolNumber is the IP protocol number of VRRP.
	ProtocolNumber = 112
	// TTL is the IP TTL every VRRP packet is sent with and must arrive with.
	TTL = 255

	// AuthNone and AuthSimple are the authentication types lbhad speaks.
	// Type 2 (IP AH) was removed by RFC 3768 and is never accepted.
	AuthNone   = 0
	AuthSimple = 1

	// PriorityOwner is the priority of the router that owns the virtual
	// addresses; PriorityStop announces that the master is leaving.
	PriorityOwner = 255
	PriorityStop  = 0

	headerLen = 8
	authLen   = 8
	// MinLen is the length of an advertisement carrying no address.
	MinLen = headerLen + authLen
	// MaxAddresses is the most addresses the 8-bit count can carry.
	MaxAddresses = 255
	// MaxAdvertIntV3 is the largest Max Adver Int (12 bits, centiseconds).
	MaxAdvertIntV3 = 0xfff
)

// GroupAddr is the IPv4 multicast group VRRP adverts are sent to.
var GroupAddr = netip.AddrFrom4([4]byte{224, 0, 0, 18})

// Sentinel errors of UnmarshalBinary and MarshalBinary. Callers branch on
// them to count drops by reason.
var (
	ErrTooShort         = errors.New("vrrp: message too short")
	ErrVersion          = errors.New("vrrp: unsupported version")
	ErrType             = errors.New("vrrp: unknown message type")
	ErrChecksum         = errors.New("vrrp: bad checksum")
	ErrLength           = errors.New("vrrp: length does not match address count")
	ErrTooManyAddresses = errors.New("vrrp: more than 255 addresses")
	ErrAddressNotIPv4   = errors.New("vrrp: address is not IPv4")
	// ErrAddressFamily: a VRRPv3 advert carries addresses of the family
	// of the IP packet it travels in, and all of one family.
	ErrAddressFamily = errors.New("vrrp: address family differs from the packet's")
	// ErrInterval: a VRRPv3 interval does not fit 12 bits.
	ErrInterval = errors.New("vrrp: advert interval does not fit 12 bits")
	// ErrPseudoHeader: a VRRPv3 checksum covers the IP pseudo-header,
	// so VRRPv3 is encoded and decoded with AppendPacket and
	// DecodePacket, which take the addresses.
	ErrPseudoHeader = errors.New("vrrp: vrrpv3 needs the ip source and destination")
)

// Advertisement is one VRRP ADVERTISEMENT: VRRPv2 (RFC 3768 §5.1) or
// VRRPv3 (RFC 5798 §5.1). Type, count and checksum are implied: the
// encoders compute them and the decoders verify them.
type Advertisement struct {
	// Version is Version (2, also meant by 0) or Version3.
	Version  uint8
	VRID     uint8
	Priority uint8
	AuthType uint8
	// AdvertInt is the VRRPv2 advertisement interval in whole seconds.
	AdvertInt uint8
	// MaxAdvertInt is the VRRPv3 Max Adver Int in centiseconds.
	MaxAdvertInt uint16
	// Addresses are the IPv4 virtual addresses, in wire order.
	Addresses []netip.Addr
	// AuthData is the simple-text password, zero padded (auth type 1),
	// or zeros.
	AuthData [8]byte
}

// Len is the length in bytes of the encoded advertisement.
func (a *Advertisement) Len() int {
	if a.Version == Version3 {
		n := headerLen
		for _, ip := range a.Addresses {
			n += ip.BitLen() / 8
		}
		return n
	}
	return headerLen + 4*len(a.Addresses) + authLen
}

// MarshalBinary encodes a VRRPv2 advert with a fresh checksum. It
// returns ErrTooManyAddresses or ErrAddressNotIPv4 for addresses VRRPv2
// cannot carry, and ErrPseudoHeader for a VRRPv3 advert.
func (a *Advertisement) MarshalBinary() ([]byte, error) {
	b := make([]byte, a.Len())
	if _, err := a.AppendTo(b[:0]); err != nil {
		return nil, err
	}
	return b, nil
}

// AppendTo appends the encoded VRRPv2 advertisement to b, so a sender
// can reuse one buffer for every advert. Errors are those of
// MarshalBinary.
func (a *Advertisement) AppendTo(b []byte) ([]byte, error) {
	if a.Version == Version3 {
		return b, ErrPseudoHeader
	}
	if len(a.Addresses) > MaxAddresses {
		return b, ErrTooManyAddresses
	}
	start := len(b)
	b = append(b, Version<<4|TypeAdvertisement, a.VRID, a.Priority, uint8(len(a.Addresses)),
		a.AuthType, a.AdvertInt, 0, 0)
	for _, ip := range a.Addresses {
		if !ip.Is4() {
			return b[:start], fmt.Errorf("%w: %s", ErrAddressNotIPv4, ip)
		}
		v := ip.As4()
		b = append(b, v[:]...)
	}
	b = append(b, a.AuthData[:]...)
	binary.BigEndian.PutUint16(b[start+6:], Checksum(b[start:]))
	return b, nil
}

// UnmarshalBinary decodes one VRRPv2 message (the IP payload, without
// the IP header). It verifies version, type, length against the address
// count and the checksum, returning ErrTooShort, ErrVersion, ErrType,
// ErrLength or ErrChecksum, in that order of checking. It never panics
// and does not retain b. DecodePacket also decodes VRRPv3. The addresses
// go into a.Addresses' array when it has room, so a receiver decoding
// every advert into one Advertisement allocates nothing for them: copy
// Addresses to keep them past the next decode.
func (a *Advertisement) UnmarshalBinary(b []byte) error {
	if len(b) < headerLen {
		return ErrTooShort
	}
	if v := b[0] >> 4; v != Version {
		return fmt.Errorf("%w %d", ErrVersion, v)
	}
	if t := b[0] & 0x0f; t != TypeAdvertisement {
		return fmt.Errorf("%w %d", ErrType, t)
	}
	count := int(b[3])
	want := headerLen + 4*count + authLen
	if len(b) < want {
		if len(b) < MinLen {
			return ErrTooShort
		}
		return fmt.Errorf("%w: %d bytes for %d addresses", ErrLength, len(b), count)
	}
	if len(b) > want {
		return fmt.Errorf("%w: %d bytes for %d addresses", ErrLength, len(b), count)
	}
	if Checksum(b) != 0 {
		return ErrChecksum
	}
	addrs := a.Addresses[:0]
	*a = Advertisement{
		VRID:      b[1],
		Priority:  b[2],
		AuthType:  b[4],
		AdvertInt: b[5],
	}
	if count > 0 {
		a.Addresses = slices.Grow(addrs, count)[:count]
		for i := range a.Addresses {
			a.Addresses[i] = netip.AddrFrom4([4]byte(b[headerLen+4*i:]))
		}
	}
	copy(a.AuthData[:], b[want-authLen:])
	return nil
}

// Checksum is the Internet checksum (RFC 1071) of b. Computed over a
// message whose checksum field is zero it gives the value to store;
// computed over a received message it is zero when the message is intact.
func Checksum(b []byte) uint16 {
	var sum uint32
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// AuthPassword returns the auth data for a simple-text password: the
// first 8 bytes, zero padded, as keepalived sends it.
func AuthPassword(pass string) [8]byte {
	var d [8]byte
	copy(d[:], pass)
	return d
}
