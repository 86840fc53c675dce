package realserver

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// procSys is where the sysctls are; per network namespace, as the
// reading thread's namespace sees them.
const procSys = "/proc/sys"

// Read returns the links with their addresses and the ARP and rp_filter
// sysctls of "all" and of every link. It returns the first netlink
// error; a sysctl that cannot be read is left out.
func Read() (State, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return State{}, fmt.Errorf("list links: %w", err)
	}
	st := State{Sysctl: map[string]string{}}
	devs := []string{allDevices}
	for _, l := range links {
		a := l.Attrs()
		addrs, err := netlink.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			return State{}, fmt.Errorf("list addresses of %s: %w", a.Name, err)
		}
		lk := Link{Name: a.Name, Up: a.Flags&net.FlagUp != 0}
		for _, ad := range addrs {
			if p, ok := prefixOf(ad.IPNet); ok {
				lk.Addrs = append(lk.Addrs, p)
			}
		}
		st.Links = append(st.Links, lk)
		devs = append(devs, a.Name)
	}
	for _, d := range devs {
		for _, n := range []string{"arp_ignore", "arp_announce", "rp_filter"} {
			k := SysctlKey(d, n)
			if b, err := os.ReadFile(sysctlPath(k)); err == nil {
				st.Sysctl[k] = strings.TrimSpace(string(b))
			}
		}
	}
	return st, nil
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}

func sysctlPath(key string) string {
	return filepath.Join(procSys, strings.ReplaceAll(key, ".", "/"))
}

// Apply carries out steps in order and stops at the first error, which
// names the step (errors.Is(err, os.ErrPermission) holds without
// CAP_NET_ADMIN).
func Apply(steps []Step) error {
	for _, s := range steps {
		if err := apply(s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

func apply(s Step) error {
	switch {
	case s.EnsureLink != "":
		return ensureTunnel(s.EnsureLink)
	case s.SetUp != "":
		l, err := netlink.LinkByName(s.SetUp)
		if err != nil {
			return err
		}
		return netlink.LinkSetUp(l)
	case s.AddAddr, s.DelAddr:
		l, err := netlink.LinkByName(s.Link)
		if err != nil {
			return err
		}
		a := &netlink.Addr{IPNet: &net.IPNet{IP: s.Addr.Addr().AsSlice(), Mask: net.CIDRMask(s.Addr.Bits(), s.Addr.Addr().BitLen())}}
		if s.AddAddr {
			err = netlink.AddrAdd(l, a)
			if errors.Is(err, unix.EEXIST) {
				err = nil // added meanwhile: the goal holds
			}
			return err
		}
		err = netlink.AddrDel(l, a)
		if errors.Is(err, unix.EADDRNOTAVAIL) {
			err = nil
		}
		return err
	}
	return os.WriteFile(sysctlPath(s.Key), []byte(s.Value+"\n"), 0o644)
}

// ensureTunnel makes the fallback device name (tunl0 or ip6tnl0) exist.
// The kernel creates it in every namespace when the tunnel module loads;
// asking for a link of its kind loads the module (as "ip link add" does),
// and the fallback device appears with it, so EEXIST is success.
func ensureTunnel(name string) error {
	if _, err := netlink.LinkByName(name); err == nil {
		return nil
	}
	var l netlink.Link
	switch name {
	case Tunnel4:
		l = &netlink.Iptun{LinkAttrs: netlink.LinkAttrs{Name: name}}
	case Tunnel6:
		l = &netlink.Ip6tnl{LinkAttrs: netlink.LinkAttrs{Name: name}}
	default:
		return fmt.Errorf("unknown tunnel device %s", name)
	}
	if err := netlink.LinkAdd(l); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("create %s (kernel module ipip or ip6_tunnel): %w", name, err)
	}
	if _, err := netlink.LinkByName(name); err != nil {
		return fmt.Errorf("%s did not appear: %w", name, err)
	}
	return nil
}
