//go:build integration

package integration

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// forgedMAC is the MAC of a director that never existed: the "other
// side" of the race, whose announcement the test forges.
var forgedMAC = net.HardwareAddr{0x02, 0x00, 0x5e, 0x0b, 0x0b, 0x0b}

// garpFrame is a gratuitous ARP request (sender and target the VIP) from
// mac, as a director announcing the VIP sends it.
func garpFrame(mac net.HardwareAddr, vip netip.Addr) []byte {
	a := make([]byte, 28)
	binary.BigEndian.PutUint16(a[0:], 1)      // Ethernet
	binary.BigEndian.PutUint16(a[2:], 0x0800) // IPv4
	a[4], a[5] = 6, 4
	binary.BigEndian.PutUint16(a[6:], 1) // request
	copy(a[8:], mac)
	ip := vip.As4()
	copy(a[14:], ip[:])
	copy(a[24:], ip[:])
	bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	return lab.Ethernet(bcast, mac, 0x0806, a)
}

// TestVRRPLowerPriorityReannounce reproduces the simultaneous-start race
// deterministically. Master d1 (150, VRRPv3 at advert_int 0.1) holds the
// VIP and the client's ARP entry. The spare node then plays a director
// that briefly believed itself master: a priority-100 advert, and 30 ms
// later (after d1's immediate answer) its own gratuitous ARP for the VIP,
// which points the client at a MAC that does not answer. The client's
// entry must come back to d1 within 1 s (10 intervals): d1's burst
// garp_lower_prio_delay (lbhad's default: one advert interval) after the
// lower-priority advert. garp_master_delay = 0 keeps d1's own second
// burst out of the window, so before garp_lower_prio_delay existed (one
// burst, at once) the entry stayed wrong until the client's neighbour
// probing gave up on it (seconds).
//
// Controls: with garp_lower_prio_delay = 5 (keepalived's default, its
// garp_master_delay) the entry is still on the forged MAC 1 s later,
// which shows that the forged announcement took effect and that only the
// delayed burst repairs it in time; keepalived 2.2.7 with its defaults
// behaves the same (measured, not bounded beyond 8 s).
func TestVRRPLowerPriorityReannounce(t *testing.T) {
	const advert = 100 * time.Millisecond
	b := newBed(t)
	in, err := b.l.Injector()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	fake := netip.MustParseAddr("192.0.2.250")
	lower := lab.AdvertV3{VRID: vrid, Priority: 100, Count: -1, MaxAdvertInt: 10, VIPs: []netip.Addr{lab.VIP}}

	for _, tc := range []struct {
		name, kind, extra string
		settle            time.Duration // after d1 became master: its own bursts are over
		repaired          bool          // back on d1 within 1 s
	}{
		{"lbhad_default", "lbhad", "garp_master_delay = 0", 0, true},
		{"lbhad_delay_5s", "lbhad", "garp_master_delay = 0\ngarp_lower_prio_delay = 5", 0, false},
		{"keepalived", "keepalived", "", 5500 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst := v3Instance(150, advert)
			inst.LBHADInstance = tc.extra + "\n"
			d1 := b.start(tc.kind, b.l.D1, inst)
			defer func() {
				if err := d1.Stop(10 * time.Second); err != nil {
					t.Logf("stop d1: %v", err)
				}
				if b.ping != nil {
					b.ping.Stop()
					b.ping = nil
				}
			}()
			b.waitOwner(b.l.D1, 15*time.Second, 0, "d1 alone")
			became := time.Now()
			b.startPing()
			b.waitARP(b.l.D1, 5*time.Second)
			time.Sleep(time.Until(became.Add(tc.settle)))

			start := time.Now()
			if err := in.SendIP(lab.IPv4(fake, lab.VRRPMulticast, 255, 112, 1, lower.Marshal(fake, lab.VRRPMulticast)), nil); err != nil {
				t.Fatal(err)
			}
			time.Sleep(30 * time.Millisecond)
			if err := in.SendFrame(garpFrame(forgedMAC, lab.VIP)); err != nil {
				t.Fatal(err)
			}
			forged := time.Now()
			// Poll tightly: with the fix the forged entry lives about
			// 70 ms, and seeing it proves the race was produced.
			var sawForged bool
			var back time.Duration
			for time.Since(forged) < 8*time.Second {
				mac, err := lab.NeighMAC(b.l.Client.NS, lab.VIP)
				switch {
				case err != nil:
				case mac.String() == forgedMAC.String():
					sawForged = true
				case sawForged && mac.String() == b.l.D1.MAC.String():
					back = time.Since(forged)
				}
				if back > 0 {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			garps := len(b.cap.GARPs(lab.VIP.AsSlice(), start))
			t.Logf("%s: client's ARP entry on the forged MAC: %v; back on d1 %v after the forged announcement (0: not within 8 s); %d gratuitous ARPs for the VIP since the lower-priority advert",
				tc.name, sawForged, back.Round(time.Millisecond), garps)
			switch {
			case !sawForged:
				t.Errorf("the client's entry never pointed at the forged MAC: the race was not produced, so the case proves nothing")
			case tc.repaired && (back == 0 || back > time.Second):
				t.Errorf("client's ARP entry not back on d1 within 1 s of the forged announcement (back after %v; 0: not within 8 s)", back)
			case !tc.repaired && back > 0 && back < time.Second:
				t.Errorf("control: entry back on d1 after %v, before 1 s, without a delayed burst", back)
			}
			if s := b.owners(); len(s) != 1 || s[0] != b.l.D1.Name {
				t.Errorf("VIP held by %v after the lower-priority advert, want d1 only", s)
			}
		})
	}
}
