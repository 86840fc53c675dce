package vrrp

import (
	"encoding/binary"
	"net/netip"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// primaryByAddrList is the look-up PrimaryIPv4 did before primaryScan:
// netlink.AddrList, then the first non-secondary IPv4 address.
func primaryByAddrList(t *testing.T, link netlink.Link) netip.Addr {
	t.Helper()
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if a.Flags&unix.IFA_F_SECONDARY != 0 {
			continue
		}
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap().Is4() {
			return ip.Unmap()
		}
	}
	return netip.Addr{}
}

// On every interface of this namespace (no root needed: a dump is
// readable by anyone), the kernel dump gives what AddrList gave.
func TestDumpPrimaryIPv4MatchesAddrList(t *testing.T) {
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		got, err := dumpPrimaryIPv4(uint32(l.Attrs().Index))
		if err != nil {
			t.Fatalf("%s: %v", l.Attrs().Name, err)
		}
		if want := primaryByAddrList(t, l); got != want {
			t.Errorf("%s: %v, AddrList says %v", l.Attrs().Name, got, want)
		}
	}
	if got, err := PrimaryIPv4("lo"); err != nil || got != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("PrimaryIPv4(lo) = %v, %v", got, err)
	}
	if _, err := PrimaryIPv4("nonexistent0"); err == nil {
		t.Error("PrimaryIPv4 of a missing interface succeeded")
	}
}

// FuzzPrimaryScan compares primaryScan with the standard library's
// netlink parser on any bytes: it never panics, and whatever it accepts
// the reference reads the same way.
func FuzzPrimaryScan(f *testing.F) {
	f.Add(append(nlAddrMsg(afInet, 0, 2, nlAttr{ifaLocal, ip4("192.0.2.1")}), nlDone(0)...))
	f.Add(append(nlAddrMsg(afInet, ifaFSecondary, 2, nlAttr{ifaAddress, ip4("192.0.2.1")}), nlDone(0)...))
	f.Add(nlMsg(nlmsgError, []byte{0xff, 0xff, 0xff, 0xff}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := primaryScan{index: 2}
		done, err := s.feed(b)
		if err != nil || !done {
			return
		}
		want, ok := referencePrimary(b)
		if ok && s.found != want {
			t.Fatalf("found %v, reference %v", s.found, want)
		}
	})
}

// referencePrimary reads a dump with syscall's parser; ok is false
// where that parser is stricter (it wants the last message padded).
func referencePrimary(b []byte) (ip netip.Addr, ok bool) {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return netip.Addr{}, false
	}
	for _, m := range msgs {
		if m.Header.Type == syscall.NLMSG_DONE || m.Header.Type == syscall.NLMSG_ERROR {
			break
		}
		if m.Header.Type != syscall.RTM_NEWADDR || len(m.Data) < syscall.SizeofIfAddrmsg {
			continue
		}
		family, flags, index := m.Data[0], m.Data[2], binary.NativeEndian.Uint32(m.Data[4:8])
		if family != syscall.AF_INET || index != 2 || flags&syscall.IFA_F_SECONDARY != 0 {
			continue
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil {
			return netip.Addr{}, false
		}
		var local, address netip.Addr
		for _, a := range attrs {
			switch a.Attr.Type {
			case syscall.IFA_LOCAL:
				local, _ = netip.AddrFromSlice(a.Value)
			case syscall.IFA_ADDRESS:
				address, _ = netip.AddrFromSlice(a.Value)
			}
		}
		ip := local
		if !ip.IsValid() {
			ip = address
		}
		if ip.Unmap().Is4() {
			return ip.Unmap(), true
		}
	}
	return netip.Addr{}, true
}
