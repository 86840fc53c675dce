//go:build integration

package integration

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
	"github.com/vishvananda/netlink"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/internal/netnstest"
	"github.com/lbhad/lbhad/vrrp"
)

// The IPv6 adapters of VRRPv3 (issue 15) on the host kernel: two
// namespaces, A (the test thread's, made by InNewNetns) and B, joined by
// v6a0<->v6b0 (2001:db8:6::/64) and, to check interface filtering,
// v6a1<->v6b1 (2001:db8:7::/64). Anonymous namespaces are unique per
// run and vanish with the test.

var (
	v6A  = netip.MustParsePrefix("2001:db8:6::1/64")
	v6B  = netip.MustParsePrefix("2001:db8:6::2/64")
	v6A1 = netip.MustParsePrefix("2001:db8:7::1/64")
	v6B1 = netip.MustParsePrefix("2001:db8:7::2/64")
	// v6Stranger is a second address of A's on the first link, the
	// source of unicast packets B must not accept.
	v6Stranger = netip.MustParsePrefix("2001:db8:6::3/64")
	v6VIP      = netip.MustParsePrefix("2001:db8:6::100/64")
	vrrpGroup6 = netip.MustParseAddr("ff02::12")
)

// v6Link builds the pair a<->b (a in the calling thread's namespace, b
// in nsB) and waits until every IPv6 address on both ends has left
// duplicate address detection; it returns how long the link-local
// address of a took to become usable after the link came up.
func v6Link(t *testing.T, nsB *netnstest.Netns, a, b string, pa, pb netip.Prefix) time.Duration {
	t.Helper()
	netnstest.Veth(t, netnstest.End{Name: a, Addr: pa}, netnstest.End{Name: b, Addr: pb, NS: nsB})
	up := time.Now()
	waitDAD(t, a)
	took := time.Since(up)
	nsB.Do(t, func() { waitDAD(t, b) })
	return took
}

// waitDAD waits until dev in the calling thread's namespace has a
// usable link-local address and no tentative address.
func waitDAD(t *testing.T, dev string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := vrrp.LinkLocalIPv6(dev)
		if err == nil && !hasTentative(t, dev) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: addresses still tentative after 10 s (%v)", dev, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func hasTentative(t *testing.T, dev string) bool {
	t.Helper()
	l, err := netlink.LinkByName(dev)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := netlink.AddrList(l, netlink.FAMILY_V6)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if a.Flags&unix.IFA_F_TENTATIVE != 0 {
			return true
		}
	}
	return false
}

