//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// Scenario 5: d1's tracked script starts failing; weight -60 drops it to
// 90, below d2's 100, so d2 takes over; when the script passes again d1
// (150) preempts back.
func TestVRRPTrackScript(t *testing.T) {
	b := newBed(t)
	ok := filepath.Join(b.l.Dir, "d1-ok")
	if err := os.WriteFile(ok, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	script := &lab.Script{Command: "/bin/test -f " + ok, Interval: 1, Weight: -60, Fall: 2, Rise: 1}
	b.start("lbhad", b.l.D1, lab.Instance{Priority: 150, AuthPass: "pw12", Script: script})
	b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})
	b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started, script passing")
	b.startPing()

	fail := time.Now()
	if err := os.Remove(ok); err != nil {
		t.Fatal(err)
	}
	// fall 2 x interval 1 s, then d1 adverts 90 and d2 preempts.
	b.waitOwner(b.l.D2, 12*time.Second, 0, "d1's script failing (priority 90 < 100)")
	t.Logf("d2 took over %v after the script started failing (keepalived 4.2 s); longest client gap %v",
		time.Since(fail).Round(10*time.Millisecond), b.ping.LongestGap(fail, time.Now()).Len.Round(time.Millisecond))
	var lowered []uint8
	for _, f := range b.cap.Adverts(vrid, b.l.D1.MAC, fail) {
		lowered = append(lowered, f.VRRP.Priority)
	}
	if !containsPrio(lowered, 90) {
		t.Errorf("d1 adverts after the failure had priorities %v, want 90 among them", lowered)
	}
	b.waitARP(b.l.D2, 5*time.Second)

	recover := time.Now()
	if err := os.WriteFile(ok, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	at := b.waitOwner(b.l.D1, 12*time.Second, 2*time.Second, "d1's script passing again")
	t.Logf("d1 master again %v after the script recovered", at.Sub(recover).Round(10*time.Millisecond))
	b.waitARP(b.l.D1, 5*time.Second)
	if !b.ping.WaitReply(time.Now(), 5*time.Second) {
		t.Fatal("client cannot reach the VIP after recovery")
	}
}

func containsPrio(ps []uint8, p uint8) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

// Scenario 6: a tracked interface goes down; the instance goes to Fault
// and releases the VIP, and the peer takes over. When it comes back up,
// d1 (higher priority) takes the VIP back.
func TestVRRPTrackInterface(t *testing.T) {
	b := newBed(t)
	b.ipSteps(b.l.D1.NS, [][]string{
		// A veth pair, not a dummy: the test kernel may lack the dummy
		// module.
		{"link", "add", "trk0", "type", "veth", "peer", "name", "trk1"},
		{"link", "set", "trk1", "up"},
		{"link", "set", "trk0", "up"},
	})
	b.start("lbhad", b.l.D1, lab.Instance{Priority: 150, AuthPass: "pw12", TrackInterfaces: []string{"trk0"}})
	b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})
	b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started, trk0 up")

	down := time.Now()
	if err := b.l.IP(b.l.D1.NS, "link", "set", "trk0", "down"); err != nil {
		t.Fatal(err)
	}
	if !lab.Eventually(5*time.Second, func() bool {
		ok, _ := lab.HasAddr(b.l.D1.NS, "eth0", lab.VIP.String())
		return !ok
	}) {
		t.Fatal("d1 kept the VIP with its tracked interface down (want Fault)")
	}
	t.Logf("d1 released the VIP %v after trk0 went down", time.Since(down).Round(10*time.Millisecond))
	b.waitOwner(b.l.D2, 10*time.Second, 2*time.Second, "d1 in Fault")
	if fs := b.cap.Adverts(vrid, b.l.D1.MAC, time.Now().Add(-time.Second)); len(fs) != 0 {
		t.Errorf("d1 in Fault still advertises (priority %d)", fs[0].VRRP.Priority)
	}

	if err := b.l.IP(b.l.D1.NS, "link", "set", "trk0", "up"); err != nil {
		t.Fatal(err)
	}
	b.waitOwner(b.l.D1, 12*time.Second, 2*time.Second, "trk0 up again")
}
