//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// TestVRRPv3TrackScript: in VRRPv3 at advert_int 0.1, d1's tracked script
// failing (weight -60: 150 -> 90) hands the VIP to d2 (100) at d1's next
// advert, and d1 preempts back when it passes again: priority changes
// work the same at centisecond intervals.
func TestVRRPv3TrackScript(t *testing.T) {
	b := newBed(t)
	ok := filepath.Join(b.l.Dir, "d1-ok")
	if err := os.WriteFile(ok, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	in1 := v3Instance(150, 100*time.Millisecond)
	in1.Script = &lab.Script{Command: "/bin/test -f " + ok, Interval: 1, Weight: -60, Fall: 1, Rise: 1}
	b.start("lbhad", b.l.D1, in1)
	b.start("lbhad", b.l.D2, v3Instance(100, 100*time.Millisecond))
	b.waitOwner(b.l.D1, 15*time.Second, time.Second, "both started, script passing")
	b.startPing()

	fail := time.Now()
	if err := os.Remove(ok); err != nil {
		t.Fatal(err)
	}
	b.waitOwner(b.l.D2, 10*time.Second, 0, "d1's script failing (priority 90 < 100)")
	t.Logf("d2 took over %v after the script started failing (script interval 1 s)", time.Since(fail).Round(10*time.Millisecond))
	var lowered []uint8
	for _, f := range b.cap.Adverts(vrid, b.l.D1.MAC, fail) {
		lowered = append(lowered, f.VRRP.Priority)
	}
	if !containsPrio(lowered, 90) {
		t.Errorf("d1 adverts after the failure had priorities %v, want 90 among them", lowered)
	}
	b.waitARP(b.l.D2, 5*time.Second)

	if err := os.WriteFile(ok, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b.waitOwner(b.l.D1, 10*time.Second, time.Second, "d1's script passing again")
	b.waitARP(b.l.D1, 5*time.Second)
	if !b.ping.WaitReply(time.Now(), 5*time.Second) {
		t.Fatal("client cannot reach the VIP after recovery")
	}
}