func dial6(t *testing.T, dev string, opts vrrp.TransportOptions) vrrp.Transport {
	t.Helper()
	opts.IPv6 = true
	tr, err := vrrp.DialTransport(dev, opts)
	if err != nil {
		netnstest.SkipOrFail(t, err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// src is the advert source of an IPv6 transport.
func src(tr vrrp.Transport) netip.Addr {
	return tr.(interface{ Src() netip.Addr }).Src()
}

type got6 struct {
	payload []byte
	meta    vrrp.RecvMeta
}

// read6 drains tr from another goroutine (reading a socket of another
// namespace is fine from any thread).
func read6(t *testing.T, tr vrrp.Transport) <-chan got6 {
	ch := make(chan got6, 16)
	go func() {
		defer close(ch)
		for {
			buf := make([]byte, 1500)
			n, meta, err := tr.ReadFrom(buf)
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("ReadFrom: %v", err)
				}
				return
			}
			ch <- got6{buf[:n], meta}
		}
	}()
	return ch
}

func next6(t *testing.T, ch <-chan got6, what string) got6 {
	t.Helper()
	select {
	case g, ok := <-ch:
		if !ok {
			t.Fatalf("%s: transport closed", what)
		}
		return g
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: nothing within 5 s", what)
	}
	panic("unreachable")
}

// none6 fails if ch delivers anything within d.
func none6(t *testing.T, ch <-chan got6, d time.Duration, what string) {
	t.Helper()
	select {
	case g, ok := <-ch:
		if ok {
			t.Errorf("%s: got %q from %v", what, g.payload, g.meta.Src)
		}
	case <-time.After(d):
	}
}

// advert6 is a VRRPv3 advert (VRID 51, priority 150, 1 s, one IPv6
// VIP) with its checksum zero: the transport has the kernel fill it.
func advert6() []byte {
	b := []byte{0x31, 51, 150, 1, 0x00, 100, 0, 0}
	vip := v6VIP.Addr().As16()
	return append(b, vip[:]...)
}

// checksum6 is the RFC 5798 §5.2.8 checksum over the IPv6 pseudo-header
// and msg, written here independently of the kernel: 0 means it
// verifies.
func checksum6(src, dst netip.Addr, msg []byte) uint16 {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	s, d := src.As16(), dst.As16()
	add(s[:])
	add(d[:])
	var l [8]byte
	binary.BigEndian.PutUint32(l[0:4], uint32(len(msg)))
	l[7] = 112
	add(l[:])
	add(msg)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// TestChecksum6Oracle checks the test's own pseudo-header checksum on a
// VRRPv3 advert keepalived 2.2.7 sent (VRID 61, priority 150, 10 cs,
// VIP 2001:db8:9::100, from fe80::b005:d8ff:fee4:7292 to ff02::12).
func TestChecksum6Oracle(t *testing.T) {
	msg := []byte{
		0x31, 0x3d, 0x96, 0x01, 0x00, 0x0a, 0x11, 0x5a,
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00,
	}
	src := netip.MustParseAddr("fe80::b005:d8ff:fee4:7292")
	if c := checksum6(src, vrrpGroup6, msg); c != 0 {
		t.Errorf("keepalived's advert does not verify: residue %#04x", c)
	}
	msg[2] = 100
	if checksum6(src, vrrpGroup6, msg) == 0 {
		t.Error("a changed advert still verifies")
	}
}

// wire6 is the IPv6 header of a captured frame.
type wire6 struct {
	dstMAC   net.HardwareAddr
	tclass   byte
	next     byte
	hopLimit byte
	src, dst netip.Addr
	payload  []byte
}

// capture6 returns the next IPv6 frame on c whose next header is proto.
func capture6(t *testing.T, c *packet.Conn, proto byte) wire6 {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1514)
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("capture: %v", err)
		}
		f := buf[:n]
		if len(f) < 54 || binary.BigEndian.Uint16(f[12:14]) != unix.ETH_P_IPV6 || f[14+6] != proto {
			continue
		}
		ip := f[14:]
		return wire6{
			dstMAC:   append(net.HardwareAddr(nil), f[0:6]...),
			tclass:   ip[0]<<4 | ip[1]>>4,
			next:     ip[6],
			hopLimit: ip[7],
			src:      netip.AddrFrom16([16]byte(ip[8:24])),
			dst:      netip.AddrFrom16([16]byte(ip[24:40])),
			payload:  append([]byte(nil), ip[40:]...),
		}
	}
}

