//go:build integration

package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// Scenario 1: both start; the higher priority becomes the only master and
// the client reaches the VIP through it.
func TestVRRPElection(t *testing.T) {
	b := newBed(t)
	b.start("lbhad", b.l.D1, lab.Instance{Priority: 150, AuthPass: "pw12"})
	b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})

	b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started")
	b.startPing()
	b.waitARP(b.l.D1, 2*time.Second)
	a, ok := b.lastAdvert(b.l.D1, time.Now())
	if !ok {
		t.Fatal("master d1 sends no adverts")
	}
	if a.VRRP.Priority != 150 || a.VRRP.TTL != 255 || a.VRRP.Dst != lab.VRRPMulticast || a.VRRP.AuthType != 1 {
		t.Errorf("d1 advert = %+v, want priority 150, TTL 255, to 224.0.0.18, auth PASS", a.VRRP)
	}
	t.Logf("d1 advert: TOS %#x, IP %v -> %v, VIPs %v", a.VRRP.TOS, a.VRRP.Src, a.VRRP.Dst, a.VRRP.VIPs)
	if fs := b.cap.Adverts(vrid, b.l.D2.MAC, time.Now().Add(-2*time.Second)); len(fs) != 0 {
		t.Errorf("backup d2 advertises: %+v", fs[0].VRRP)
	}
}

// Scenario 7: equal priorities; when two masters meet, the higher primary
// IP address (d2, 192.0.2.12) wins (RFC 3768 §6.4.3). Two masters are made
// deterministically by blocking multicast until both have taken over:
// with a normal start the first node to time out wins and the other, as a
// backup hearing an equal priority, rightly never contests.
func TestVRRPEqualPriorityHigherIPWins(t *testing.T) {
	b := newBed(t)
	for _, n := range []*lab.Node{b.l.D1, b.l.D2} {
		if err := b.l.BlockMulticast(n, true); err != nil {
			t.Fatal(err)
		}
	}
	b.start("lbhad", b.l.D1, lab.Instance{Priority: 100, AuthPass: "pw12"})
	b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})
	if !lab.Eventually(15*time.Second, func() bool { return len(b.owners()) == 2 }) {
		t.Fatalf("with multicast blocked both should be master, VIP held by %v", b.owners())
	}
	healed := time.Now()
	for _, n := range []*lab.Node{b.l.D1, b.l.D2} {
		if err := b.l.BlockMulticast(n, false); err != nil {
			t.Fatal(err)
		}
	}
	at := b.waitOwner(b.l.D2, 10*time.Second, 3*time.Second, "split brain healed at equal priority")
	t.Logf("d1 yielded %v after multicast was restored", at.Sub(healed).Round(time.Millisecond))
	b.startPing()
	b.waitARP(b.l.D2, 2*time.Second)
}

// Scenario 8: mismatched auth_pass; each drops the other's adverts, so
// both become master, and lbhad says why in its log.
func TestVRRPAuthMismatch(t *testing.T) {
	b := newBed(t)
	d1 := b.start("lbhad", b.l.D1, lab.Instance{Priority: 150, AuthPass: "pw12"})
	d2 := b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw99"})
	if !lab.Eventually(15*time.Second, func() bool { return len(b.owners()) == 2 }) {
		t.Fatalf("adverts with the wrong password were accepted: VIP held by %v, want both", b.owners())
	}
	time.Sleep(2 * time.Second) // several adverts each way
	if n := len(b.owners()); n != 2 {
		t.Errorf("VIP held by %v, want both (auth mismatch)", b.owners())
	}
	// The drop log line itself (vrrp/droplog.go), parsed: reason, the
	// peer's address and the interface. The lab's paths contain the
	// test's name, so matching a bare word like "auth" proves nothing.
	for _, p := range [][2]*lab.Director{{d1, d2}, {d2, d1}} {
		d, peer := p[0], p[1]
		f, ok := logFields(d.Log(), "dropped vrrp advert")
		if !ok {
			t.Errorf("%s log has no \"dropped vrrp advert\" line:\n%s", d.Node.Name, d.Log())
			continue
		}
		t.Logf("%s: %v", d.Node.Name, f)
		if f["reason"] != "auth" || f["src"] != peer.Node.IP.String() || f["interface"] != d.Node.Dev {
			t.Errorf("%s drop line: %v, want reason auth from %s on %s", d.Node.Name, f, peer.Node.IP, d.Node.Dev)
		}
		for _, pw := range []string{"pw12", "pw99"} {
			if strings.Contains(d.Log(), pw) {
				t.Errorf("%s log carries the password %q", d.Node.Name, pw)
			}
		}
	}
}

// logFields finds the first console log line whose message is msg and
// returns its JSON fields.
func logFields(log, msg string) (map[string]any, bool) {
	for _, line := range strings.Split(log, "\n") {
		parts := strings.SplitN(line, "\t", 4)
		if len(parts) < 4 || parts[2] != msg {
			continue
		}
		var f map[string]any
		if err := json.Unmarshal([]byte(parts[3]), &f); err != nil {
			continue
		}
		return f, true
	}
	return nil, false
}
