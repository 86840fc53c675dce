package vrrp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// IP6Transport is the Linux Transport for VRRPv3 over IPv6 (RFC 5798):
// one raw IPv6 socket for protocol 112 bound to one interface, shared by
// every IPv6 instance on it as IPTransport is by the IPv4 ones.
//
// Unlike a raw IPv4 socket, a raw IPv6 socket never hands the IP header
// to user space, so ReadFrom copies the datagram as it arrives; the hop
// limit, addresses and interface come from IPV6_RECVHOPLIMIT and
// IPV6_RECVPKTINFO control messages.
//
// It is safe for one reader and any number of writers at a time.
type IP6Transport struct {
	ifname string
	ifi    *net.Interface
	pc     *ipv6.PacketConn
	src    netip.Addr
	peers  []netip.Addr
	filter recvFilter
	wcm    ipv6.ControlMessage

	msgs       []ipv6.Message
	have, next int
}

var _ Transport = (*IP6Transport)(nil)

// tclassCS6 is the traffic class of every IPv6 advert: DSCP CS6, the
// value keepalived sends (the IPv6 twin of tosCS6).
const tclassCS6 = 0xc0

// checksumOffset is where the VRRP checksum sits in the message. The
// kernel fills it in on send (pseudo-header included, RFC 5798 §5.2.8)
// and verifies it on receive, as keepalived has it do.
const checksumOffset = 6

// DialIPv6Transport opens the IPv6 VRRP socket on ifname: bound to the
// device, multicast loop off, hop limit 255 and traffic class 0xc0 on
// every packet, and in multicast mode a member of ff02::12 on ifname
// only. Adverts leave from opts.SrcIP, or when it is unset from the
// interface's link-local address, which RFC 5798 §5.1.2.1 requires for
// multicast. It returns an error wrapping ErrNoLinkLocal when there is
// no usable link-local address yet (none, or still tentative), one
// wrapping EADDRNOTAVAIL when opts.SrcIP is not a usable local address,
// and keeps errors.Is(err, os.ErrPermission) without CAP_NET_RAW.
func DialIPv6Transport(ifname string, opts TransportOptions) (*IP6Transport, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("vrrp ipv6 transport on %s: interface not found: %w", ifname, err)
	}
	if !opts.SrcIP.IsValid() {
		if opts.SrcIP, err = LinkLocalIPv6(ifname); err != nil {
			return nil, fmt.Errorf("vrrp ipv6 transport on %s: %w", ifname, err)
		}
	} else if err := checkLocal6(opts.SrcIP); err != nil {
		return nil, fmt.Errorf("vrrp ipv6 transport on %s: %w", ifname, err)
	}
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		return controlRaw6(rc, ifname)
	}}
	c, err := lc.ListenPacket(context.Background(), fmt.Sprintf("ip6:%d", protoVRRP), "::")
	if err != nil {
		return nil, fmt.Errorf("vrrp ipv6 transport on %s: open raw socket: %w", ifname, err)
	}
	t, err := NewIP6Transport(c, ifi, opts)
	if err != nil {
		c.Close()
		return nil, err
	}
	return t, nil
}

// controlRaw6 sets, before any packet can arrive, the device binding and
// IPV6_MULTICAST_ALL off, so the socket sees only its own interface and
// the groups it joined itself.
func controlRaw6(rc syscall.RawConn, ifname string) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		if serr = unix.BindToDevice(int(fd), ifname); serr != nil {
			serr = fmt.Errorf("bind to device: %w", serr)
			return
		}
		if serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_ALL, 0); serr != nil {
			serr = fmt.Errorf("disable IPV6_MULTICAST_ALL: %w", serr)
		}
	})
	return errors.Join(err, serr)
}