func listenIPv6Frames(t *testing.T, dev string) *packet.Conn {
	t.Helper()
	ifi, err := net.InterfaceByName(dev)
	if err != nil {
		t.Fatal(err)
	}
	c, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_IPV6, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ifindex6(t *testing.T, dev string) int {
	t.Helper()
	ifi, err := net.InterfaceByName(dev)
	if err != nil {
		t.Fatal(err)
	}
	return ifi.Index
}

// TestIPv6TransportExchange (issue 15, adapter proof a): two IPv6
// transports in two namespaces exchange protocol-112 messages over
// ff02::12 and over unicast. On the wire: hop limit 255, traffic class
// 0xc0, a link-local source in multicast mode, a checksum the kernel
// computed with the IPv6 pseudo-header. Received: the payload without
// any IPv6 header, hop limit and addresses from control messages, and
// nothing from another interface, from a non-peer in unicast mode, or
// with a bad checksum.
func TestIPv6TransportExchange(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.InNewNetns(t, func() {
		nsB := netnstest.NewNetns(t)
		dad := v6Link(t, nsB, "v6a0", "v6b0", v6A, v6B)
		t.Logf("link-local address usable %v after the link came up (duplicate address detection)", dad.Round(time.Millisecond))
		v6Link(t, nsB, "v6a1", "v6b1", v6A1, v6B1)

		ta := dial6(t, "v6a0", vrrp.TransportOptions{})
		ta1 := dial6(t, "v6a1", vrrp.TransportOptions{})
		ll, err := vrrp.LinkLocalIPv6("v6a0")
		if err != nil {
			t.Fatal(err)
		}
		if src(ta) != ll || !ll.IsLinkLocalUnicast() {
			t.Errorf("Src() = %v, want the link-local address %v", src(ta), ll)
		}
		var tb, tb1 vrrp.Transport
		var capB *packet.Conn
		var b0 int
		nsB.Do(t, func() {
			tb = dial6(t, "v6b0", vrrp.TransportOptions{})
			tb1 = dial6(t, "v6b1", vrrp.TransportOptions{})
			capB = listenIPv6Frames(t, "v6b0")
			b0 = ifindex6(t, "v6b0")
		})
		fromA, fromB, fromB1 := read6(t, ta), read6(t, tb), read6(t, tb1)

		// The other link first: B's v6b0 transport must see only the
		// advert sent on v6a0, v6b1's only the other.
		if err := ta1.WriteTo([]byte("other..,8+ bytes"), vrrpGroup6); err != nil {
			t.Fatal(err)
		}
		adv := advert6()
		if err := ta.WriteTo(adv, vrrpGroup6); err != nil {
			t.Fatal(err)
		}
		g := next6(t, fromB, "B on v6b0")
		if want := (vrrp.RecvMeta{Src: ll, Dst: vrrpGroup6, TTL: 255, IfIndex: b0}); g.meta != want {
			t.Errorf("meta = %+v, want %+v", g.meta, want)
		}
		if len(g.payload) != len(adv) || string(g.payload[:6]) != string(adv[:6]) || string(g.payload[8:]) != string(adv[8:]) {
			t.Errorf("payload = %x, want %x but for the checksum (no IPv6 header before it)", g.payload, adv)
		}
		if c := checksum6(ll, vrrpGroup6, g.payload); c != 0 || g.payload[6]|g.payload[7] == 0 {
			t.Errorf("checksum %#04x does not verify with the pseudo-header (residue %#04x)", binary.BigEndian.Uint16(g.payload[6:8]), c)
		}
		if g := next6(t, fromB1, "B on v6b1"); len(g.payload) < 8 || string(g.payload[8:]) != "8+ bytes" {
			t.Errorf("v6b1 received %q, want the other link's packet (bytes 6-7 are the kernel's checksum)", g.payload)
		}

		w := capture6(t, capB, 112)
		if w.dstMAC.String() != "33:33:00:00:00:12" || w.dst != vrrpGroup6 || w.src != ll {
			t.Errorf("wire: %v -> %v (MAC %v), want %v -> ff02::12 (33:33:00:00:00:12)", w.src, w.dst, w.dstMAC, ll)
		}
		if w.hopLimit != 255 || w.tclass != 0xc0 {
			t.Errorf("wire: hop limit %d, traffic class %#x; want 255, 0xc0", w.hopLimit, w.tclass)
		}
		t.Logf("on the wire: %v -> %v hop limit %d traffic class %#x, %d-byte payload right after the 40-byte header",
			w.src, w.dst, w.hopLimit, w.tclass, len(w.payload))

		// B answers: A's first packet is B's, not its own advert
		// looped back.
		if err := tb.WriteTo([]byte("reply from B"), vrrpGroup6); err != nil {
			t.Fatal(err)
		}
		if g := next6(t, fromA, "A"); string(g.payload[:5]) != "reply" {
			t.Errorf("A received %q from %v first, want B's reply (multicast loop must be off)", g.payload, g.meta.Src)
		}

		// A bad checksum never reaches the transport: the kernel drops
		// it. Sent from a plain raw socket that leaves it as it is.
		raw := rawSender(t)
		bad := advert6()
		bad[6], bad[7] = 0xde, 0xad
		good := advert6()
		good[2] = 151
		binary.BigEndian.PutUint16(good[6:8], checksum6(ll, vrrpGroup6, good))
		for _, m := range [][]byte{bad, good} {
			cm := &ipv6.ControlMessage{Src: ll.AsSlice(), IfIndex: ifindex6(t, "v6a0"), HopLimit: 255}
			if _, err := raw.WriteTo(m, cm, &net.IPAddr{IP: vrrpGroup6.AsSlice()}); err != nil {
				t.Fatal(err)
			}
		}
		if g := next6(t, fromB, "B after a bad and a good checksum"); g.payload[2] != 151 {
			t.Errorf("B received priority %d first, want the good advert's 151 (bad checksum %x delivered)", g.payload[2], g.payload[6:8])
		}
	})
}

// rawSender is a raw protocol-112 socket without IPV6_CHECKSUM, so it
// sends checksums as given.
func rawSender(t *testing.T) *ipv6.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("ip6:112", "::")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return ipv6.NewPacketConn(c)
}

