package vrrp

import (
	"net/netip"
	"testing"
)

func TestValidate(t *testing.T) {
	vip := netip.MustParseAddr("192.0.2.50")
	peer := netip.MustParseAddr("192.0.2.11")
	self := netip.MustParseAddr("192.0.2.12")
	expect := &Expect{
		AuthType: AuthSimple, AuthData: AuthPassword("pw12"), AdvertInt: 1,
		Addresses: []netip.Addr{vip}, Own: []netip.Addr{self},
	}
	lookup := func(vrid uint8) (*Expect, bool) { return expect, vrid == 51 }
	good := Advertisement{VRID: 51, Priority: 150, AuthType: AuthSimple, AdvertInt: 1,
		Addresses: []netip.Addr{vip}, AuthData: AuthPassword("pw12")}
	enc := func(f func(a *Advertisement)) []byte {
		a := good
		f(&a)
		b, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	same := func(*Advertisement) {}
	ok := RecvMeta{Src: peer, TTL: 255}
	for _, tc := range []struct {
		name string
		b    []byte
		meta RecvMeta
		want DropReason
	}{
		{"accepted", enc(same), ok, DropNone},
		{"keepalived capture", advHex(t, keepalivedAdvert), ok, DropNone},
		{"ttl 64", enc(same), RecvMeta{Src: peer, TTL: 64}, DropTTL},
		{"ttl 254 (routed)", enc(same), RecvMeta{Src: peer, TTL: 254}, DropTTL},
		{"short", []byte{0x21, 51}, ok, DropTooShort},
		{"version 3", func() []byte { b := enc(same); b[0] = 0x31; return b }(), ok, DropVersion},
		{"type 2", func() []byte { b := enc(same); b[0] = 0x22; return b }(), ok, DropType},
		{"length", append(enc(same), 0, 0, 0, 0), ok, DropLength},
		{"checksum", func() []byte { b := enc(same); b[2]--; return b }(), ok, DropChecksum},
		{"unknown vrid", enc(func(a *Advertisement) { a.VRID = 52 }), ok, DropUnknownVRID},
		{"own packet", enc(same), RecvMeta{Src: self, TTL: 255}, DropOwnPacket},
		{"auth type 0", enc(func(a *Advertisement) { a.AuthType = AuthNone; a.AuthData = [8]byte{} }), ok, DropAuthType},
		{"auth type 2 (AH)", enc(func(a *Advertisement) { a.AuthType = 2 }), ok, DropAuthType},
		{"password", enc(func(a *Advertisement) { a.AuthData = AuthPassword("pw13") }), ok, DropAuth},
		{"interval", enc(func(a *Advertisement) { a.AdvertInt = 2 }), ok, DropInterval},
		{"no vip", enc(func(a *Advertisement) { a.Addresses = nil }), ok, DropAddresses},
		{"other vip", enc(func(a *Advertisement) { a.Addresses = []netip.Addr{peer} }), ok, DropAddresses},
		{"extra vip", enc(func(a *Advertisement) { a.Addresses = []netip.Addr{vip, peer} }), ok, DropAddresses},
		{"duplicate vip", enc(func(a *Advertisement) { a.Addresses = []netip.Addr{vip, vip} }), ok, DropAddresses},
		{"priority 0 accepted", enc(func(a *Advertisement) { a.Priority = 0 }), ok, DropNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, got := Validate(tc.b, tc.meta, lookup)
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidateNoAuth(t *testing.T) {
	// With auth type 0 the auth data is ignored, as RFC 3768 §5.3.6 says.
	e := &Expect{AuthType: AuthNone, AdvertInt: 1}
	a := Advertisement{VRID: 1, Priority: 100, AdvertInt: 1, AuthData: AuthPassword("junk")}
	if got := e.Check(&a, netip.MustParseAddr("192.0.2.1")); got != DropNone {
		t.Errorf("got %v", got)
	}
}

func TestVIPOrderIgnored(t *testing.T) {
	a1, a2 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	e := &Expect{AdvertInt: 1, Addresses: []netip.Addr{a1, a2}}
	a := Advertisement{AdvertInt: 1, Addresses: []netip.Addr{a2, a1}}
	if got := e.Check(&a, netip.MustParseAddr("192.0.2.9")); got != DropNone {
		t.Errorf("got %v", got)
	}
}

func TestDropReasonString(t *testing.T) {
	seen := map[string]bool{}
	for r := DropNone; r < NumDropReasons; r++ {
		s := r.String()
		if s == "" || s == "unknown" || seen[s] {
			t.Errorf("reason %d has name %q", r, s)
		}
		seen[s] = true
	}
	if NumDropReasons.String() != "unknown" {
		t.Error("out of range reason has a name")
	}
}
