package lab

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"

	"github.com/vishvananda/netlink"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// handle opens a netlink handle bound to namespace ns.
func handle(ns string) (*netlink.Handle, error) {
	n, err := netnstest.Open(filepath.Join("/run/netns", ns))
	if err != nil {
		return nil, err
	}
	defer n.Close()
	h, err := netlink.NewHandleAt(n.Handle())
	if err != nil {
		return nil, fmt.Errorf("netlink in %s: %w", ns, err)
	}
	return h, nil
}

// InNS runs fn on an OS thread switched into the named namespace ns.
// Sockets opened by fn stay in ns after it returns, so callers use it to
// create sockets.
func InNS(ns string, fn func() error) error {
	n, err := netnstest.Open(filepath.Join("/run/netns", ns))
	if err != nil {
		return err
	}
	defer n.Close()
	return n.Run(fn)
}

// LinkMAC returns the hardware address of dev in ns.
func LinkMAC(ns, dev string) (net.HardwareAddr, error) {
	h, err := handle(ns)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	link, err := h.LinkByName(dev)
	if err != nil {
		return nil, fmt.Errorf("find %s in %s: %w", dev, ns, err)
	}
	return link.Attrs().HardwareAddr, nil
}

// HasAddr reports whether dev in ns carries prefix (address and length,
// e.g. 192.0.2.50/24; a bare address matches any length).
func HasAddr(ns, dev string, prefix string) (bool, error) {
	var want netip.Prefix
	bare := false
	if p, err := netip.ParsePrefix(prefix); err == nil {
		want = p
	} else if a, err := netip.ParseAddr(prefix); err == nil {
		want, bare = netip.PrefixFrom(a, a.BitLen()), true
	} else {
		return false, fmt.Errorf("parse %q: %w", prefix, err)
	}
	h, err := handle(ns)
	if err != nil {
		return false, err
	}
	defer h.Close()
	link, err := h.LinkByName(dev)
	if err != nil {
		return false, fmt.Errorf("find %s in %s: %w", dev, ns, err)
	}
	addrs, err := h.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return false, fmt.Errorf("list addresses of %s in %s: %w", dev, ns, err)
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ones, _ := a.Mask.Size()
		if ip.Unmap() == want.Addr() && (bare || ones == want.Bits()) {
			return true, nil
		}
	}
	return false, nil
}

// ErrNoNeigh is returned by NeighMAC when ns has no usable entry for ip.
var ErrNoNeigh = errors.New("no neighbour entry")

// NeighMAC returns the link-layer address ns's ARP table holds for ip,
// ignoring incomplete and failed entries. It returns ErrNoNeigh if there is
// none.
func NeighMAC(ns string, ip netip.Addr) (net.HardwareAddr, error) {
	h, err := handle(ns)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	neighs, err := h.NeighList(0, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("list neighbours in %s: %w", ns, err)
	}
	for _, n := range neighs {
		a, ok := netip.AddrFromSlice(n.IP)
		if !ok || a.Unmap() != ip || len(n.HardwareAddr) == 0 {
			continue
		}
		if n.State&(netlink.NUD_INCOMPLETE|netlink.NUD_FAILED) != 0 {
			continue
		}
		return n.HardwareAddr, nil
	}
	return nil, fmt.Errorf("%s in %s: %w", ip, ns, ErrNoNeigh)
}

// Owners returns the nodes whose Dev carries addr.
func (l *Lab) Owners(addr netip.Addr) []*Node {
	var out []*Node
	for _, n := range l.Nodes() {
		if ok, _ := HasAddr(n.NS, n.Dev, addr.String()); ok {
			out = append(out, n)
		}
	}
	return out
}

// NodeByMAC returns the node whose Dev has mac, or nil.
func (l *Lab) NodeByMAC(mac net.HardwareAddr) *Node {
	for _, n := range l.Nodes() {
		if n.MAC.String() == mac.String() {
			return n
		}
	}
	return nil
}
