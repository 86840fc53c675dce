package vrrp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
)

// NetlinkVMACs is the Linux VMACKernel: macvlan interfaces through
// rtnetlink, sysctls through /proc/sys, in the calling thread's network
// namespace.
type NetlinkVMACs struct {
	// procSys is /proc/sys; a test may point it elsewhere.
	procSys string
	mu      sync.Mutex
	saved   map[string]map[string]string // parent -> sysctl -> value before us
}

var _ VMACKernel = (*NetlinkVMACs)(nil)

// NewNetlinkVMACs returns the Linux VMAC kernel.
func NewNetlinkVMACs() *NetlinkVMACs {
	return &NetlinkVMACs{procSys: "/proc/sys", saved: map[string]map[string]string{}}
}

// ParentIndex implements VMACKernel.
func (k *NetlinkVMACs) ParentIndex(name string) (int, error) {
	l, err := netlink.LinkByName(name)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return l.Attrs().Index, nil
}

// Link implements VMACKernel.
func (k *NetlinkVMACs) Link(name string) (VMACLink, error) {
	l, err := netlink.LinkByName(name)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return VMACLink{}, nil
	}
	if err != nil {
		return VMACLink{}, err
	}
	a := l.Attrs()
	out := VMACLink{Exists: true, ParentIndex: a.ParentIndex, MAC: a.HardwareAddr}
	if mv, ok := l.(*netlink.Macvlan); ok {
		out.Macvlan = true
		out.Private = mv.Mode == netlink.MACVLAN_MODE_PRIVATE
	}
	return out, nil
}

// Create implements VMACKernel: a private-mode macvlan, as keepalived
// makes them, created down so that its sysctls are in place before it
// can send or answer anything.
func (k *NetlinkVMACs) Create(v VMAC, parentIndex int) error {
	mv := &netlink.Macvlan{
		LinkAttrs: netlink.LinkAttrs{Name: v.Name, ParentIndex: parentIndex, HardwareAddr: v.MAC},
		Mode:      netlink.MACVLAN_MODE_PRIVATE,
	}
	return netlink.LinkAdd(mv)
}

// Delete implements VMACKernel.
func (k *NetlinkVMACs) Delete(name string) error {
	l, err := netlink.LinkByName(name)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return nil
	}
	if err != nil {
		return err
	}
	return netlink.LinkDel(l)
}

// vmacSysctls are set on a VMAC (keepalived sets the same):
// arp_ignore 1 so it answers ARP only for its own addresses (the VIPs),
// accept_local 1 and rp_filter 0 so adverts reach it though it has no
// address of its own, promote_secondaries 1 so removing one VIP keeps
// the others. IPv6 is off on it: an IPv4 VMAC's link-local address and
// its neighbour and listener messages would carry the virtual MAC from
// the backup too, teaching switches the wrong port.
var vmacSysctls = [][2]string{
	{"net/ipv4/conf/%s/arp_ignore", "1"},
	{"net/ipv4/conf/%s/accept_local", "1"},
	{"net/ipv4/conf/%s/rp_filter", "0"},
	{"net/ipv4/conf/%s/promote_secondaries", "1"},
	{"net/ipv6/conf/%s/disable_ipv6", "1"},
}

// parentSysctls are set on the parent while it carries a VMAC:
// arp_ignore 1 so the parent does not answer for the VIPs with its own
// MAC, arp_filter 1 so it answers for its own addresses only on itself
// (keepalived sets both), and arp_announce 2, which keepalived leaves
// to the operator: replies to clients leave through the parent, and an
// ARP request it sends for a client must not carry a VIP as its sender
// address, or the client learns the VIP at the parent's MAC.
var parentSysctls = [][2]string{
	{"net/ipv4/conf/%s/arp_ignore", "1"},
	{"net/ipv4/conf/%s/arp_filter", "1"},
	{"net/ipv4/conf/%s/arp_announce", "2"},
}

// Setup implements VMACKernel.
func (k *NetlinkVMACs) Setup(v VMAC) error {
	for _, s := range vmacSysctls {
		err := k.ensure(fmt.Sprintf(s[0], v.Name), s[1], nil)
		if err != nil && !(strings.HasPrefix(s[0], "net/ipv6/") && errors.Is(err, os.ErrNotExist)) {
			return err
		}
	}
	k.mu.Lock()
	saved := k.saved[v.Parent]
	if saved == nil {
		saved = map[string]string{}
		k.saved[v.Parent] = saved
	}
	for _, s := range parentSysctls {
		if err := k.ensure(fmt.Sprintf(s[0], v.Parent), s[1], saved); err != nil {
			k.mu.Unlock()
			return err
		}
	}
	k.mu.Unlock()
	l, err := netlink.LinkByName(v.Name)
	if err != nil {
		return err
	}
	if l.Attrs().RawFlags&1 == 0 { // IFF_UP
		return netlink.LinkSetUp(l)
	}
	return nil
}

// ensure writes value to the sysctl at rel unless it holds it already;
// the first old value written over is kept in saved (may be nil).
func (k *NetlinkVMACs) ensure(rel, value string, saved map[string]string) error {
	p := filepath.Join(k.procSys, rel)
	b, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("read sysctl %s: %w", rel, err)
	}
	old := strings.TrimSpace(string(b))
	if old == value {
		return nil
	}
	if saved != nil {
		if _, ok := saved[rel]; !ok {
			saved[rel] = old
		}
	}
	if err := os.WriteFile(p, []byte(value+"\n"), 0o644); err != nil {
		return fmt.Errorf("write sysctl %s: %w", rel, err)
	}
	return nil
}

// Restore implements VMACKernel.
func (k *NetlinkVMACs) Restore(parent string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	var errs []error
	for rel, old := range k.saved[parent] {
		if err := os.WriteFile(filepath.Join(k.procSys, rel), []byte(old+"\n"), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("restore sysctl %s: %w", rel, err))
		}
	}
	delete(k.saved, parent)
	return errors.Join(errs...)
}
