//go:build ipvsguest && linux

package ipvsguest

import (
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/ipvstest"
)

// TestE2ECrashRestartAdopts is the IPVS half of fault matrix 6: lbhad is
// killed with SIGKILL (its VIP and IPVS table stay behind, as after a
// crash), then started again as systemd would. The new process adopts
// the table it finds: not a single IPVS write, and the table never
// changes, from the kill until the restarted daemon has been master
// and its checks have run for a while.
func TestE2ECrashRestartAdopts(t *testing.T) {
	l := newE2ELab(t, false)
	lb1 := l.lbs[0]
	l.startMaster(t, lb1)
	save := func() string {
		t.Helper()
		out, err := ipvstest.Ipvsadm(lb1.ns, "-Sn")
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	before := save()
	if !strings.Contains(before, "-A -t 192.0.2.50:80") {
		t.Fatalf("no owned service in the table before the crash:\n%s", before)
	}

	lb1.kill() // SIGKILL: nothing is cleaned up
	if got := save(); got != before {
		t.Fatalf("the table changed with the kill itself:\n%s\nwant\n%s", got, before)
	}
	restart := time.Now()
	lb1.start(t, l.bin)
	lb1.waitLog(t, `^lbhad is running`, restart, 30*time.Second)
	// Watch the table while the restarted daemon settles: its checks
	// run (rise), it becomes master again, a resync may run.
	deadline := time.Now().Add(8 * time.Second)
	for time.Now().Before(deadline) {
		if got := save(); got != before {
			t.Fatalf("the restarted lbhad changed the table:\n%s\nwant\n%s", got, before)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, ln := range lb1.lines() {
		if ln.Msg == "ipvs table updated" {
			t.Errorf("the restarted lbhad wrote to IPVS: %s", ln.Raw)
		}
	}
	l.result("kill -9 and restart: table adopted, 0 writes, unchanged for 8 s after the restart")
}
