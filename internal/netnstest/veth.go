//go:build linux

package netnstest

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// End is one end of a veth pair: its name, its optional address and the
// namespace it lives in (nil = the calling thread's).
type End struct {
	Name string
	Addr netip.Prefix
	NS   *Netns
}

// Veth creates a veth pair a<->b from the calling thread's namespace,
// moves each end with a non-nil NS there, gives each its address, brings
// both up and waits until both are operationally up, so that packets
// sent right after are not dropped by the not-yet-activated qdisc.
func Veth(t testing.TB, a, b End) {
	t.Helper()
	if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: a.Name}, PeerName: b.Name}); err != nil {
		SkipOrFail(t, err)
	}
	for _, e := range []End{a, b} {
		if e.NS == nil {
			continue
		}
		l, err := netlink.LinkByName(e.Name)
		if err != nil {
			t.Fatalf("find %s: %v", e.Name, err)
		}
		if err := netlink.LinkSetNsFd(l, e.NS.FD()); err != nil {
			t.Fatalf("move %s to netns: %v", e.Name, err)
		}
	}
	for _, e := range []End{a, b} {
		do(t, e.NS, func() { configure(t, e) })
	}
	for _, e := range []End{a, b} {
		do(t, e.NS, func() { WaitOperUp(t, e.Name) })
	}
}

func do(t testing.TB, ns *Netns, fn func()) {
	if ns == nil {
		fn()
		return
	}
	ns.Do(t, fn)
}

func configure(t testing.TB, e End) {
	t.Helper()
	l, err := netlink.LinkByName(e.Name)
	if err != nil {
		t.Fatalf("find %s: %v", e.Name, err)
	}
	if e.Addr.IsValid() {
		if err := netlink.AddrAdd(l, &netlink.Addr{IPNet: PrefixIPNet(e.Addr)}); err != nil {
			t.Fatalf("address %v on %s: %v", e.Addr, e.Name, err)
		}
	}
	if err := netlink.LinkSetUp(l); err != nil {
		t.Fatalf("set %s up: %v", e.Name, err)
	}
}

// WaitOperUp polls until link name in the calling thread's namespace is
// operationally up, failing t after 10 s. It waits for the kernel, it
// does not measure it.
func WaitOperUp(t testing.TB, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l, err := netlink.LinkByName(name)
		if err != nil {
			t.Fatalf("find %s: %v", name, err)
		}
		if l.Attrs().OperState == netlink.OperUp {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not operationally up after 10 s (state %v)", name, l.Attrs().OperState)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// PrefixIPNet converts p to the *net.IPNet netlink wants, keeping the
// host bits (192.0.2.11/24 stays 192.0.2.11/24).
func PrefixIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// AddAddr puts p on link name in the calling thread's namespace.
func AddAddr(t testing.TB, name string, p netip.Prefix) {
	t.Helper()
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatalf("find %s: %v", name, err)
	}
	if err := netlink.AddrAdd(l, &netlink.Addr{IPNet: PrefixIPNet(p)}); err != nil {
		t.Fatalf("address %v on %s: %v", p, name, err)
	}
}
