package vrrp

import (
	"net/netip"
	"testing"
)

// TestReceiveV3 walks the RFC 5798 §7.1 receive checks, and keepalived's
// unicast TTL rule, over the VRRPv3 packets of keepalived's captures.
func TestReceiveV3(t *testing.T) {
	peer, self := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.12")
	vip := netip.MustParseAddr("192.0.2.50")
	expect := &Expect{Version: Version3, Addresses: []netip.Addr{vip}, Own: []netip.Addr{self}}
	lookup := func(vrid uint8) (*Expect, bool) { return expect, vrid == 51 }
	good := Advertisement{Version: Version3, VRID: 51, Priority: 150, MaxAdvertInt: 10, Addresses: []netip.Addr{vip}}
	enc := func(src, dst netip.Addr, f func(a *Advertisement)) []byte {
		a := good
		f(&a)
		b, err := a.AppendPacket(nil, src, dst)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	same := func(*Advertisement) {}
	mc := RecvMeta{Src: peer, Dst: GroupAddr, TTL: 255}
	v2 := Advertisement{VRID: 51, Priority: 150, AdvertInt: 1, Addresses: []netip.Addr{vip}}
	v2b, _ := v2.MarshalBinary()
	v3only := Receive{V3: true}
	both := Receive{V2: true, V3: true}
	for _, tc := range []struct {
		name string
		rc   Receive
		b    []byte
		meta RecvMeta
		want DropReason
	}{
		{"keepalived capture", v3only, advHex(t, keepalivedV3[0].hex), mc, DropNone},
		{"accepted", v3only, enc(peer, GroupAddr, same), mc, DropNone},
		{"hop limit 254", v3only, enc(peer, GroupAddr, same), RecvMeta{Src: peer, Dst: GroupAddr, TTL: 254}, DropTTL},
		{"v2 advert on a v3 interface", v3only, v2b, mc, DropVersion},
		{"v2 advert on a v3 instance", both, v2b, mc, DropVersion},
		{"v3 advert on a v2 interface", Receive{V2: true}, enc(peer, GroupAddr, same), mc, DropVersion},
		{"version 4", v3only, func() []byte { b := enc(peer, GroupAddr, same); b[0] = 0x41; return b }(), mc, DropVersion},
		{"type 2", v3only, func() []byte { b := enc(peer, GroupAddr, same); b[0] = 0x32; return b }(), mc, DropType},
		{"checksum", v3only, func() []byte { b := enc(peer, GroupAddr, same); b[2]--; return b }(), mc, DropChecksum},
		{"checksum over another destination", v3only, enc(peer, netip.MustParseAddr("192.0.2.12"), same), mc, DropChecksum},
		{"length", v3only, append(enc(peer, GroupAddr, same), 0, 0, 0, 0), mc, DropLength},
		{"short", v3only, []byte{0x31, 51}, mc, DropTooShort},
		{"unknown vrid", v3only, enc(peer, GroupAddr, func(a *Advertisement) { a.VRID = 52 }), mc, DropUnknownVRID},
		{"own packet", v3only, enc(self, GroupAddr, same), RecvMeta{Src: self, Dst: GroupAddr, TTL: 255}, DropOwnPacket},
		{"interval 0", v3only, enc(peer, GroupAddr, func(a *Advertisement) { a.MaxAdvertInt = 0 }), mc, DropInterval},
		{"other interval accepted", v3only, enc(peer, GroupAddr, func(a *Advertisement) { a.MaxAdvertInt = 100 }), mc, DropNone},
		{"other vip", v3only, enc(peer, GroupAddr, func(a *Advertisement) { a.Addresses = []netip.Addr{peer} }), mc, DropAddresses},
		{"no vip", v3only, enc(peer, GroupAddr, func(a *Advertisement) { a.Addresses = nil }), mc, DropAddresses},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, got := tc.rc.Parse(tc.b, tc.meta)
			if got == DropNone {
				e, ok := lookup(a.VRID)
				if !ok {
					got = DropUnknownVRID
				} else {
					got = e.Check(&a, tc.meta.Src)
				}
			}
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestReceiveUnicastTTL: in unicast mode no TTL is required (keepalived),
// unless the peer has min_ttl/max_ttl; multicast still requires 255.
func TestReceiveUnicastTTL(t *testing.T) {
	peer, bounded := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.7")
	me := netip.MustParseAddr("192.0.2.2")
	e := &Expect{Version: Version3, PeerTTL: map[netip.Addr]TTLBounds{bounded: {Min: 250, Max: 253}}}
	for _, tc := range []struct {
		name string
		rc   Receive
		meta RecvMeta
		want DropReason
	}{
		{"unicast ttl 64", Receive{V3: true, Unicast: true}, RecvMeta{Src: peer, Dst: me, TTL: 64}, DropNone},
		{"unicast ttl 1", Receive{V2: true, Unicast: true}, RecvMeta{Src: peer, Dst: me, TTL: 1}, DropNone},
		{"multicast ttl 64", Receive{V3: true}, RecvMeta{Src: peer, Dst: GroupAddr, TTL: 64}, DropTTL},
		{"bounded peer inside", Receive{V3: true, Unicast: true}, RecvMeta{Src: bounded, Dst: me, TTL: 252}, DropNone},
		{"bounded peer at min", Receive{V3: true, Unicast: true}, RecvMeta{Src: bounded, Dst: me, TTL: 250}, DropNone},
		{"bounded peer below", Receive{V3: true, Unicast: true}, RecvMeta{Src: bounded, Dst: me, TTL: 249}, DropTTL},
		{"bounded peer above", Receive{V3: true, Unicast: true}, RecvMeta{Src: bounded, Dst: me, TTL: 255}, DropTTL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b []byte
			if tc.rc.V3 {
				a := Advertisement{Version: Version3, VRID: 1, Priority: 100, MaxAdvertInt: 100}
				b, _ = a.AppendPacket(nil, tc.meta.Src, tc.meta.Dst)
			} else {
				a := Advertisement{VRID: 1, Priority: 100, AdvertInt: 1}
				b, _ = a.MarshalBinary()
			}
			_, got := tc.rc.Parse(b, tc.meta)
			if got == DropNone {
				got = e.CheckTTL(tc.meta)
			}
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
