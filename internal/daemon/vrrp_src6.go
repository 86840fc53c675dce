package daemon

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// errNoLinkLocal means an interface has no IPv6 link-local address yet
// (IPv6 off, or the address still tentative); its IPv6 instances wait
// and are tried again on the next address change.
var errNoLinkLocal = errors.New("no ipv6 link-local address")

// linkLocalIPv6 finds the IPv6 link-local address of ifname: the source
// RFC 5798 §5.1.2.1 requires for IPv6 adverts, and so the address a
// VRRPv3 IPv6 instance breaks priority ties with and recognises its own
// adverts by. The first one is taken, as the IPv6 transport does.
func linkLocalIPv6(ifname string) (netip.Addr, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("link-local address of %s: %w", ifname, err)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("link-local address of %s: %w", ifname, err)
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Is6() && !ip.Is4In6() && ip.IsLinkLocalUnicast() {
			return ip, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("%s: %w", ifname, errNoLinkLocal)
}
