package vrrp

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

// TestAdvertPassesPeerCheck: what an instance sends is built from its
// config, not from its receive checks, so the two could drift apart. Two
// routers with the same config must accept each other's adverts, on the
// wire, and drop their own looped back.
func TestAdvertPassesPeerCheck(t *testing.T) {
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	vip := func(s string) VIPAddr { return VIPAddr{Prefix: netip.MustParsePrefix(s)} }
	for _, tc := range []struct {
		name string
		cfg  InstanceConfig
		// on the wire, spelled out independently of advert()
		wantInt   uint8
		wantAuth  [8]byte
		wantAddrs []string
	}{
		{"no auth, one vip", InstanceConfig{VRID: 7, Priority: 100, AdvertInterval: time.Second,
			VIPs: []VIPAddr{vip("198.51.100.1/24")}}, 1, [8]byte{}, []string{"198.51.100.1"}},
		{"simple auth, three vips, 3 s", InstanceConfig{VRID: 255, Priority: 255, AdvertInterval: 3 * time.Second,
			AuthType: AuthSimple, AuthPass: "secret",
			VIPs: []VIPAddr{vip("198.51.100.1/24"), vip("198.51.100.2/32"), vip("203.0.113.9/24")}},
			3, [8]byte{'s', 'e', 'c', 'r', 'e', 't'}, []string{"198.51.100.1", "198.51.100.2", "203.0.113.9"}},
		{"no vips, full password", InstanceConfig{VRID: 1, Priority: 1, AdvertInterval: 255 * time.Second,
			AuthType: AuthSimple, AuthPass: "12345678"}, 255, [8]byte{'1', '2', '3', '4', '5', '6', '7', '8'}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			adv := tc.cfg.advert()
			adv.Priority = 42
			wire, err := adv.MarshalBinary()
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			got, why := Parse(wire, RecvMeta{Src: a, TTL: 255})
			if why != DropNone {
				t.Fatalf("Parse: %v", why)
			}
			if got.VRID != tc.cfg.VRID || got.Priority != 42 {
				t.Errorf("sent vrid %d priority %d, want %d and 42", got.VRID, got.Priority, tc.cfg.VRID)
			}
			var addrs []string
			for _, x := range got.Addresses {
				addrs = append(addrs, x.String())
			}
			if got.AdvertInt != tc.wantInt || got.AuthData != tc.wantAuth || !slices.Equal(addrs, tc.wantAddrs) {
				t.Errorf("sent interval %d auth %q addresses %v, want %d %q %v",
					got.AdvertInt, got.AuthData, addrs, tc.wantInt, tc.wantAuth, tc.wantAddrs)
			}
			peer := tc.cfg.expect(b)
			if why := peer.Check(&got, a); why != DropNone {
				t.Errorf("peer drops our advert: %v", why)
			}
			own := tc.cfg.expect(a)
			if why := own.Check(&got, a); why != DropOwnPacket {
				t.Errorf("own advert looped back: %v, want %v", why, DropOwnPacket)
			}
		})
	}
}
