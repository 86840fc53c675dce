package vrrp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The address manager's netlink handle also carries the virtual routes
// and rules: they live in the same namespace as the VIPs they follow.

var _ RouteManager = (*NetlinkAddrManager)(nil)

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func ip(a netip.Addr) net.IP {
	if !a.IsValid() {
		return nil
	}
	return a.AsSlice()
}

var routeTypes = map[RouteType]int{
	RouteUnicast:     unix.RTN_UNICAST,
	RouteBlackhole:   unix.RTN_BLACKHOLE,
	RouteUnreachable: unix.RTN_UNREACHABLE,
	RouteProhibit:    unix.RTN_PROHIBIT,
}

// nlRoute is rt as netlink sends it. The device is looked up by name
// each time, so a device re-created since the last call is found.
func (m *NetlinkAddrManager) nlRoute(rt VRoute) (*netlink.Route, error) {
	nr := &netlink.Route{
		Dst:      ipNet(rt.Dst),
		Src:      ip(rt.Src),
		Gw:       ip(rt.Via),
		Table:    int(rt.Table),
		Priority: int(rt.Metric),
		Scope:    netlink.Scope(rt.Scope),
		Protocol: netlink.RouteProtocol(rt.Protocol),
		Type:     routeTypes[rt.Type],
		Family:   netlink.FAMILY_V4,
	}
	if rt.Dst.Addr().Is6() {
		nr.Family = netlink.FAMILY_V6
	}
	if rt.Dev != "" {
		l, err := m.linkByName(rt.Dev)
		if err != nil {
			return nil, err
		}
		nr.LinkIndex = l.Attrs().Index
	}
	return nr, nil
}

// AddRoute adds rt, before any route it matches (keepalived's default,
// the kernel's prepend). An identical route already present is not an
// error.
func (m *NetlinkAddrManager) AddRoute(rt VRoute) error {
	nr, err := m.nlRoute(rt)
	if err == nil {
		err = m.h.RouteAddEcmp(nr)
	}
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("add route %v: %w", rt.Dst, err)
	}
	return nil
}

// RemoveRoute deletes rt, matching its protocol, so a route of the
// same destination that someone else added stays. An absent route or
// device is not an error.
func (m *NetlinkAddrManager) RemoveRoute(rt VRoute) error {
	nr, err := m.nlRoute(rt)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return nil // the kernel took the device's routes with it
	}
	if err == nil {
		err = m.h.RouteDel(nr)
	}
	if errors.Is(err, unix.ESRCH) || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove route %v: %w", rt.Dst, err)
	}
	return nil
}

func nlRule(ru VRule) *netlink.Rule {
	nr := netlink.NewRule()
	nr.Family = netlink.FAMILY_V4
	if ru.IPv6 {
		nr.Family = netlink.FAMILY_V6
	}
	if ru.From.IsValid() {
		nr.Src = ipNet(ru.From)
	}
	if ru.To.IsValid() {
		nr.Dst = ipNet(ru.To)
	}
	nr.IifName, nr.OifName = ru.IIF, ru.OIF
	nr.Mark = ru.FWMark
	if ru.FWMask != 0 {
		mask := ru.FWMask
		nr.Mask = &mask
	}
	nr.Table = int(ru.Table)
	nr.Priority = int(ru.Priority)
	return nr
}

// AddRule adds ru; the same rule already present is not an error.
func (m *NetlinkAddrManager) AddRule(ru VRule) error {
	err := m.h.RuleAdd(nlRule(ru))
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("add rule preference %d: %w", ru.Priority, err)
	}
	return nil
}

// RemoveRule deletes ru; an absent rule is not an error.
func (m *NetlinkAddrManager) RemoveRule(ru VRule) error {
	err := m.h.RuleDel(nlRule(ru))
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove rule preference %d: %w", ru.Priority, err)
	}
	return nil
}