// NewIP6Transport configures an already opened "ip6:112" socket for
// ifi. opts.SrcIP must be an IPv6 address (DialIPv6Transport fills it
// in); otherwise the error wraps ErrNoLinkLocal. It does not close c on
// error.
func NewIP6Transport(c net.PacketConn, ifi *net.Interface, opts TransportOptions) (*IP6Transport, error) {
	if !opts.SrcIP.Is6() || opts.SrcIP.Is4In6() {
		return nil, fmt.Errorf("vrrp ipv6 transport on %s: source %v: %w", ifi.Name, opts.SrcIP, ErrNoLinkLocal)
	}
	src := opts.SrcIP.WithZone("")
	t := &IP6Transport{
		ifname: ifi.Name,
		ifi:    ifi,
		pc:     ipv6.NewPacketConn(c),
		src:    src,
		peers:  append([]netip.Addr(nil), opts.UnicastPeers...),
		filter: newRecvFilter(ifi.Index, opts.UnicastPeers),
	}
	// Source, interface, hop limit and traffic class go with every
	// packet, so neither a route nor a socket default can change them.
	t.wcm = ipv6.ControlMessage{Src: src.AsSlice(), IfIndex: ifi.Index, HopLimit: ttlVRRP, TrafficClass: tclassCS6}
	const rflags = ipv6.FlagHopLimit | ipv6.FlagDst | ipv6.FlagInterface
	t.msgs = make([]ipv6.Message, recvBatch)
	for i := range t.msgs {
		t.msgs[i].Buffers = [][]byte{make([]byte, 2048)}
		t.msgs[i].OOB = ipv6.NewControlMessage(rflags)
	}
	steps := []struct {
		op string
		fn func() error
	}{
		{"set multicast interface", func() error { return t.pc.SetMulticastInterface(ifi) }},
		{"disable multicast loopback", func() error { return t.pc.SetMulticastLoopback(false) }},
		{"set multicast hop limit", func() error { return t.pc.SetMulticastHopLimit(ttlVRRP) }},
		{"set hop limit", func() error { return t.pc.SetHopLimit(ttlVRRP) }},
		{"set traffic class", func() error { return t.pc.SetTrafficClass(tclassCS6) }},
		{"set checksum offset", func() error { return t.pc.SetChecksum(true, checksumOffset) }},
		{"enable control messages", func() error { return t.pc.SetControlMessage(rflags, true) }},
	}
	if len(opts.UnicastPeers) == 0 {
		steps = append(steps, struct {
			op string
			fn func() error
		}{"join ff02::12", func() error {
			return t.pc.JoinGroup(ifi, &net.IPAddr{IP: vrrpGroup6.AsSlice()})
		}})
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return nil, fmt.Errorf("vrrp ipv6 transport on %s: %s: %w", ifi.Name, s.op, err)
		}
	}
	return t, nil
}

// Src returns the address adverts are sent from (the link-local address
// unless unicast_src_ip was given); the core uses it to break priority
// ties and, with RFC 5798, in the checksum's pseudo-header.
func (t *IP6Transport) Src() netip.Addr { return t.src }

// Interface returns the interface the transport is bound to.
func (t *IP6Transport) Interface() *net.Interface { return t.ifi }

// ReadFrom implements Transport. Packets from another interface or, in
// unicast mode, from a non-peer are skipped silently; packets whose
// checksum is wrong never get here (the kernel drops them). After Close
// it returns an error matching net.ErrClosed.
func (t *IP6Transport) ReadFrom(buf []byte) (int, RecvMeta, error) {
	for {
		if t.next >= t.have {
			n, err := t.pc.ReadBatch(t.msgs, 0)
			if err != nil {
				return 0, RecvMeta{}, fmt.Errorf("vrrp ipv6 transport on %s: read: %w", t.ifname, err)
			}
			t.have, t.next = n, 0
		}
		m := &t.msgs[t.next]
		t.next++
		var cm ipv6.ControlMessage
		if cm.Parse(m.OOB[:m.NN]) != nil {
			continue
		}
		meta, ok := recvMeta6(&cm, m.Addr)
		if t.filter.check(meta, ok) == recvAccept {
			return copy(buf, m.Buffers[0][:m.N]), meta, nil
		}
	}
}

