//go:build linux

package vrrp

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lbhad/lbhad/internal/netnstest"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

func TestAnnouncerSendsGratuitousARP(t *testing.T) {
	netnstest.InNewNetns(t, func() {
		netnstest.Veth(t, netnstest.End{Name: "vg0", Addr: addrA}, netnstest.End{Name: "vg1", Addr: addrB})
		a, err := NewAnnouncer("vg0")
		if err != nil {
			netnstest.SkipOrFail(t, err)
		}
		defer a.Close()
		peer, err := net.InterfaceByName("vg1")
		if err != nil {
			t.Fatal(err)
		}
		capture, err := packet.Listen(peer, packet.Raw, unix.ETH_P_ARP, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer capture.Close()

		vip := netip.MustParseAddr("192.0.2.50")
		if err := a.Announce(vip); err != nil {
			t.Fatal(err)
		}
		if err := capture.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		mac := a.MAC()
		if own, _ := net.InterfaceByName("vg0"); own.HardwareAddr.String() != mac.String() {
			t.Fatalf("MAC() = %v, interface has %v", mac, own.HardwareAddr)
		}
		want := ARPFrame{
			EthDst: EthernetBroadcast, EthSrc: mac, Operation: ARPRequest,
			SenderMAC: mac, SenderIP: vip, TargetMAC: EthernetBroadcast, TargetIP: vip,
		}
		buf := make([]byte, 1514)
		for {
			n, _, err := capture.ReadFrom(buf)
			if err != nil {
				t.Fatalf("capture: %v", err)
			}
			got, err := ParseARP(buf[:n])
			if err != nil {
				t.Fatalf("captured frame %x: %v", buf[:n], err)
			}
			if got.SenderIP != vip {
				continue // the kernel's own ARP traffic on the link
			}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("captured GARP (-want +got):\n%s", diff)
			}
			break
		}

		if err := a.Announce(netip.Addr{}); !errors.Is(err, ErrARPAddress) {
			t.Errorf("Announce(zero address) = %v, want ErrARPAddress", err)
		}
	})
}
