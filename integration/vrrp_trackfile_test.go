//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// A flag file moves d1's priority: -100 drops it from 150 to 50, below
// d2's 100, so d2 takes over at once (no fall/interval: inotify); 0
// brings d1 back (preempt); -254 puts d1 in Fault (VIP released, no
// adverts); removing the file is 0 again.
func TestVRRPTrackFile(t *testing.T) {
	b := newBed(t)
	flag := filepath.Join(b.l.Dir, "d1-maint")
	write := func(s string) time.Time {
		t.Helper()
		// echo > file: truncate and write in place.
		if err := os.WriteFile(flag, []byte(s+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return time.Now()
	}
	tf := []lab.TrackFile{{Name: "maint", Path: flag, Weight: 1}}
	b.start("lbhad", b.l.D1, lab.Instance{Priority: 150, AuthPass: "pw12", TrackFiles: tf})
	b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})
	b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started, no flag file (0)")
	b.startPing()

	at := write("-100")
	b.waitOwner(b.l.D2, 10*time.Second, 0, "d1's flag file at -100 (priority 50 < 100)")
	t.Logf("d2 took over %v after the file was written; longest client gap %v",
		time.Since(at).Round(10*time.Millisecond), b.ping.LongestGap(at, time.Now()).Len.Round(time.Millisecond))
	var prios []uint8
	for _, f := range b.cap.Adverts(vrid, b.l.D1.MAC, at) {
		prios = append(prios, f.VRRP.Priority)
	}
	if !containsPrio(prios, 50) {
		t.Errorf("d1 adverts after the write had priorities %v, want 50 among them", prios)
	}
	b.waitARP(b.l.D2, 5*time.Second)

	at = write("0")
	got := b.waitOwner(b.l.D1, 10*time.Second, 2*time.Second, "d1's flag file back at 0")
	t.Logf("d1 master again %v after the file went back to 0", got.Sub(at).Round(10*time.Millisecond))

	// An atomic replace (write a temporary file, rename it over) with
	// -254: Fault, the VIP goes, d1 stops advertising.
	tmp := flag + ".tmp"
	if err := os.WriteFile(tmp, []byte("-254\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, flag); err != nil {
		t.Fatal(err)
	}
	at = time.Now()
	if !lab.Eventually(5*time.Second, func() bool {
		ok, _ := lab.HasAddr(b.l.D1.NS, "eth0", lab.VIP.String())
		return !ok
	}) {
		t.Fatal("d1 kept the VIP with its flag file at -254 (want Fault)")
	}
	t.Logf("d1 released the VIP %v after the file was replaced with -254", time.Since(at).Round(10*time.Millisecond))
	b.waitOwner(b.l.D2, 10*time.Second, 2*time.Second, "d1 in Fault")
	if fs := b.cap.Adverts(vrid, b.l.D1.MAC, time.Now().Add(-time.Second)); len(fs) != 0 {
		t.Errorf("d1 in Fault still advertises (priority %d)", fs[0].VRRP.Priority)
	}

	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	b.waitOwner(b.l.D1, 12*time.Second, 2*time.Second, "d1's flag file removed (0)")
	b.waitARP(b.l.D1, 5*time.Second)
	if !b.ping.WaitReply(time.Now(), 5*time.Second) {
		t.Fatal("client cannot reach the VIP after the flag file was removed")
	}
}
