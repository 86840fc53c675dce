package vrrp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/ndp"
)

// An unsolicited Neighbor Advertisement (RFC 4861 §7.2.6) is to IPv6
// what gratuitous ARP is to IPv4: RFC 5798 §8.2 has a new master send
// one for each virtual IPv6 address so that neighbours replace their
// cache entry with its MAC. As keepalived sends it: to ff02::1 with hop
// limit 255 from a link-local source, Override set, Solicited clear,
// Router set only when the interface forwards IPv6, and a Target
// Link-Layer Address option holding the interface's MAC.

// ErrNAAddress is returned for a target that is not a unicast IPv6
// address (an IPv4 one belongs to gratuitous ARP).
var ErrNAAddress = errors.New("neighbor advertisement target is not ipv6")

// allNodes is ff02::1, where unsolicited advertisements go.
var allNodes = netip.MustParseAddr("ff02::1")

// naHopLimit is the hop limit of every Neighbor Discovery message; a
// receiver drops one with any other (RFC 4861 §7.1.2).
const naHopLimit = 255

// UnsolicitedNA encodes the ICMPv6 message announcing target at mac,
// with its checksum zero: the kernel fills it in for ICMPv6 sockets.
// router sets the R flag, which a host that routes must send lest its
// neighbours stop using it as a router. It returns ErrNAAddress for a
// target that is not IPv6 unicast and ErrARPHardware for a MAC that is
// not 6 bytes.
func UnsolicitedNA(mac net.HardwareAddr, target netip.Addr, router bool) ([]byte, error) {
	if len(mac) != 6 {
		return nil, ErrARPHardware
	}
	target = target.WithZone("")
	if !target.Is6() || target.Is4In6() || target.IsMulticast() || target.IsUnspecified() {
		return nil, fmt.Errorf("%v: %w", target, ErrNAAddress)
	}
	b, err := ndp.MarshalMessage(&ndp.NeighborAdvertisement{
		Router:        router,
		Override:      true,
		TargetAddress: target,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: mac}},
	})
	if err != nil {
		return nil, fmt.Errorf("encode neighbor advertisement for %v: %w", target, err)
	}
	return b, nil
}
