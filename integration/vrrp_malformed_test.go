//go:build integration

package integration

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// Scenario 11: adverts that RFC 3768 §7.1 says to discard change nothing.
// Each is sent from a fake router 192.0.2.250 twice over: with priority
// 254 (if accepted, master d1 would step down at once) and priority 0 (if
// accepted, backup d2 would take over after its skew time). A valid
// priority-254 advert is the control that shows the injection reaches the
// daemons.
func TestVRRPMalformedAdverts(t *testing.T) {
	b := newBed(t)
	d1 := b.start("lbhad", b.l.D1, lab.Instance{Priority: 150, AuthPass: "pw12"})
	b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})
	b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started")
	in, err := b.l.Injector()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()

	fake := netip.MustParseAddr("192.0.2.250")
	valid := func(prio uint8) lab.Advert {
		return lab.Advert{VRID: vrid, Priority: prio, Count: -1, AuthType: 1, AdvertInt: 1,
			VIPs: []netip.Addr{lab.VIP}, AuthData: lab.PassAuth("pw12")}
	}
	send := func(t *testing.T, ttl uint8, mk func(prio uint8) []byte) {
		for i := 0; i < 5; i++ {
			for _, prio := range []uint8{254, 0} {
				pkt := lab.IPv4(fake, lab.VRRPMulticast, ttl, 112, uint16(i+1), mk(prio))
				if err := in.SendIP(pkt, nil); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// reason is the drop log's reason for the case (vrrp/droplog.go);
	// "" where more than one is right.
	cases := []struct {
		name   string
		ttl    uint8
		reason string
		mk     func(prio uint8) []byte
	}{
		{"ttl_254", 254, "ttl", func(p uint8) []byte { return valid(p).Marshal() }},
		{"version_3", 255, "version", func(p uint8) []byte { a := valid(p); a.Version = 3; return a.Marshal() }},
		{"type_2", 255, "type", func(p uint8) []byte { a := valid(p); a.Type = 2; return a.Marshal() }},
		{"bad_checksum", 255, "checksum", func(p uint8) []byte { a := valid(p); a.BadChecksum = true; return a.Marshal() }},
		{"count_2_with_1_address", 255, "length", func(p uint8) []byte { a := valid(p); a.Count = 2; return a.Marshal() }},
		{"truncated_no_auth_data", 255, "", func(p uint8) []byte {
			m := valid(p).Marshal()
			m = m[:len(m)-8]
			m[6], m[7] = 0, 0
			s := lab.Checksum(m)
			m[6], m[7] = byte(s>>8), byte(s)
			return m
		}},
		{"unknown_vrid", 255, "unknown_vrid", func(p uint8) []byte { a := valid(p); a.VRID = vrid + 1; return a.Marshal() }},
		{"wrong_password", 255, "auth", func(p uint8) []byte { a := valid(p); a.AuthData = lab.PassAuth("pw99"); return a.Marshal() }},
		{"auth_type_none", 255, "auth_type", func(p uint8) []byte { a := valid(p); a.AuthType = 0; a.AuthData = [8]byte{}; return a.Marshal() }},
		{"advert_interval_2", 255, "interval", func(p uint8) []byte { a := valid(p); a.AdvertInt = 2; return a.Marshal() }},
		{"vip_mismatch", 255, "addresses", func(p uint8) []byte {
			a := valid(p)
			a.VIPs = []netip.Addr{netip.MustParseAddr("192.0.2.51")}
			return a.Marshal()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			send(t, tc.ttl, tc.mk)
			b.holdsFor(b.l.D1, 1500*time.Millisecond, tc.name+" advert must be ignored")
			if fs := b.cap.Adverts(vrid, b.l.D1.MAC, start); len(fs) == 0 || fs[len(fs)-1].VRRP.Priority != 150 {
				t.Errorf("master d1 stopped advertising priority 150 after %s adverts", tc.name)
			}
			if fs := b.cap.Adverts(vrid, b.l.D2.MAC, start); len(fs) != 0 {
				t.Errorf("backup d2 advertised (priority %d) after %s adverts", fs[0].VRRP.Priority, tc.name)
			}
			// Each kind of drop is logged (RFC 3768 7.1), naming the
			// sender; ten of a kind give one line (rate limited).
			if tc.reason == "" {
				return
			}
			var lines int
			for _, f := range allLogFields(d1.Log(), "dropped vrrp advert") {
				if f["src"] == fake.String() && f["reason"] == tc.reason {
					lines++
				}
			}
			if lines != 1 {
				t.Errorf("d1 logged %d drop lines with reason %s from %s, want 1", lines, tc.reason, fake)
			}
		})
	}

	t.Run("control_valid_advert_is_obeyed", func(t *testing.T) {
		start := time.Now()
		// Up to 10 valid priority-254 adverts: a master must step down
		// on the first one.
		stepped := time.Duration(0)
		for i := 0; i < 10 && stepped == 0; i++ {
			if err := in.SendIP(lab.IPv4(fake, lab.VRRPMulticast, 255, 112, uint16(i+1), valid(254).Marshal()), nil); err != nil {
				t.Fatal(err)
			}
			lab.Eventually(100*time.Millisecond, func() bool {
				ok, _ := lab.HasAddr(b.l.D1.NS, "eth0", lab.VIP.String())
				if !ok {
					stepped = time.Since(start)
				}
				return !ok
			})
		}
		if stepped == 0 {
			t.Fatal("d1 ignored a valid higher-priority advert: the injection does not reach the daemon, so the cases above prove nothing")
		}
		t.Logf("control: d1 dropped the VIP %v after the first valid priority-254 advert", stepped.Round(time.Millisecond))
		b.waitOwner(b.l.D1, 10*time.Second, time.Second, "fake master went silent")
	})
}

// allLogFields returns the JSON fields of every console log line whose
// message is msg.
func allLogFields(log, msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(log, "\n") {
		if f, ok := logFields(line, msg); ok {
			out = append(out, f)
		}
	}
	return out
}
