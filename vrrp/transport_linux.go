package vrrp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"github.com/vishvananda/netlink"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// tosCS6 is DSCP CS6 (network control), the TOS keepalived sends with.
const tosCS6 = 0xc0

// IPTransport is the Linux Transport: one raw IPv4 socket for protocol
// 112 bound to one interface. Open one per interface and share it among
// every instance on that interface, demultiplexing by VRID.
//
// It is safe for one reader and any number of writers at a time.
type IPTransport struct {
	ifname string
	ifi    *net.Interface
	pc     *ipv4.PacketConn
	src    netip.Addr
	peers  []netip.Addr
	filter recvFilter
	wcm    ipv4.ControlMessage

	// Receive batch: one recvmmsg reads every advert already queued, so
	// a backup of many instances pays one wakeup per burst instead of
	// one per packet. Only the single reader touches these.
	msgs       []ipv4.Message
	have, next int
	// The recvmmsg of readBatch, on the raw descriptor: rhdrs point at
	// msgs' buffers once, read is made once, so a batch allocates
	// nothing (x/net's ReadBatch allocated each message's source
	// address and a closure per call).
	rhdrs []unix.Mmsghdr
	riovs []unix.Iovec
	rn    int
	rerr  error
	read  func(fd uintptr) bool

	// Send state (sendmsg on the raw descriptor, see write): wmu makes
	// writers take turns over the reused buffers.
	wmu   sync.Mutex
	rc    syscall.RawConn // nil: the PacketConn has no descriptor; pc.WriteTo
	woob  []byte          // IP_PKTINFO: source address and interface
	wsa   unix.SockaddrInet4
	wpay  []byte
	werr  error
	write func(fd uintptr) bool
}

// recvBatch is how many packets one read can return; 2048 bytes each
// holds any VRRPv2 advert (at most 20 + 8 + 255*4 + 8 bytes) with its
// IP header.
const recvBatch = 32

var _ Transport = (*IPTransport)(nil)

// DialTransport opens the VRRP socket on ifname: the IPv6 one of
// DialIPv6Transport when opts.IPv6 is set, else the IPv4 one described
// below. Its errors are those of the transport it opens.
func DialTransport(ifname string, opts TransportOptions) (Transport, error) {
	if opts.IPv6 {
		t, err := DialIPv6Transport(ifname, opts)
		if err != nil {
			return nil, err
		}
		return t, nil
	}
	t, err := dialIPv4(ifname, opts)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// dialIPv4 opens the IPv4 VRRP socket on ifname. The socket is bound to
// the device (so other interfaces' VRRP traffic never reaches it), does
// not loop back its own multicast, sends with TTL 255, TOS 0xc0 and no
// DF bit as keepalived does, and in multicast mode joins 224.0.0.18 on
// ifname only. Errors keep errors.Is(err, os.ErrPermission) when the
// process lacks CAP_NET_RAW; ErrNoIPv4 means the interface has no
// address to send from.
func dialIPv4(ifname string, opts TransportOptions) (*IPTransport, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("vrrp transport on %s: interface not found: %w", ifname, err)
	}
	if !opts.SrcIP.IsValid() {
		if opts.SrcIP, err = PrimaryIPv4(ifname); err != nil {
			return nil, fmt.Errorf("vrrp transport on %s: %w", ifname, err)
		}
	} else if err := checkLocal(opts.SrcIP); err != nil {
		return nil, fmt.Errorf("vrrp transport on %s: %w", ifname, err)
	}
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		return controlRaw(rc, ifname)
	}}
	c, err := lc.ListenPacket(context.Background(), fmt.Sprintf("ip4:%d", protoVRRP), "0.0.0.0")
	if err != nil {
		return nil, fmt.Errorf("vrrp transport on %s: open raw socket: %w", ifname, err)
	}
	t, err := NewIPTransport(c, ifi, opts)
	if err != nil {
		c.Close()
		return nil, err
	}
	return t, nil
}

// protoVRRP is IP protocol 112.
const protoVRRP = 112

// controlRaw sets the options that must be in place before packets can
// arrive: the device binding, and IP_MULTICAST_ALL off so the socket
// sees only the groups it joined itself.
func controlRaw(rc syscall.RawConn, ifname string) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		if serr = unix.BindToDevice(int(fd), ifname); serr != nil {
			serr = fmt.Errorf("bind to device: %w", serr)
			return
		}
		if serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0); serr != nil {
			serr = fmt.Errorf("disable IP_MULTICAST_ALL: %w", serr)
			return
		}
		// keepalived's adverts carry no DF bit.
		if serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DONT); serr != nil {
			serr = fmt.Errorf("clear DF: %w", serr)
		}
	})
	return errors.Join(err, serr)
}

