//go:build integration

package integration

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// IPv6 VRRPv3 adverts RFC 5798 §7.1 says to discard, injected from the
// spare node with AF_PACKET (so hop limit, version and checksum are the
// test's to choose), against an lbhad pair at advert_int 0.1.

var (
	group6     = netip.MustParseAddr("ff02::12")
	group6MAC  = net.HardwareAddr{0x33, 0x33, 0, 0, 0, 0x12}
	fake6      = netip.MustParseAddr("fe80::250")
	fake6MAC   = net.HardwareAddr{0x02, 0, 0x5e, 0x0c, 0x0c, 0x0c}
	metrics6At = "127.0.0.1:9471"
)

// ipv6Packet is an IPv6 header (traffic class 0xc0, as VRRP sends) in
// front of payload, next header 112.
func ipv6Packet(src, dst netip.Addr, hopLimit uint8, payload []byte) []byte {
	h := make([]byte, 40, 40+len(payload))
	binary.BigEndian.PutUint32(h[0:], 6<<28|0xc0<<20)
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6], h[7] = 112, hopLimit
	s, d := src.As16(), dst.As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, payload...)
}

// sum6 writes the RFC 5798 checksum (IPv6 pseudo-header) of a VRRP
// packet of any layout into its bytes 6 and 7.
func sum6(b []byte, src, dst netip.Addr) []byte {
	b = append([]byte(nil), b...)
	b[6], b[7] = 0, 0
	pseudo := append(append([]byte(nil), src.AsSlice()...), dst.AsSlice()...)
	pseudo = append(pseudo, 0, 0, byte(len(b)>>8), byte(len(b)), 0, 0, 0, 112)
	s := lab.Checksum(append(pseudo, b...))
	b[6], b[7] = byte(s>>8), byte(s)
	return b
}

// dropDelta is after − before, reasons that did not move left out.
func dropDelta(before, after map[string]float64) map[string]float64 {
	got := map[string]float64{}
	for r, v := range after {
		if d := v - before[r]; d != 0 {
			got[r] = d
		}
	}
	return got
}

// startV6 runs lbhad on n with one multicast VRRPv3 IPv6 instance
// (VRID 61) at advert_int 0.1 and a metrics listener; extra is HCL added
// to the instance.
func startV6(b *bed6, n *lab.Node, prio int, extra string) *dir6 {
	b.t.Helper()
	name := b.name(n.Name + "-mal6")
	sock := filepath.Join(lab.StateDir, fmt.Sprintf("%s-%s.sock", b.l.ID, name))
	conf := fmt.Sprintf(`global {
  router_id      = %q
  control_socket = %q
  state_file     = %q
  metrics_listen = %q
}

vrrp_instance "V6" {
  interface         = %q
  virtual_router_id = %d
  priority          = %d
  advert_int        = 0.1
  virtual_ipaddress = [%q]
%s
}
`, n.Name, sock, strings.TrimSuffix(sock, ".sock")+".state.json", metrics6At, n.Dev, vrid6, prio, e2eVIP6.String(), extra)
	return b.runLBHAD(n, name, conf)
}

// drops6 sums n's lbhad_vrrp_adverts_dropped_total (drops of an
// instance) and lbhad_vrrp_interface_adverts_dropped_total (drops before
// an instance is known) samples by reason.
func drops6(t *testing.T, n *lab.Node) map[string]float64 { return dropsAt(t, n, metrics6At) }

// dropsAt is drops6 for a metrics listener at addr in n's namespace.
func dropsAt(t *testing.T, n *lab.Node, addr string) map[string]float64 {
	t.Helper()
	out, err := lab.Exec(n.NS, "curl", "-sS", "--max-time", "5", "http://"+addr+"/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", n.Name, err)
	}
	m := map[string]float64{}
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "lbhad_vrrp_adverts_dropped_total{") && !strings.HasPrefix(line, "lbhad_vrrp_interface_adverts_dropped_total{") {
			continue
		}
		_, rest, _ := strings.Cut(line, `reason="`)
		reason, _, _ := strings.Cut(rest, `"`)
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			m[reason] += v
		}
	}
	return m
}

// advertsFrom counts the captured adverts of vrid6 from mac since t.
func (c *cap6) advertsFrom(mac string, since time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, f := range c.frames {
		if f.advert && f.src == mac && f.at.After(since) {
			n++
		}
	}
	return n
}

