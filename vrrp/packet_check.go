package vrrp

import (
	"errors"
	"net/netip"
	"slices"
)

// DropReason says why a received message was discarded. The receive path
// is a pure function returning one, so every rule of RFC 3768 §7.1 is
// table-tested and every discard is counted.
type DropReason uint8

// Drop reasons, in the order Validate checks them. DropNone means the
// advertisement is accepted.
const (
	DropNone        DropReason = iota
	DropTTL                    // IP TTL is not 255
	DropTooShort               // shorter than a VRRP header
	DropVersion                // not version 2
	DropType                   // not an ADVERTISEMENT
	DropLength                 // length does not match the address count
	DropChecksum               // checksum does not verify
	DropUnknownVRID            // no instance on this interface has the VRID
	DropOwnPacket              // sent by this router (looped back)
	DropAuthType               // auth type differs from the configured one
	DropAuth                   // password differs
	DropInterval               // advert interval differs from the configured one
	DropAddresses              // address list differs from the configured VIPs
	NumDropReasons
)

var dropNames = [NumDropReasons]string{
	DropNone:        "none",
	DropTTL:         "ttl",
	DropTooShort:    "too_short",
	DropVersion:     "version",
	DropType:        "type",
	DropLength:      "length",
	DropChecksum:    "checksum",
	DropUnknownVRID: "unknown_vrid",
	DropOwnPacket:   "own_packet",
	DropAuthType:    "auth_type",
	DropAuth:        "auth",
	DropInterval:    "interval",
	DropAddresses:   "addresses",
}

// String returns a short snake_case name usable as a metric label.
func (d DropReason) String() string {
	if d < NumDropReasons {
		return dropNames[d]
	}
	return "unknown"
}

// Expect is what the local configuration of one virtual router requires
// of a received advertisement.
type Expect struct {
	AuthType  uint8
	AuthData  [8]byte
	AdvertInt uint8
	// Addresses are the configured IPv4 VIPs; order does not matter.
	Addresses []netip.Addr
	// Own are this router's addresses: adverts from them are our own,
	// looped back, and must not count as a peer.
	Own []netip.Addr
}

// Parse applies the checks of RFC 3768 §7.1 that need no configuration:
// TTL, then everything UnmarshalBinary verifies.
func Parse(b []byte, meta RecvMeta) (Advertisement, DropReason) {
	var a Advertisement
	if meta.TTL != TTL {
		return a, DropTTL
	}
	if err := a.UnmarshalBinary(b); err != nil {
		return a, dropForError(err)
	}
	return a, DropNone
}

func dropForError(err error) DropReason {
	switch {
	case errors.Is(err, ErrVersion):
		return DropVersion
	case errors.Is(err, ErrType):
		return DropType
	case errors.Is(err, ErrLength):
		return DropLength
	case errors.Is(err, ErrChecksum):
		return DropChecksum
	default:
		return DropTooShort
	}
}

// Check applies the per-virtual-router checks of RFC 3768 §7.1 to a
// parsed advertisement. RFC 3768 lets a router accept an advert whose
// address list differs (it only SHOULD log); keepalived drops it, and so
// does lbhad, counting it, because a mismatch means two configurations
// disagree on what the master owns.
func (e *Expect) Check(a *Advertisement, src netip.Addr) DropReason {
	if slices.Contains(e.Own, src) {
		return DropOwnPacket
	}
	if a.AuthType != e.AuthType {
		return DropAuthType
	}
	if e.AuthType == AuthSimple && a.AuthData != e.AuthData {
		return DropAuth
	}
	if a.AdvertInt != e.AdvertInt {
		return DropInterval
	}
	if !sameAddrSet(a.Addresses, e.Addresses) {
		return DropAddresses
	}
	return DropNone
}

// Validate runs Parse, looks up the virtual router by VRID (nil or false
// means not configured here: DropUnknownVRID) and runs Check.
func Validate(b []byte, meta RecvMeta, lookup func(vrid uint8) (*Expect, bool)) (Advertisement, DropReason) {
	a, r := Parse(b, meta)
	if r != DropNone {
		return a, r
	}
	e, ok := lookup(a.VRID)
	if !ok || e == nil {
		return a, DropUnknownVRID
	}
	return a, e.Check(&a, meta.Src)
}

func sameAddrSet(got, want []netip.Addr) bool {
	if len(got) != len(want) {
		return false
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			return false
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// Counters are the per-instance (or, for drops before the VRID is known,
// per-interface) packet counters. The driver updates them under its lock
// and hands out copies, so they are plain integers.
type Counters struct {
	AdvertsReceived      uint64 // accepted adverts
	AdvertsSent          uint64
	PriorityZeroReceived uint64
	PriorityZeroSent     uint64
	SendErrors           uint64
	BecameMaster         uint64
	// Dropped is indexed by DropReason; Dropped[DropNone] stays zero.
	Dropped [NumDropReasons]uint64
}

// DroppedTotal is the sum of all drops.
func (c *Counters) DroppedTotal() uint64 {
	var n uint64
	for _, v := range c.Dropped {
		n += v
	}
	return n
}