// NewIPTransport configures an already opened "ip4:112" socket for
// ifi. opts.SrcIP must be set (DialTransport fills it in). It does not
// close c on error.
func NewIPTransport(c net.PacketConn, ifi *net.Interface, opts TransportOptions) (*IPTransport, error) {
	if !opts.SrcIP.Is4() {
		return nil, fmt.Errorf("vrrp transport on %s: source %v: %w", ifi.Name, opts.SrcIP, ErrNoIPv4)
	}
	t := &IPTransport{
		ifname: ifi.Name,
		ifi:    ifi,
		pc:     ipv4.NewPacketConn(c),
		src:    opts.SrcIP,
		peers:  append([]netip.Addr(nil), opts.UnicastPeers...),
		filter: newRecvFilter(ifi.Index, opts.UnicastPeers),
	}
	t.wcm = ipv4.ControlMessage{Src: opts.SrcIP.AsSlice(), IfIndex: ifi.Index}
	t.woob = t.wcm.Marshal()
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			t.rc = rc
		}
	}
	t.write = t.sendmsg
	t.msgs = make([]ipv4.Message, recvBatch)
	for i := range t.msgs {
		t.msgs[i].Buffers = [][]byte{make([]byte, 2048)}
		t.msgs[i].OOB = ipv4.NewControlMessage(ipv4.FlagTTL | ipv4.FlagDst | ipv4.FlagInterface)
	}
	if t.rc != nil {
		t.read = t.recvmmsg
		t.rhdrs = make([]unix.Mmsghdr, recvBatch)
		t.riovs = make([]unix.Iovec, recvBatch)
		for i := range t.msgs {
			b := t.msgs[i].Buffers[0]
			t.riovs[i].Base = &b[0]
			t.riovs[i].SetLen(len(b))
			t.rhdrs[i].Hdr.Iov = &t.riovs[i]
			t.rhdrs[i].Hdr.SetIovlen(1)
			t.rhdrs[i].Hdr.Control = &t.msgs[i].OOB[0]
		}
	}
	steps := []struct {
		op string
		fn func() error
	}{
		{"set multicast interface", func() error { return t.pc.SetMulticastInterface(ifi) }},
		{"disable multicast loopback", func() error { return t.pc.SetMulticastLoopback(false) }},
		{"set multicast ttl", func() error { return t.pc.SetMulticastTTL(ttlVRRP) }},
		{"set ttl", func() error { return t.pc.SetTTL(ttlVRRP) }},
		{"set tos", func() error { return t.pc.SetTOS(tosCS6) }},
		{"enable control messages", func() error {
			return t.pc.SetControlMessage(ipv4.FlagTTL|ipv4.FlagDst|ipv4.FlagInterface, true)
		}},
	}
	if len(opts.UnicastPeers) == 0 {
		steps = append(steps, struct {
			op string
			fn func() error
		}{"join 224.0.0.18", func() error {
			return t.pc.JoinGroup(ifi, &net.IPAddr{IP: vrrpGroup.AsSlice()})
		}})
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return nil, fmt.Errorf("vrrp transport on %s: %s: %w", ifi.Name, s.op, err)
		}
	}
	return t, nil
}

// ttlVRRP is the TTL every VRRP packet is sent with (RFC 3768 §5.2.3).
const ttlVRRP = 255

// Src returns the address adverts are sent from; the core compares it
// with a peer's to break priority ties (RFC 3768 §6.4.3).
func (t *IPTransport) Src() netip.Addr { return t.src }

// Interface returns the interface the transport is bound to.
func (t *IPTransport) Interface() *net.Interface { return t.ifi }

// ReadFrom implements Transport. Packets from another interface or, in
// unicast mode, from a non-peer are skipped silently. After Close it
// returns an error matching net.ErrClosed.
func (t *IPTransport) ReadFrom(buf []byte) (int, RecvMeta, error) {
	for {
		if t.next >= t.have {
			n, err := t.readBatch()
			if err != nil {
				return 0, RecvMeta{}, fmt.Errorf("vrrp transport on %s: read: %w", t.ifname, err)
			}
			t.have, t.next = n, 0
		}
		m := &t.msgs[t.next]
		t.next++
		payload, ok := stripIPv4(m.Buffers[0][:m.N])
		if !ok {
			continue
		}
		meta, ok := parseRecvMeta(m.Buffers[0][:m.N], m.OOB[:m.NN])
		if t.filter.check(meta, ok) == recvAccept {
			return copy(buf, payload), meta, nil
		}
	}
}

