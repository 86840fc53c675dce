package vrrp

import (
	"net/netip"
	"testing"
)

func TestRecvFilter(t *testing.T) {
	a := netip.MustParseAddr
	peer := a("192.0.2.12")
	stranger := a("192.0.2.99")
	mcast := newRecvFilter(3, nil)
	ucast := newRecvFilter(3, []netip.Addr{peer, a("192.0.2.13")})
	tests := []struct {
		name string
		f    recvFilter
		m    RecvMeta
		ok   bool
		want recvVerdict
	}{
		{"multicast any source", mcast, RecvMeta{Src: stranger, Dst: vrrpGroup, TTL: 255, IfIndex: 3}, true, recvAccept},
		{"ttl is the core's business", mcast, RecvMeta{Src: stranger, Dst: vrrpGroup, TTL: 1, IfIndex: 3}, true, recvAccept},
		{"other interface", mcast, RecvMeta{Src: stranger, Dst: vrrpGroup, TTL: 255, IfIndex: 4}, true, recvOtherInterface},
		{"no control message", mcast, RecvMeta{}, false, recvNoMeta},
		{"unicast peer", ucast, RecvMeta{Src: peer, Dst: a("192.0.2.11"), TTL: 255, IfIndex: 3}, true, recvAccept},
		{"unicast 4in6 peer", ucast, RecvMeta{Src: netip.AddrFrom16(peer.As16()), TTL: 255, IfIndex: 3}, true, recvAccept},
		{"unicast stranger", ucast, RecvMeta{Src: stranger, Dst: a("192.0.2.11"), TTL: 255, IfIndex: 3}, true, recvNotPeer},
		{"unicast stranger to group", ucast, RecvMeta{Src: stranger, Dst: vrrpGroup, TTL: 255, IfIndex: 3}, true, recvNotPeer},
		{"unicast peer on other interface", ucast, RecvMeta{Src: peer, TTL: 255, IfIndex: 9}, true, recvOtherInterface},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.check(tt.m, tt.ok); got != tt.want {
				t.Errorf("check = %v, want %v", got, tt.want)
			}
		})
	}
}
