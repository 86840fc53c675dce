package vrrp

import (
	"net/netip"
	"testing"
)

// TestRecvFilterIPv6: the filter the IPv6 transport shares with the
// IPv4 one compares addresses without zones, so a link-local peer
// configured as fe80::2%eth0 matches the zone-less source the kernel
// reports, and the reverse.
func TestRecvFilterIPv6(t *testing.T) {
	a := netip.MustParseAddr
	ll := newRecvFilter(3, []netip.Addr{a("fe80::2%eth0"), a("2001:db8::2")})
	mcast := newRecvFilter(3, nil)
	tests := []struct {
		name string
		f    recvFilter
		m    RecvMeta
		want recvVerdict
	}{
		{"multicast link-local source", mcast, RecvMeta{Src: a("fe80::2"), Dst: vrrpGroup6, TTL: 255, IfIndex: 3}, recvAccept},
		{"multicast other interface", mcast, RecvMeta{Src: a("fe80::2"), Dst: vrrpGroup6, TTL: 255, IfIndex: 5}, recvOtherInterface},
		{"zoned peer, bare source", ll, RecvMeta{Src: a("fe80::2"), TTL: 255, IfIndex: 3}, recvAccept},
		{"bare peer, zoned source", ll, RecvMeta{Src: a("2001:db8::2%eth0"), TTL: 255, IfIndex: 3}, recvAccept},
		{"global peer", ll, RecvMeta{Src: a("2001:db8::2"), Dst: a("2001:db8::1"), TTL: 64, IfIndex: 3}, recvAccept},
		{"stranger", ll, RecvMeta{Src: a("fe80::3"), Dst: vrrpGroup6, TTL: 255, IfIndex: 3}, recvNotPeer},
		{"ipv4 peer's twin is not a peer", ll, RecvMeta{Src: a("::2"), TTL: 255, IfIndex: 3}, recvNotPeer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.check(tt.m, true); got != tt.want {
				t.Errorf("check = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIsGroup(t *testing.T) {
	for _, tt := range []struct {
		a    netip.Addr
		want bool
	}{
		{vrrpGroup6, true},
		{vrrpGroup, true},
		{netip.MustParseAddr("ff02::1"), false},
		{netip.MustParseAddr("2001:db8::12"), false},
	} {
		if got := isGroup(tt.a); got != tt.want {
			t.Errorf("isGroup(%v) = %v, want %v", tt.a, got, tt.want)
		}
	}
}