// readBatch reads the packets already queued (at least one, waiting
// for it) into t.msgs and returns how many; after Close its error
// matches net.ErrClosed.
func (t *IPTransport) readBatch() (int, error) {
	if t.rc == nil {
		return t.pc.ReadBatch(t.msgs, 0)
	}
	for i := range t.rhdrs {
		t.rhdrs[i].Hdr.SetControllen(len(t.msgs[i].OOB))
		t.rhdrs[i].Hdr.Flags = 0
		t.rhdrs[i].Len = 0
	}
	t.rn, t.rerr = 0, nil
	if err := t.rc.Read(t.read); err != nil {
		return 0, err
	}
	if t.rerr != nil {
		return 0, os.NewSyscallError("recvmmsg", t.rerr)
	}
	for i := range t.rn {
		t.msgs[i].N = int(t.rhdrs[i].Len)
		t.msgs[i].NN = int(t.rhdrs[i].Hdr.Controllen)
	}
	return t.rn, nil
}

// recvmmsg is t.read, what RawConn.Read calls with the descriptor
// (non-blocking): false asks it to wait until the socket is readable.
func (t *IPTransport) recvmmsg(fd uintptr) bool {
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&t.rhdrs[0])), uintptr(len(t.rhdrs)), 0, 0, 0)
		switch e {
		case 0:
			t.rn = int(n)
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		t.rerr = e
		return true
	}
}

// parseRecvMeta reads what the filter and the core need of a received
// packet without allocating (ipv4.ControlMessage.Parse allocates its
// addresses for every packet): the source from the IP header, the TTL
// and the interface and destination from the IP_TTL and IP_PKTINFO
// control messages. ok is false unless both were present.
func parseRecvMeta(pkt, oob []byte) (m RecvMeta, ok bool) {
	if len(pkt) < 20 {
		return m, false
	}
	m.Src = netip.AddrFrom4([4]byte(pkt[12:16]))
	var ttl, info bool
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(oob) {
			break
		}
		data := oob[unix.SizeofCmsghdr:l]
		if h.Level == unix.IPPROTO_IP {
			switch {
			case h.Type == unix.IP_TTL && len(data) >= 4:
				m.TTL = int(*(*int32)(unsafe.Pointer(&data[0])))
				ttl = true
			case h.Type == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo:
				pi := (*unix.Inet4Pktinfo)(unsafe.Pointer(&data[0]))
				m.IfIndex = int(pi.Ifindex)
				m.Dst = netip.AddrFrom4(pi.Addr)
				info = true
			}
		}
		next := cmsgAlign(l)
		if next >= len(oob) {
			break
		}
		oob = oob[next:]
	}
	return m, ttl && info
}

// cmsgAlign rounds a control message length up as the kernel lays
// them out (CMSG_ALIGN).
func cmsgAlign(n int) int {
	const a = int(unsafe.Sizeof(uintptr(0)))
	return (n + a - 1) &^ (a - 1)
}

// stripIPv4 returns the payload of a packet read from a raw IPv4
// socket, which (unlike net.IPConn's ReadFrom) recvmmsg returns with its
// header.
func stripIPv4(b []byte) ([]byte, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return nil, false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || ihl > len(b) {
		return nil, false
	}
	return b[ihl:], true
}

// WriteTo implements Transport. In unicast mode, dst = 224.0.0.18
// means every peer; the returned error joins the failures of each.
func (t *IPTransport) WriteTo(payload []byte, dst netip.Addr) error {
	if len(t.peers) > 0 && dst == vrrpGroup {
		var errs []error
		for _, p := range t.peers {
			errs = append(errs, t.send(payload, p))
		}
		return errors.Join(errs...)
	}
	return t.send(payload, dst)
}

// send writes one advert with sendmsg on the raw descriptor, the
// source and interface in an IP_PKTINFO built once, into reused state:
// no allocation per advert (ipv4.PacketConn.WriteTo makes the control
// message, the address and the message header anew for each, which at
// 1,000 masters was 12 MB a minute of garbage).
func (t *IPTransport) send(payload []byte, dst netip.Addr) error {
	var err error
	if t.rc == nil || !dst.Is4() {
		cm := t.wcm
		_, err = t.pc.WriteTo(payload, &cm, &net.IPAddr{IP: dst.AsSlice()})
	} else {
		t.wmu.Lock()
		t.wsa.Addr, t.wpay, t.werr = dst.As4(), payload, nil
		if cerr := t.rc.Write(t.write); cerr != nil {
			t.werr = cerr
		}
		err = t.werr
		t.wpay = nil
		t.wmu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("vrrp transport on %s: send to %v: %w", t.ifname, dst, err)
	}
	return nil
}

