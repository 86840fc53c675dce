//go:build integration

package integration

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// Reload of an unchanged config in steady state (operations issue): no
// state change, the VIP never leaves the master, no extra GARP, and the
// client keeps getting replies.
func TestVRRPReloadUnchangedNoFlap(t *testing.T) {
	b := newBed(t)
	d1 := b.start("lbhad", b.l.D1, lab.Instance{Priority: 150, AuthPass: "pw12"})
	d2 := b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})
	b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started")
	b.startPing()
	// Let the second GARP burst (garp_master_delay 5 s) pass, so any
	// GARP after the reload can only come from the reload.
	time.Sleep(6 * time.Second)

	transitions := func(d *lab.Director) int { return strings.Count(d.Log(), " is now ") }
	before1, before2 := transitions(d1), transitions(d2)
	reloaded := time.Now()
	for _, d := range []*lab.Director{d1, d2} {
		if err := d.Proc.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	// Watch the VIP on the master through and after the reload.
	deadline := time.Now().Add(4 * time.Second)
	for time.Now().Before(deadline) {
		if o := b.owners(); len(o) != 1 || o[0] != "d1" {
			t.Fatalf("VIP owners became %v during an unchanged reload", o)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, d := range []*lab.Director{d1, d2} {
		if strings.Count(d.Log(), "reloaded") < 1 {
			t.Fatalf("%s did not log a reload:\n%s", d.Node.Name, d.Log())
		}
	}
	if a, b2 := transitions(d1), transitions(d2); a != before1 || b2 != before2 {
		t.Errorf("unchanged reload caused transitions: d1 %d→%d, d2 %d→%d", before1, a, before2, b2)
	}
	if g := b.cap.GARPs(net.IP(lab.VIP.AsSlice()), reloaded); len(g) != 0 {
		t.Errorf("unchanged reload sent %d GARPs", len(g))
	}
	gap := b.ping.LongestGap(reloaded, time.Now())
	t.Logf("longest client ping gap across the reload: %v", gap.Len.Round(time.Millisecond))
	if !b.ping.RepliedSince(time.Now().Add(-time.Second)) {
		t.Error("client no longer reaches the VIP after the reload")
	}
}
