//go:build linux

package vrrp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/netnstest"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// capturedAdvert is the VRRP part of a keepalived 2.2.7 advert
// (VRID 51, priority 150, auth "pw12", VIP 192.0.2.50).
var capturedAdvert = []byte{
	0x21, 0x33, 0x96, 0x01, 0x01, 0x01, 0xe3, 0xed,
	0xc0, 0x00, 0x02, 0x32, 0x70, 0x77, 0x31, 0x32, 0, 0, 0, 0,
}

type received struct {
	payload []byte
	meta    RecvMeta
}

// reader drains tr into a channel from another goroutine; reading a
// socket created in another namespace is fine from any thread.
func reader(t *testing.T, tr *IPTransport) <-chan received {
	ch := make(chan received, 16)
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
			ch <- received{buf[:n], meta}
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan received) received {
	t.Helper()
	select {
	case r, ok := <-ch:
		if !ok {
			t.Fatal("transport closed")
		}
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no VRRP packet within 10 s")
	}
	panic("unreachable")
}

func dial(t *testing.T, ifname string, opts TransportOptions) *IPTransport {
	t.Helper()
	tr, err := dialIPv4(ifname, opts)
	if err != nil {
		netnstest.SkipOrFail(t, err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func ifindex(t *testing.T, name string) int {
	t.Helper()
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return ifi.Index
}

var (
	addrA  = netip.MustParsePrefix("192.0.2.11/24")
	addrB  = netip.MustParsePrefix("192.0.2.12/24")
	addrA2 = netip.MustParsePrefix("198.51.100.1/24")
	addrB2 = netip.MustParsePrefix("198.51.100.2/24")
)

// TestTransportMulticast runs two routers in two namespaces joined by
// veth vr0<->vr1, plus a second link vr2<->vr3 that must stay separate.
func TestTransportMulticast(t *testing.T) {
	netnstest.InNewNetns(t, func() {
		b := netnstest.NewNetns(t)
		netnstest.Veth(t, netnstest.End{Name: "vr0", Addr: addrA}, netnstest.End{Name: "vr1", Addr: addrB, NS: b})
		netnstest.Veth(t, netnstest.End{Name: "vr3", Addr: addrA2}, netnstest.End{Name: "vr2", Addr: addrB2, NS: b})

		ta := dial(t, "vr0", TransportOptions{})
		ta2 := dial(t, "vr3", TransportOptions{})
		if ta.Src() != addrA.Addr() {
			t.Errorf("Src() = %v, want the primary address %v", ta.Src(), addrA.Addr())
		}
		var tb, tb2 *IPTransport
		var capture *packet.Conn
		var vr1Index int
		b.Do(t, func() {
			tb = dial(t, "vr1", TransportOptions{})
			tb2 = dial(t, "vr2", TransportOptions{})
			vr1Index = ifindex(t, "vr1")
			ifi, _ := net.InterfaceByName("vr1")
			c, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_IP, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			capture = c
		})
		fromA, fromB, fromB2 := reader(t, ta), reader(t, tb), reader(t, tb2)

		// A packet on the other link first, then the real one: B's
		// transport on vr1 must only ever see the second.
		if err := ta2.WriteTo([]byte("wrong link"), vrrpGroup); err != nil {
			t.Fatal(err)
		}
		if err := ta.WriteTo(capturedAdvert, vrrpGroup); err != nil {
			t.Fatal(err)
		}
		got := next(t, fromB)
		want := RecvMeta{Src: addrA.Addr(), Dst: vrrpGroup, TTL: 255, IfIndex: vr1Index}
		if got.meta != want {
			t.Errorf("meta = %+v, want %+v", got.meta, want)
		}
		if !bytes.Equal(got.payload, capturedAdvert) {
			t.Errorf("payload = %x, want %x (IP header must be stripped)", got.payload, capturedAdvert)
		}

		if r := next(t, fromB2); string(r.payload) != "wrong link" || r.meta.Src != addrA2.Addr() {
			t.Errorf("B's vr2 transport received %q from %v, want %q from %v", r.payload, r.meta.Src, "wrong link", addrA2.Addr())
		}

		checkWire(t, capture)

		// B answers; A's first packet must be B's, not its own looped
		// back copy of the advert it sent before.
		if err := tb.WriteTo([]byte("reply"), vrrpGroup); err != nil {
			t.Fatal(err)
		}
		if r := next(t, fromA); r.meta.Src != addrB.Addr() || string(r.payload) != "reply" {
			t.Errorf("A received %q from %v, want B's reply (multicast loop must be off)", r.payload, r.meta.Src)
		}
	})
}

// checkWire checks the IP header of the first VRRP frame on the capture:
// the bytes keepalived puts there.
func checkWire(t *testing.T, c *packet.Conn) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1514)
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("capture: %v", err)
		}
		f := buf[:n]
		if len(f) < 34 || f[14+9] != protoVRRP {
			continue // IGMP reports and the like
		}
		ip := f[14:]
		if got, want := net.HardwareAddr(f[0:6]).String(), "01:00:5e:00:00:12"; got != want {
			t.Errorf("dst MAC = %s, want %s", got, want)
		}
		if ip[1] != 0xc0 {
			t.Errorf("TOS = %#x, want 0xc0", ip[1])
		}
		if ip[8] != 255 {
			t.Errorf("TTL = %d, want 255", ip[8])
		}
		if flags := binary.BigEndian.Uint16(ip[6:8]); flags&0x4000 != 0 {
			t.Errorf("DF set (flags/frag %#x); keepalived sends without DF", flags)
		}
		if src := netip.AddrFrom4([4]byte(ip[12:16])); src != addrA.Addr() {
			t.Errorf("IP src = %v, want %v", src, addrA.Addr())
		}
		return
	}
}