// recvMeta6 turns what the kernel reports of a received IPv6 packet into
// a RecvMeta: the hop limit stands in for the TTL.
// Zones are dropped; the interface index says where the packet came in.
func recvMeta6(cm *ipv6.ControlMessage, src net.Addr) (RecvMeta, bool) {
	if cm == nil || cm.IfIndex == 0 {
		return RecvMeta{}, false
	}
	var m RecvMeta
	if a, ok := src.(*net.IPAddr); ok {
		m.Src, _ = netip.AddrFromSlice(a.IP)
	}
	m.Dst, _ = netip.AddrFromSlice(cm.Dst)
	m.TTL = cm.HopLimit
	m.IfIndex = cm.IfIndex
	return m, true
}

// WriteTo implements Transport. dst is ff02::12 (224.0.0.18 is taken to
// mean the same) or a unicast address; in unicast mode the group means
// every peer and the returned error joins the failures of each.
func (t *IP6Transport) WriteTo(payload []byte, dst netip.Addr) error {
	if isGroup(dst) {
		if len(t.peers) == 0 {
			return t.write(payload, vrrpGroup6)
		}
		var errs []error
		for _, p := range t.peers {
			errs = append(errs, t.write(payload, p))
		}
		return errors.Join(errs...)
	}
	return t.write(payload, dst)
}

func (t *IP6Transport) write(payload []byte, dst netip.Addr) error {
	cm := t.wcm
	// The interface index in the control message scopes a link-local
	// destination, so the address goes without its zone.
	if _, err := t.pc.WriteTo(payload, &cm, &net.IPAddr{IP: dst.WithZone("").AsSlice()}); err != nil {
		return fmt.Errorf("vrrp ipv6 transport on %s: send to %v: %w", t.ifname, dst, err)
	}
	return nil
}

// Close implements Transport.
func (t *IP6Transport) Close() error {
	if err := t.pc.Close(); err != nil {
		return fmt.Errorf("vrrp ipv6 transport on %s: close: %w", t.ifname, err)
	}
	return nil
}

// unusableAddr are the flags of an address the kernel will not send
// from: still in duplicate address detection, or found a duplicate.
const unusableAddr = unix.IFA_F_TENTATIVE | unix.IFA_F_DADFAILED

// LinkLocalIPv6 returns the first usable link-local IPv6 address of
// ifname, the source RFC 5798 §5.1.2.1 gives IPv6 adverts. An address
// still tentative does not count: the kernel refuses to send from it
// until duplicate address detection ends. It returns an error wrapping
// ErrNoLinkLocal if there is none.
func LinkLocalIPv6(ifname string) (netip.Addr, error) {
	link, err := netlink.LinkByName(ifname)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("link-local ipv6 of %s: %w", ifname, err)
	}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V6)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("link-local ipv6 of %s: list addresses: %w", ifname, err)
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if ok && ip.Is6() && ip.IsLinkLocalUnicast() && a.Flags&unusableAddr == 0 {
			return ip, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("link-local ipv6 of %s: %w", ifname, ErrNoLinkLocal)
}

// checkLocal6 fails with EADDRNOTAVAIL unless a is an IPv6 address of
// this host that the kernel will send from now (not tentative).
func checkLocal6(a netip.Addr) error {
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V6)
	if err != nil {
		return fmt.Errorf("source %v: list addresses: %w", a, err)
	}
	for _, x := range addrs {
		if ip, ok := netip.AddrFromSlice(x.IP); ok && ip == a.WithZone("") {
			if x.Flags&unusableAddr != 0 {
				return fmt.Errorf("source %v is still tentative: %w", a, unix.EADDRNOTAVAIL)
			}
			return nil
		}
	}
	return fmt.Errorf("source %v is not a local address: %w", a, unix.EADDRNOTAVAIL)
}