// TestIPv6TransportUnicast: unicast peers over IPv6, global and
// link-local. B accepts only its peer although a stranger on the same
// link sends too; unicast_src_ip is the source; hop limit and traffic
// class are those of multicast.
func TestIPv6TransportUnicast(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.InNewNetns(t, func() {
		nsB := netnstest.NewNetns(t)
		v6Link(t, nsB, "v6a0", "v6b0", v6A, v6B)
		netnstest.AddAddr(t, "v6a0", v6Stranger)
		waitDAD(t, "v6a0")
		peerB := []netip.Addr{v6B.Addr()}
		ta := dial6(t, "v6a0", vrrp.TransportOptions{SrcIP: v6A.Addr(), UnicastPeers: peerB})
		ts := dial6(t, "v6a0", vrrp.TransportOptions{SrcIP: v6Stranger.Addr(), UnicastPeers: peerB})
		var tb vrrp.Transport
		var capB *packet.Conn
		var b0 int
		nsB.Do(t, func() {
			tb = dial6(t, "v6b0", vrrp.TransportOptions{SrcIP: v6B.Addr(), UnicastPeers: []netip.Addr{v6A.Addr()}})
			capB = listenIPv6Frames(t, "v6b0")
			b0 = ifindex6(t, "v6b0")
		})
		fromA, fromB := read6(t, ta), read6(t, tb)
		if err := ts.WriteTo([]byte("from the stranger"), vrrpGroup6); err != nil {
			t.Fatal(err)
		}
		if err := ta.WriteTo(advert6(), vrrpGroup6); err != nil {
			t.Fatal(err)
		}
		g := next6(t, fromB, "B")
		if want := (vrrp.RecvMeta{Src: v6A.Addr(), Dst: v6B.Addr(), TTL: 255, IfIndex: b0}); g.meta != want || g.payload[0] != 0x31 {
			t.Errorf("B received %x %+v, want A's advert %+v", g.payload, g.meta, want)
		}
		for {
			w := capture6(t, capB, 112)
			if w.src != v6A.Addr() {
				continue // the stranger's
			}
			if w.dst != v6B.Addr() || w.hopLimit != 255 || w.tclass != 0xc0 {
				t.Errorf("wire: %v -> %v hop limit %d tclass %#x, want -> %v, 255, 0xc0", w.src, w.dst, w.hopLimit, w.tclass, v6B.Addr())
			}
			break
		}
		if err := tb.WriteTo([]byte("back to A"), vrrpGroup6); err != nil {
			t.Fatal(err)
		}
		if g := next6(t, fromA, "A"); string(g.payload[8:]) != "A" || g.meta.Dst != v6A.Addr() {
			t.Errorf("A received %q %+v, want B's reply to %v", g.payload, g.meta, v6A.Addr())
		}

		// Link-local peers: the interface index, not a zone, scopes
		// the destination.
		llA, _ := vrrp.LinkLocalIPv6("v6a0")
		var llB netip.Addr
		nsB.Do(t, func() { llB, _ = vrrp.LinkLocalIPv6("v6b0") })
		la := dial6(t, "v6a0", vrrp.TransportOptions{UnicastPeers: []netip.Addr{llB.WithZone("v6a0")}})
		var lb vrrp.Transport
		nsB.Do(t, func() { lb = dial6(t, "v6b0", vrrp.TransportOptions{UnicastPeers: []netip.Addr{llA}}) })
		fromLB := read6(t, lb)
		if err := la.WriteTo([]byte("link-local unicast"), vrrpGroup6); err != nil {
			t.Fatal(err)
		}
		if g := next6(t, fromLB, "B link-local"); string(g.payload[8:]) != "al unicast" || g.meta.Src != llA || g.meta.Dst != llB {
			t.Errorf("B received %q %+v, want %v -> %v", g.payload, g.meta, llA, llB)
		}
	})
}