// TestVRRPv3IPv6MalformedAdverts: each malformed advert is sent 5 times
// at priority 254 (master d1 would step down) and 0 (backup d2 would
// take over after Skew_Time): nothing changes, each reason lbhad sees is
// logged once (rate limited) and counted in lbhad_vrrp_adverts_dropped_total
// or, when no instance is known yet, lbhad_vrrp_interface_adverts_dropped_total.
// A bad checksum and a packet too short to hold one are dropped by the
// kernel (IPV6_CHECKSUM) before lbhad reads them: nothing changes and
// nothing is counted. The control at the end, a valid advert, is obeyed.
func TestVRRPv3IPv6MalformedAdverts(t *testing.T) {
	b := newBed6(t)
	d1 := startV6(b, b.l.D1, 150, "")
	startV6(b, b.l.D2, 100, "")
	b.waitOwner6(b.l.D1, 10*time.Second, time.Second, "both started")
	in, err := b.l.Injector()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()

	vip := e2eVIP6.Addr()
	valid := func(prio uint8) lab.AdvertV3 {
		return lab.AdvertV3{VRID: vrid6, Priority: prio, Count: -1, MaxAdvertInt: 10, VIPs: []netip.Addr{vip}}
	}
	v3 := func(f func(a *lab.AdvertV3)) func(uint8) []byte {
		return func(p uint8) []byte { a := valid(p); f(&a); return a.Marshal(fake6, group6) }
	}
	send := func(t *testing.T, hop uint8, mk func(prio uint8) []byte) {
		for i := 0; i < 5; i++ {
			for _, prio := range []uint8{254, 0} {
				frame := lab.Ethernet(group6MAC, fake6MAC, 0x86dd, ipv6Packet(fake6, group6, hop, mk(prio)))
				if err := in.SendFrame(frame); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	cases := []struct {
		name   string
		hop    uint8
		reason string // the drop reason lbhad logs and counts; "" where the kernel drops it
		mk     func(prio uint8) []byte
	}{
		{"hop_limit_254", 254, "ttl", v3(func(*lab.AdvertV3) {})},
		{"vrrpv2_advert", 255, "version", func(p uint8) []byte {
			// A VRRPv2 packet, checksummed as the IPv6 socket of a
			// VRRPv2-over-IPv6 sender would (else the kernel drops it).
			return sum6(lab.Advert{VRID: vrid6, Priority: p, Count: -1, AdvertInt: 1, VIPs: []netip.Addr{vip}}.Marshal(), fake6, group6)
		}},
		{"version_4", 255, "version", v3(func(a *lab.AdvertV3) { a.Version = 4 })},
		{"type_2", 255, "type", v3(func(a *lab.AdvertV3) { a.Type = 2 })},
		{"count_2_with_1_address", 255, "length", v3(func(a *lab.AdvertV3) { a.Count = 2 })},
		{"unknown_vrid", 255, "unknown_vrid", v3(func(a *lab.AdvertV3) { a.VRID = vrid6 + 1 })},
		{"interval_0", 255, "interval", v3(func(a *lab.AdvertV3) { a.MaxAdvertInt = 0 })},
		{"vip_mismatch", 255, "addresses", v3(func(a *lab.AdvertV3) { a.VIPs = []netip.Addr{netip.MustParseAddr("2001:db8:50::101")} })},
		{"bad_checksum", 255, "", v3(func(a *lab.AdvertV3) { a.BadChecksum = true })},
		{"too_short", 255, "", func(p uint8) []byte { return v3(func(*lab.AdvertV3) {})(p)[:6] }},
	}
	logged := map[string]bool{} // reasons whose one log line was checked
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := drops6(t, b.l.D1)
			start := time.Now()
			send(t, tc.hop, tc.mk)
			b.waitOwner6(b.l.D1, time.Second, time.Second, tc.name+" adverts must be ignored")
			if n := b.cap.advertsFrom(b.l.D2.MAC.String(), start); n != 0 {
				t.Errorf("backup d2 advertised %d times after %s adverts", n, tc.name)
			}
			if n := b.cap.advertsFrom(b.l.D1.MAC.String(), start); n < 10 {
				t.Errorf("master d1 sent only %d adverts in the 1.5 s after %s adverts", n, tc.name)
			}
			got := dropDelta(before, drops6(t, b.l.D1))
			if tc.reason == "" {
				if len(got) != 0 {
					t.Errorf("d1 counted drops %v for a packet the kernel should drop", got)
				}
				return
			}
			if got[tc.reason] != 10 || len(got) != 1 {
				t.Errorf("d1 counted drops %v, want {%s: 10}", got, tc.reason)
			}
			if logged[tc.reason] {
				return // rate limited: logged by an earlier case
			}
			logged[tc.reason] = true
			var lines int
			for _, f := range allLogFields(d1.proc.Output(), "dropped vrrp advert") {
				if f["src"] == fake6.String() && f["reason"] == tc.reason {
					lines++
				}
			}
			if lines != 1 {
				t.Errorf("d1 logged %d drop lines with reason %s from %s, want 1 (rate limited)", lines, tc.reason, fake6)
			}
		})
	}

	t.Run("control_valid_advert_is_obeyed", func(t *testing.T) {
		start := time.Now()
		var stepped time.Duration
		for i := 0; i < 10 && stepped == 0; i++ {
			frame := lab.Ethernet(group6MAC, fake6MAC, 0x86dd, ipv6Packet(fake6, group6, 255, valid(254).Marshal(fake6, group6)))
			if err := in.SendFrame(frame); err != nil {
				t.Fatal(err)
			}
			lab.Eventually(100*time.Millisecond, func() bool {
				if o := b.owners(); len(o) == 0 || o[0] != b.l.D1.Name {
					stepped = time.Since(start)
					return true
				}
				return false
			})
		}
		if stepped == 0 {
			t.Fatal("d1 ignored a valid higher-priority IPv6 VRRPv3 advert: the injection does not reach the daemon, so the cases above prove nothing")
		}
		t.Logf("control: d1 dropped the IPv6 VIP %v after the first valid priority-254 advert", stepped.Round(time.Millisecond))
		b.waitOwner6(b.l.D1, 10*time.Second, time.Second, "fake master went silent")
	})
}
