package lab

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mdlayher/packet"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// TestCaptureKernelStamp: a frame read 300 ms after it was sent carries
// the kernel's receive time, not the late reader's (the guest's
// end-to-end test splits takeovers from these times). The kernel turns
// timestamps on in deferred work, so frames of the first moments may
// have none: frames are sent until one has, for at most 2 s.
func TestCaptureKernelStamp(t *testing.T) {
	ns := netnstest.NewNetns(t)
	var conn *packet.Conn
	err := ns.Run(func() error {
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			return err
		}
		if err := netlink.LinkSetUp(lo); err != nil {
			return err
		}
		ifi, err := net.InterfaceByName("lo")
		if err != nil {
			return err
		}
		conn, err = packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := &Capture{conn: conn}
	c.rc, _ = conn.SyscallConn()
	c.stamp(time.Now()) // as StartCaptureIn does

	group := net.HardwareAddr{1, 0, 0x5e, 0, 0, 18}
	adv := Advert{VRID: 51, Priority: 100, AdvertInt: 1, VIPs: []netip.Addr{VIP}}
	fr := Ethernet(group, net.HardwareAddr{0, 0, 0x5e, 0, 1, 51}, 0x0800,
		IPv4(netip.MustParseAddr("192.0.2.11"), VRRPMulticast, 255, 112, 1, adv.Marshal()))
	buf := make([]byte, 2048)
	// roundTrip sends the frame, reads it after delay and returns how
	// long after the send it was stamped and read.
	roundTrip := func(delay time.Duration) (stamped, read time.Duration) {
		t.Helper()
		sent := time.Now()
		if _, err := conn.WriteTo(fr, &packet.Addr{HardwareAddr: group}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		n, _, err := conn.ReadFrom(buf)
		now := time.Now()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := ParseFrame(buf[:n]); !ok {
			t.Fatal("frame not parsed")
		}
		stamped = c.stamp(now).Sub(sent)
		// lo hands the frame to the socket twice (out and in).
		for conn.SetReadDeadline(time.Now().Add(20*time.Millisecond)) == nil {
			if _, _, err := conn.ReadFrom(buf); err != nil {
				break
			}
		}
		conn.SetReadDeadline(time.Time{})
		return stamped, now.Sub(sent)
	}
	for deadline := time.Now().Add(2 * time.Second); ; {
		if s, r := roundTrip(50 * time.Millisecond); s < r {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no frame got a kernel timestamp within 2s")
		}
	}
	if s, r := roundTrip(300 * time.Millisecond); s < 0 || s > 100*time.Millisecond {
		t.Errorf("frame stamped %v after it was sent, read %v after: want the kernel's time", s, r)
	}
}