// TestIPv6AnnouncerNA (adapter proof b): Announce of an IPv6 VIP sends
// keepalived's unsolicited NA, and a neighbour holding a stale entry for
// the VIP with another MAC takes the announcer's MAC.
func TestIPv6AnnouncerNA(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.InNewNetns(t, func() {
		nsB := netnstest.NewNetns(t)
		v6Link(t, nsB, "v6a0", "v6b0", v6A, v6B)
		a, err := vrrp.NewAnnouncer("v6a0")
		if err != nil {
			netnstest.SkipOrFail(t, err)
		}
		defer a.Close()
		mac := a.MAC()
		ll, err := vrrp.LinkLocalIPv6("v6a0")
		if err != nil {
			t.Fatal(err)
		}
		vip := v6VIP.Addr()
		var capB *packet.Conn
		nsB.Do(t, func() {
			capB = listenIPv6Frames(t, "v6b0")
			// B believes the VIP is at another router's MAC.
			run(t, "ip", "-6", "neigh", "replace", vip.String(), "lladdr", "02:00:00:00:00:99", "dev", "v6b0", "nud", "stale")
		})
		sent := time.Now()
		if err := a.Announce(vip); err != nil {
			t.Fatal(err)
		}

		w := capture6(t, capB, 58)
		for w.payload[0] != byte(ipv6.ICMPTypeNeighborAdvertisement) {
			w = capture6(t, capB, 58)
		}
		if w.dstMAC.String() != "33:33:00:00:00:01" || w.dst.String() != "ff02::1" || w.src != ll || w.hopLimit != 255 {
			t.Errorf("wire: %v -> %v (MAC %v) hop limit %d; want %v -> ff02::1 (33:33:00:00:00:01) 255", w.src, w.dst, w.dstMAC, w.hopLimit, ll)
		}
		m, err := ndp.ParseMessage(w.payload)
		if err != nil {
			t.Fatalf("captured NA %x: %v", w.payload, err)
		}
		na, ok := m.(*ndp.NeighborAdvertisement)
		if !ok || !na.Override || na.Solicited || na.Router || na.TargetAddress != vip || len(na.Options) != 1 {
			t.Fatalf("captured %+v, want an NA for %v with O set, S and R clear, one option", m, vip)
		}
		if o, ok := na.Options[0].(*ndp.LinkLayerAddress); !ok || o.Direction != ndp.Target || o.Addr.String() != mac.String() {
			t.Errorf("option %+v, want target link-layer address %v", na.Options[0], mac)
		}

		var entry string
		nsB.Do(t, func() {
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				entry = run(t, "ip", "-6", "neigh", "show", vip.String(), "dev", "v6b0")
				if strings.Contains(entry, "lladdr "+mac.String()) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
		if !strings.Contains(entry, "lladdr "+mac.String()) {
			t.Fatalf("B's neighbour entry for %v is %q, want lladdr %v", vip, entry, mac)
		}
		t.Logf("B's entry %v after the NA (%v after Announce)", strings.TrimSpace(entry), time.Since(sent).Round(time.Millisecond))

		// A director that routes IPv6 says so (R flag), or hosts using
		// it as their router would drop it from their router list.
		if err := os.WriteFile("/proc/sys/net/ipv6/conf/v6a0/forwarding", []byte("1"), 0o644); err != nil {
			t.Fatal(err)
		}
		ar, err := vrrp.NewAnnouncer("v6a0")
		if err != nil {
			t.Fatal(err)
		}
		defer ar.Close()
		if err := ar.Announce(vip); err != nil {
			t.Fatal(err)
		}
		for {
			w = capture6(t, capB, 58)
			if w.payload[0] != byte(ipv6.ICMPTypeNeighborAdvertisement) {
				continue
			}
			if m, err := ndp.ParseMessage(w.payload); err != nil || !m.(*ndp.NeighborAdvertisement).Router {
				t.Errorf("NA from a forwarding interface: %+v (%v), want the R flag", m, err)
			}
			break
		}

		// Measured, not promised: with no entry at all, the kernel
		// ignores an unsolicited NA unless accept_untracked_na is set.
		nsB.Do(t, func() { run(t, "ip", "-6", "neigh", "flush", "dev", "v6b0") })
		if err := a.Announce(vip); err != nil {
			t.Fatal(err)
		}
		capture6(t, capB, 58)
		time.Sleep(50 * time.Millisecond)
		nsB.Do(t, func() {
			t.Logf("B with no entry before the NA: %q afterwards", strings.TrimSpace(run(t, "ip", "-6", "neigh", "show", vip.String(), "dev", "v6b0")))
		})

		// A fresh interface whose link-local address is still
		// tentative: the NA goes from the VIP (added without DAD).
		netnstest.Veth(t, netnstest.End{Name: "v6a2"}, netnstest.End{Name: "v6b2", NS: nsB})
		vip2 := netip.MustParsePrefix("2001:db8:8::100/64")
		am, err := vrrp.NewAddrManager(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer am.Close()
		if err := am.Add(vrrp.VIPAddr{Prefix: vip2, Dev: "v6a2"}); err != nil {
			t.Fatal(err)
		}
		a2, err := vrrp.NewAnnouncer("v6a2")
		if err != nil {
			t.Fatal(err)
		}
		defer a2.Close()
		var cap2 *packet.Conn
		nsB.Do(t, func() { cap2 = listenIPv6Frames(t, "v6b2") })
		if _, err := vrrp.LinkLocalIPv6("v6a2"); !errors.Is(err, vrrp.ErrNoLinkLocal) {
			t.Fatalf("fresh v6a2: LinkLocalIPv6 = %v, want ErrNoLinkLocal (still in DAD)", err)
		}
		if err := a2.Announce(vip2.Addr()); err != nil {
			t.Fatalf("Announce while the link-local address is tentative: %v", err)
		}
		w = capture6(t, cap2, 58)
		for w.payload[0] != byte(ipv6.ICMPTypeNeighborAdvertisement) {
			w = capture6(t, cap2, 58)
		}
		if w.src != vip2.Addr() || w.dst.String() != "ff02::1" || w.hopLimit != 255 {
			t.Errorf("NA during DAD: %v -> %v hop limit %d, want from the VIP %v to ff02::1, 255", w.src, w.dst, w.hopLimit, vip2.Addr())
		}
	})
}

// run runs a command in the calling thread's namespace and returns its
// output, failing t on error.
func run(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// TestIPv6VIPUsableAtOnce (adapter proof c): an IPv6 VIP added by the
// address manager is never tentative and answers an echo request from
// the neighbour right away; an address added the ordinary way is
// tentative at first, which is what nodad avoids. Add, Remove and
// Present are idempotent as for IPv4.
func TestIPv6VIPUsableAtOnce(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.InNewNetns(t, func() {
		nsB := netnstest.NewNetns(t)
		v6Link(t, nsB, "v6a0", "v6b0", v6A, v6B)
		m, err := vrrp.NewAddrManager(nil)
		if err != nil {
			netnstest.SkipOrFail(t, err)
		}
		defer m.Close()
		v := vrrp.VIPAddr{Prefix: v6VIP, Dev: "v6a0"}
		start := time.Now()
		if err := m.Add(v); err != nil {
			t.Fatal(err)
		}
		added := time.Now()
		var rtt time.Duration
		nsB.Do(t, func() { rtt = echo6(t, v6VIP.Addr()) })
		// B has no entry for the VIP: its first neighbour solicitation
		// must be answered. A lost one is retried only after 1 s.
		if rtt > 500*time.Millisecond {
			t.Errorf("first echo to the VIP took %v: its first neighbour solicitation went unanswered", rtt)
		}
		line := addrLine(t, "v6a0", v6VIP.String())
		if line == "" || strings.Contains(line, "tentative") || !strings.Contains(line, "scope global") || !strings.Contains(line, "nodad") {
			t.Errorf("ip -6 addr shows %q for the VIP, want scope global, nodad, not tentative", line)
		}
		t.Logf("Add took %v; VIP answered an echo request %v after Add (round trip %v); ip -6 addr: %s",
			added.Sub(start).Round(time.Microsecond), time.Since(added).Round(time.Millisecond), rtt.Round(time.Microsecond), line)

		for _, step := range []struct {
			name string
			fn   func() error
			want bool
		}{
			{"add again", func() error { return m.Add(v) }, true},
			{"remove", func() error { return m.Remove(v) }, false},
			{"remove again", func() error { return m.Remove(v) }, false},
		} {
			if err := step.fn(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			ok, err := m.Present(v)
			if err != nil || ok != step.want {
				t.Errorf("after %s: Present = %v, %v; want %v", step.name, ok, err, step.want)
			}
		}
		// The same address with another prefix length is not the VIP.
		netnstest.AddAddr(t, "v6a0", netip.PrefixFrom(v6VIP.Addr(), 128))
		if ok, _ := m.Present(v); ok {
			t.Errorf("Present(%v) is true for %v/128", v6VIP, v6VIP.Addr())
		}

		// The contrast: without nodad the kernel holds an address
		// tentative first.
		plain := "2001:db8:6::101/64"
		run(t, "ip", "-6", "addr", "add", plain, "dev", "v6a0")
		t.Logf("an address added without nodad, right after: %s", addrLine(t, "v6a0", plain))
	})
}

// addrLine is the `ip -6 addr` line of prefix on dev, "" if absent.
func addrLine(t *testing.T, dev, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(run(t, "ip", "-6", "addr", "show", "dev", dev), "\n") {
		if strings.Contains(l, "inet6 "+prefix+" ") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// echo6 sends one ICMPv6 echo request to dst from the calling thread's
// namespace and returns the round trip; it fails t without a reply
// within 2 s. The host's ping is not needed.
func echo6(t *testing.T, dst netip.Addr) time.Duration {
	t.Helper()
	rtt, err := echo6Err(dst, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return rtt
}

// echo6Err is echo6 for any goroutine (such as lab.InNS's).
func echo6Err(dst netip.Addr, timeout time.Duration) (time.Duration, error) {
	c, err := icmp.ListenPacket("ip6:ipv6-icmp", "::")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	const id = 0x6b6
	msg := icmp.Message{Type: ipv6.ICMPTypeEchoRequest, Body: &icmp.Echo{ID: id, Seq: 1, Data: []byte("lbhad-v6")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if _, err := c.WriteTo(b, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		return 0, fmt.Errorf("echo to %v: %w", dst, err)
	}
	if err := c.SetReadDeadline(start.Add(timeout)); err != nil {
		return 0, err
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return 0, fmt.Errorf("no echo reply from %v within %v: %w", dst, timeout, err)
		}
		r, err := icmp.ParseMessage(58, buf[:n])
		if err != nil || r.Type != ipv6.ICMPTypeEchoReply {
			continue
		}
		if e, ok := r.Body.(*icmp.Echo); ok && e.ID == id && from.String() == dst.String() {
			return time.Since(start), nil
		}
	}
}

// TestIPv6TransportFollowsRecreatedInterface (adapter proof d): what the
// router relies on to follow an interface by name, as it does for IPv4.
// Once the device is deleted a send fails with an error the router
// reads as "device gone"; right after the device is re-created, opening
// fails with ErrNoLinkLocal (the new link-local address is tentative),
// so the instance waits; the end of duplicate address detection is an
// address event, and the transport opened then works both ways.
func TestIPv6TransportFollowsRecreatedInterface(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.InNewNetns(t, func() {
		nsB := netnstest.NewNetns(t)
		v6Link(t, nsB, "v6a0", "v6b0", v6A, v6B)
		ta := dial6(t, "v6a0", vrrp.TransportOptions{})
		var tb vrrp.Transport
		nsB.Do(t, func() { tb = dial6(t, "v6b0", vrrp.TransportOptions{}) })
		fromB := read6(t, tb)
		if err := ta.WriteTo(advert6(), vrrpGroup6); err != nil {
			t.Fatal(err)
		}
		next6(t, fromB, "B before the re-create")

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		events, err := vrrp.NewLinkWatcher(nil).WatchAddrs(ctx)
		if err != nil {
			t.Fatal(err)
		}

		l, err := netlink.LinkByName("v6a0")
		if err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkDel(l); err != nil {
			t.Fatal(err)
		}
		err = ta.WriteTo(advert6(), vrrpGroup6)
		if !errors.Is(err, syscall.ENODEV) && !errors.Is(err, syscall.ENXIO) && !errors.Is(err, syscall.ENETDOWN) {
			t.Fatalf("send on a deleted device: %v, want ENODEV, ENXIO or ENETDOWN (the router's device-gone errors)", err)
		}
		t.Logf("send on the deleted device: %v", err)

		netnstest.Veth(t, netnstest.End{Name: "v6a0", Addr: v6A}, netnstest.End{Name: "v6b0", Addr: v6B, NS: nsB})
		up := time.Now()
		if _, err := vrrp.DialTransport("v6a0", vrrp.TransportOptions{IPv6: true}); !errors.Is(err, vrrp.ErrNoLinkLocal) {
			t.Fatalf("open right after re-create: %v, want ErrNoLinkLocal while the link-local address is tentative", err)
		}
		// Retry on address events only, as the router does.
		var ta2 vrrp.Transport
		deadline := time.After(10 * time.Second)
		for n := 0; ta2 == nil; n++ {
			select {
			case <-events:
			case <-deadline:
				t.Fatalf("no address event made the transport openable within 10 s (%d events)", n)
			}
			tr, err := vrrp.DialTransport("v6a0", vrrp.TransportOptions{IPv6: true})
			switch {
			case errors.Is(err, vrrp.ErrNoLinkLocal):
			case err != nil:
				t.Fatal(err)
			default:
				ta2 = tr
				t.Cleanup(func() { tr.Close() })
				t.Logf("reopened on address event %d, %v after the interface came back", n+1, time.Since(up).Round(time.Millisecond))
			}
		}
		var tb2 vrrp.Transport
		nsB.Do(t, func() {
			waitDAD(t, "v6b0")
			tb2 = dial6(t, "v6b0", vrrp.TransportOptions{})
		})
		fromB2, fromA2 := read6(t, tb2), read6(t, ta2)
		if err := ta2.WriteTo(advert6(), vrrpGroup6); err != nil {
			t.Fatal(err)
		}
		if g := next6(t, fromB2, "B after the re-create"); g.meta.Src != src(ta2) {
			t.Errorf("B received from %v, want %v", g.meta.Src, src(ta2))
		}
		if err := tb2.WriteTo([]byte("B is back too"), vrrpGroup6); err != nil {
			t.Fatal(err)
		}
		next6(t, fromA2, "A after the re-create")
		none6(t, fromB, 100*time.Millisecond, "the old transport")
	})
}
