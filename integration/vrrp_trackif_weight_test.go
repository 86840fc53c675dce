//go:build integration

package integration

import (
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// A tracked interface with keepalived's weight ("trk0 weight -60") goes
// down: d1 does not enter Fault but advertises 150-60 = 90, below d2's
// 100, so d2 takes over; when trk0 comes back d1 (150) preempts back.
func TestVRRPTrackInterfaceWeight(t *testing.T) {
	b := newBed(t)
	b.ipSteps(b.l.D1.NS, [][]string{
		// A veth pair, not a dummy: the test kernel may lack the dummy
		// module.
		{"link", "add", "trk0", "type", "veth", "peer", "name", "trk1"},
		{"link", "set", "trk1", "up"},
		{"link", "set", "trk0", "up"},
	})
	b.start("lbhad", b.l.D1, lab.Instance{Priority: 150, AuthPass: "pw12", TrackInterfaces: []string{"trk0 weight -60"}})
	b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})
	b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started, trk0 up")

	down := time.Now()
	if err := b.l.IP(b.l.D1.NS, "link", "set", "trk0", "down"); err != nil {
		t.Fatal(err)
	}
	b.waitOwner(b.l.D2, 10*time.Second, 2*time.Second, "d1's weighted trk0 down (priority 90 < 100)")
	t.Logf("d2 took over %v after trk0 went down", time.Since(down).Round(10*time.Millisecond))
	var prios []uint8
	for _, f := range b.cap.Adverts(vrid, b.l.D1.MAC, down) {
		prios = append(prios, f.VRRP.Priority)
	}
	// Fault would have sent priority 0 (or nothing); a weight sends 90.
	if !containsPrio(prios, 90) || containsPrio(prios, 0) {
		t.Errorf("d1 adverts after trk0 went down had priorities %v, want 90 and no 0 (Fault)", prios)
	}

	if err := b.l.IP(b.l.D1.NS, "link", "set", "trk0", "up"); err != nil {
		t.Fatal(err)
	}
	b.waitOwner(b.l.D1, 12*time.Second, 2*time.Second, "trk0 up again")
}
