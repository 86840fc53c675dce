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
	DropTTL                    // TTL/hop limit not 255 (multicast) or outside a unicast peer's bounds
	DropTooShort               // shorter than a VRRP header
	DropVersion                // not the instance's version (2 or 3)
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
	// Version is Version3 or VRRPv2 (Version, or 0).
	Version   uint8
	AuthType  uint8
	AuthData  [8]byte
	AdvertInt uint8
	// Addresses are the configured IPv4 VIPs; order does not matter.
	Addresses []netip.Addr
	// Own are this router's addresses: adverts from them are our own,
	// looped back, and must not count as a peer.
	Own []netip.Addr
	// PeerTTL bounds the TTL (hop limit) of adverts from some unicast
	// peers (keepalived's min_ttl/max_ttl); a peer without bounds is
	// not checked, as in keepalived.
	PeerTTL map[netip.Addr]TTLBounds
	// SkipAddrsFrom, when valid, is a source whose adverts' address
	// lists are not checked (keepalived's skip_check_adv_addr, set by
	// the Router per advert while Backup).
	SkipAddrsFrom netip.Addr
}

// TTLBounds is an inclusive TTL (hop limit) range, keepalived's
// "unicast_peer { ADDR min_ttl N max_ttl M }".
type TTLBounds struct{ Min, Max uint8 }

// Parse applies the checks of RFC 3768 §7.1 that need no configuration
// to a VRRPv2 multicast advert: TTL, then everything UnmarshalBinary
// verifies. It is Receive{V2: true}.Parse.
func Parse(b []byte, meta RecvMeta) (Advertisement, DropReason) {
	return Receive{V2: true}.Parse(b, meta)
}

// Receive is how one interface (one family) receives: the versions its
// instances speak and whether it is in unicast mode. A version none of
// them speaks is dropped before decoding (DropVersion), so an interface
// of VRRPv2 instances sees exactly what it did before VRRPv3 existed;
// on an interface with both, Expect.Check drops the other version.
type Receive struct {
	V2, V3 bool
	// Unicast: the transport passes only the configured peers'
	// packets, and, as in keepalived, TTL 255 is not required, so peers
	// routed across subnets can pair (bounds are Expect.PeerTTL's).
	Unicast bool
}

// Parse applies the checks of RFC 3768 §7.1 and RFC 5798 §7.1 that need
// no configuration: TTL (hop limit) 255 unless unicast, the version,
// then everything DecodePacket verifies.
func (rc Receive) Parse(b []byte, meta RecvMeta) (Advertisement, DropReason) {
	var a Advertisement
	why := rc.ParseInto(&a, b, meta)
	return a, why
}

// ParseInto is Parse into a, reusing its array of addresses (see
// UnmarshalBinary): a backup of 1,000 instances parses 1,000 adverts a
// second into one Advertisement per interface. a is zero, but for that
// array, unless the result is DropNone.
func (rc Receive) ParseInto(a *Advertisement, b []byte, meta RecvMeta) DropReason {
	*a = Advertisement{Addresses: a.Addresses[:0]}
	if !rc.Unicast && meta.TTL != TTL {
		return DropTTL
	}
	if len(b) < headerLen {
		return DropTooShort
	}
	if v := b[0] >> 4; !(v == Version && rc.V2) && !(v == Version3 && rc.V3) {
		return DropVersion
	}
	if err := a.DecodePacket(b, meta.Src, meta.Dst); err != nil {
		return dropForError(err)
	}
	return DropNone
}

func dropForError(err error) DropReason {
	switch {
	case errors.Is(err, ErrVersion):
		return DropVersion
	case errors.Is(err, ErrType):
		return DropType
	case errors.Is(err, ErrLength):
		return DropLength
	case errors.Is(err, ErrChecksum), errors.Is(err, ErrPseudoHeader):
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
//
// VRRPv3 (RFC 5798 §7.1) has no authentication and no interval check: a
// backup learns the master's interval instead; an interval of zero,
// which would make Master_Down_Interval nothing, is dropped.
func (e *Expect) Check(a *Advertisement, src netip.Addr) DropReason {
	if slices.Contains(e.Own, src) {
		return DropOwnPacket
	}
	if isV3(a.Version) != isV3(e.Version) {
		return DropVersion
	}
	if isV3(e.Version) {
		if a.MaxAdvertInt == 0 {
			return DropInterval
		}
		if !e.skipAddrs(src) && !sameAddrSet(a.Addresses, e.Addresses) {
			return DropAddresses
		}
		return DropNone
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
	if !e.skipAddrs(src) && !sameAddrSet(a.Addresses, e.Addresses) {
		return DropAddresses
	}
	return DropNone
}

// skipAddrs reports whether the address list of an advert from src is
// left unchecked (keepalived's skip_check_adv_addr).
func (e *Expect) skipAddrs(src netip.Addr) bool {
	return e.SkipAddrsFrom.IsValid() && src == e.SkipAddrsFrom
}

func isV3(v uint8) bool { return v == Version3 }

// CheckTTL applies a unicast peer's TTL bounds (DropTTL outside them).
func (e *Expect) CheckTTL(meta RecvMeta) DropReason {
	if b, ok := e.PeerTTL[meta.Src.Unmap()]; ok && (meta.TTL < int(b.Min) || meta.TTL > int(b.Max)) {
		return DropTTL
	}
	return DropNone
}

// Validate runs Parse, looks up the virtual router by VRID (nil or false
// means not configured here: DropUnknownVRID) and runs Check; the
// receive path of an interface (Router.receiveLocked) is this with its
// own Receive and CheckTTL.
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
