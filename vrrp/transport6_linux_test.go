//go:build linux

package vrrp

import (
	"errors"
	"net"
	"net/netip"
	"testing"
)

// TestNewIP6TransportSource: the IPv6 transport refuses a source that
// is not IPv6 before it touches the socket, with the error the router
// waits on.
func TestNewIP6TransportSource(t *testing.T) {
	ifi := &net.Interface{Index: 2, Name: "eth0"}
	for _, src := range []netip.Addr{{}, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("::ffff:192.0.2.1")} {
		if _, err := NewIP6Transport(nil, ifi, TransportOptions{SrcIP: src, IPv6: true}); !errors.Is(err, ErrNoLinkLocal) {
			t.Errorf("NewIP6Transport(src %v) = %v, want ErrNoLinkLocal", src, err)
		}
	}
	if _, err := DialIPv6Transport("nosuch-v6", TransportOptions{IPv6: true}); err == nil {
		t.Error("DialIPv6Transport on a missing interface succeeded")
	}
}
