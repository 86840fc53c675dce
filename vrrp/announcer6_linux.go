package vrrp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// naSender sends the unsolicited Neighbor Advertisements of one
// interface from a raw ICMPv6 socket bound to it. The kernel builds the
// IPv6 and Ethernet headers (source MAC = the interface's) and the
// ICMPv6 checksum; each packet carries its source, interface and hop
// limit in a control message, so no zone or route is consulted.
//
// The socket and the link-local source are found on first use and
// again after a send fails. While the interface has no usable
// link-local address (duplicate address detection of a fresh interface
// takes 1-2 s) the advertisement goes from the VIP itself, as
// keepalived 2.2.7 sends all of its advertisements.
type naSender struct {
	ifname  string
	ifindex int
	mac     net.HardwareAddr

	mu     sync.Mutex
	pc     *ipv6.PacketConn // nil until opened
	src    netip.Addr       // zero until looked up
	router bool             // the interface forwards IPv6 (R flag)
}

func newNASender(ifi *net.Interface) *naSender {
	return &naSender{ifname: ifi.Name, ifindex: ifi.Index, mac: ifi.HardwareAddr}
}

// prepare opens the socket and looks up the source if not done yet.
func (s *naSender) prepare() error {
	if s.pc == nil {
		pc, err := openICMPv6(s.ifname)
		if err != nil {
			return err
		}
		s.pc = pc
	}
	if !s.src.IsValid() {
		src, err := LinkLocalIPv6(s.ifname)
		if err != nil {
			return err
		}
		s.src, s.router = src, forwardsIPv6(s.ifname)
	}
	return nil
}

// announce sends one unsolicited NA for ip to ff02::1.
func (s *naSender) announce(ip netip.Addr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var src netip.Addr
	router := s.router
	if err := s.prepare(); err == nil {
		src = s.src
	} else if s.pc != nil && errors.Is(err, ErrNoLinkLocal) {
		// The link-local address is still tentative (a fresh or
		// re-created interface): send from the VIP itself, which
		// nodad made usable at once and keepalived always uses.
		src, router = ip.WithZone(""), forwardsIPv6(s.ifname)
	} else {
		return err
	}
	b, err := UnsolicitedNA(s.mac, ip, router)
	if err != nil {
		return err
	}
	cm := &ipv6.ControlMessage{Src: src.AsSlice(), IfIndex: s.ifindex, HopLimit: naHopLimit}
	if _, err := s.pc.WriteTo(b, cm, &net.IPAddr{IP: allNodes.AsSlice()}); err != nil {
		// The source may have gone (address removed, interface
		// re-created): look it up again next time.
		s.src = netip.Addr{}
		return err
	}
	return nil
}

func (s *naSender) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pc == nil {
		return nil
	}
	err := s.pc.Close()
	s.pc = nil
	return err
}

// openICMPv6 opens a raw ICMPv6 socket bound to ifname that only sends:
// its ICMPv6 filter blocks every type, so nothing queues up unread.
func openICMPv6(ifname string) (*ipv6.PacketConn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			if serr = unix.BindToDevice(int(fd), ifname); serr != nil {
				serr = fmt.Errorf("bind to device: %w", serr)
			}
		})
		return errors.Join(err, serr)
	}}
	c, err := lc.ListenPacket(context.Background(), "ip6:ipv6-icmp", "::")
	if err != nil {
		return nil, fmt.Errorf("open icmpv6 socket: %w", err)
	}
	pc := ipv6.NewPacketConn(c)
	var f ipv6.ICMPFilter
	f.SetAll(true)
	if err := pc.SetICMPFilter(&f); err != nil {
		pc.Close()
		return nil, fmt.Errorf("set icmpv6 filter: %w", err)
	}
	return pc, nil
}

// forwardsIPv6 reads whether ifname forwards IPv6, in the calling
// thread's network namespace; unreadable counts as no.
func forwardsIPv6(ifname string) bool {
	b, err := os.ReadFile("/proc/sys/net/ipv6/conf/" + ifname + "/forwarding")
	return err == nil && strings.TrimSpace(string(b)) == "1"
}