// sendmsg is t.write, the function RawConn.Write calls with the
// descriptor; it is made once, in NewIPTransport, so that passing it
// allocates nothing. false asks to be called again once the socket is
// writable.
func (t *IPTransport) sendmsg(fd uintptr) bool {
	_, t.werr = unix.SendmsgN(int(fd), t.wpay, t.woob, &t.wsa, 0)
	return t.werr != unix.EAGAIN
}

// Close implements Transport.
func (t *IPTransport) Close() error {
	if err := t.pc.Close(); err != nil {
		return fmt.Errorf("vrrp transport on %s: close: %w", t.ifname, err)
	}
	return nil
}

// PrimaryIPv4 returns the first non-secondary IPv4 address of ifname,
// the address RFC 3768 §5.2.1 says adverts come from. It returns an
// error wrapping ErrNoIPv4 if there is none.
func PrimaryIPv4(ifname string) (netip.Addr, error) {
	link, err := netlink.LinkByName(ifname)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("primary ipv4 of %s: %w", ifname, err)
	}
	ip, err := dumpPrimaryIPv4(uint32(link.Attrs().Index))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("primary ipv4 of %s: list addresses: %w", ifname, err)
	}
	if !ip.IsValid() {
		return netip.Addr{}, fmt.Errorf("primary ipv4 of %s: %w", ifname, ErrNoIPv4)
	}
	return ip, nil
}

// dumpBufs are the receive buffers of dumpPrimaryIPv4: the router looks
// up each interface's primary address on every address event, and our
// own VIP adds are such events.
var dumpBufs = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// dumpPrimaryIPv4 asks the kernel for the IPv4 addresses of interface
// index (RTM_GETADDR dump on a socket of its own) and returns the first
// that is not secondary, or the zero Addr if there is none. With
// NETLINK_GET_STRICT_CHK (Linux 4.20 and later) the kernel dumps only
// that interface's addresses; without it, all of them, and primaryScan
// skips the others.
func dumpPrimaryIPv4(index uint32) (netip.Addr, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("netlink socket: %w", err)
	}
	defer unix.Close(fd)
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_GET_STRICT_CHK, 1) // a filter, not a need
	var req [nlmsgHdrLen + ifaddrmsgLen]byte
	ne := binary.NativeEndian
	ne.PutUint32(req[0:4], uint32(len(req)))
	ne.PutUint16(req[4:6], unix.RTM_GETADDR)
	ne.PutUint16(req[6:8], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:12], 1) // seq
	req[nlmsgHdrLen] = unix.AF_INET
	ne.PutUint32(req[nlmsgHdrLen+4:], index)
	if err := unix.Sendto(fd, req[:], 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return netip.Addr{}, fmt.Errorf("netlink send: %w", err)
	}
	buf := dumpBufs.Get().(*[32 << 10]byte)
	defer dumpBufs.Put(buf)
	s := primaryScan{index: index}
	for {
		n, _, flags, _, err := unix.Recvmsg(fd, buf[:], nil, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return netip.Addr{}, fmt.Errorf("netlink receive: %w", err)
		}
		if n == 0 {
			return netip.Addr{}, fmt.Errorf("netlink receive: %w", io.ErrUnexpectedEOF)
		}
		if flags&unix.MSG_TRUNC != 0 {
			return netip.Addr{}, fmt.Errorf("netlink receive: %w", unix.ENOBUFS)
		}
		done, err := s.feed(buf[:n])
		if err != nil {
			return netip.Addr{}, err
		}
		if done {
			return s.found, nil
		}
	}
}

// checkLocal fails with EADDRNOTAVAIL when a is not an address of this
// host: adverts from it would fail to send (the kernel refuses a
// non-local source), so the instance waits for the address instead.
func checkLocal(a netip.Addr) error {
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("source %v: list addresses: %w", a, err)
	}
	for _, x := range addrs {
		if ip, ok := netip.AddrFromSlice(x.IP); ok && ip.Unmap() == a {
			return nil
		}
	}
	return fmt.Errorf("source %v is not a local address: %w", a, unix.EADDRNOTAVAIL)
}