// TestTransportUnicast checks unicast_peer filtering and unicast_src_ip:
// B accepts only its peer 192.0.2.11, although 192.0.2.13 on the same
// link also sends to it.
func TestTransportUnicast(t *testing.T) {
	netnstest.InNewNetns(t, func() {
		b := netnstest.NewNetns(t)
		netnstest.Veth(t, netnstest.End{Name: "vr0", Addr: addrA}, netnstest.End{Name: "vr1", Addr: addrB, NS: b})
		stranger := netip.MustParsePrefix("192.0.2.13/24")
		netnstest.AddAddr(t, "vr0", stranger)
		peerB := []netip.Addr{addrB.Addr()}
		ta := dial(t, "vr0", TransportOptions{SrcIP: addrA.Addr(), UnicastPeers: peerB})
		ts := dial(t, "vr0", TransportOptions{SrcIP: stranger.Addr(), UnicastPeers: peerB})
		var tb *IPTransport
		var vr1Index int
		b.Do(t, func() {
			tb = dial(t, "vr1", TransportOptions{UnicastPeers: []netip.Addr{addrA.Addr()}})
			vr1Index = ifindex(t, "vr1")
		})
		fromB := reader(t, tb)

		if err := ts.WriteTo([]byte("stranger"), vrrpGroup); err != nil {
			t.Fatal(err)
		}
		if err := ta.WriteTo([]byte("peer"), vrrpGroup); err != nil {
			t.Fatal(err)
		}
		got := next(t, fromB)
		want := RecvMeta{Src: addrA.Addr(), Dst: addrB.Addr(), TTL: 255, IfIndex: vr1Index}
		if got.meta != want || string(got.payload) != "peer" {
			t.Errorf("B received %q %+v, want %q %+v", got.payload, got.meta, "peer", want)
		}
		// And the reverse direction: a unicast sender is not looped
		// back and B's reply goes to its only peer.
		fromA := reader(t, ta)
		if err := tb.WriteTo([]byte("back"), vrrpGroup); err != nil {
			t.Fatal(err)
		}
		if r := next(t, fromA); string(r.payload) != "back" || r.meta.Dst != addrA.Addr() || r.meta.TTL != 255 {
			t.Errorf("A received %q %+v, want B's reply to %v", r.payload, r.meta, addrA.Addr())
		}
	})
}

func TestDialTransportErrors(t *testing.T) {
	netnstest.InNewNetns(t, func() {
		if _, err := DialTransport("nosuch0", TransportOptions{}); err == nil {
			t.Error("DialTransport on a missing interface succeeded")
		}
		// A link with no address at all (this kernel may lack dummy).
		netnstest.Veth(t, netnstest.End{Name: "vd0"}, netnstest.End{Name: "vd1"})
		if _, err := DialTransport("vd0", TransportOptions{}); !errors.Is(err, ErrNoIPv4) {
			t.Errorf("DialTransport without address: err = %v, want ErrNoIPv4", err)
		}
	})
}

// TestTransportBurst queues more packets than one batch holds before the
// first read, so ReadFrom must hand them out across several recvmmsg
// batches, in order, each with its own payload and metadata.
func TestTransportBurst(t *testing.T) {
	netnstest.InNewNetns(t, func() {
		b := netnstest.NewNetns(t)
		netnstest.Veth(t, netnstest.End{Name: "vr0", Addr: addrA}, netnstest.End{Name: "vr1", Addr: addrB, NS: b})
		ta := dial(t, "vr0", TransportOptions{SrcIP: addrA.Addr()})
		var tb *IPTransport
		b.Do(t, func() { tb = dial(t, "vr1", TransportOptions{}) })
		const n = 3*recvBatch + 5
		for i := 0; i < n; i++ {
			if err := ta.WriteTo(bytes.Repeat([]byte{byte(i)}, 1+i%7), vrrpGroup); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(100 * time.Millisecond) // let them all queue
		from := reader(t, tb)
		for i := 0; i < n; i++ {
			r := next(t, from)
			if want := bytes.Repeat([]byte{byte(i)}, 1+i%7); !bytes.Equal(r.payload, want) || r.meta.TTL != 255 || r.meta.Src != addrA.Addr() {
				t.Fatalf("packet %d: got %x %+v, want %x from %v with TTL 255", i, r.payload, r.meta, want, addrA.Addr())
			}
		}
	})
}
