//go:build ipvsguest && linux

package ipvsguest

import (
	"testing"
	"time"
)

// e2eSwapRuns is how many times TestE2ESorrySwap* swap the sorry server
// out: a request lost in "some runs" needs many runs to show it is gone.
const e2eSwapRuns = 5

// TestE2ESorrySwapDR and TestE2ESorrySwapNAT repeat step 4 of the
// director pair alone, on one director under the same request stream:
// every real server stops (the sorry server takes the traffic), then they
// all start again. No request that starts after they start may fail: the
// sorry server leaves the table only after it has sat at weight 0 for
// ipvssync.QuiesceGrace, so every connection the scheduler gave it before
// the weight went to 0 is seen (counted active) and holds the drain.
//
// Each run also reports the failures of a steady window of the same
// length before the swap: a loaded TCG guest fails requests on its own,
// which tells those apart from failures the swap causes.
func TestE2ESorrySwapDR(t *testing.T)  { runSorrySwap(t, false) }
func TestE2ESorrySwapNAT(t *testing.T) { runSorrySwap(t, true) }

func runSorrySwap(t *testing.T, nat bool) {
	l := newE2ELab(t, nat)
	lb1 := l.lbs[0]
	h := l.startMaster(t, lb1)
	l.startLoad()
	l.waitSteady("initial traffic", time.Now(), 20*time.Second, false)

	failed := 0
	for run := 1; run <= e2eSwapRuns; run++ {
		s0 := time.Now()
		time.Sleep(3 * time.Second)
		l.result("swap %d/%d: steady control window before it: %v", run, e2eSwapRuns, l.window(s0, time.Now()))
		t0 := time.Now()
		for _, s := range l.rs {
			s.stop(t)
		}
		l.waitSteady("sorry server answering", t0, 30*time.Second, true)
		t1 := time.Now()
		for _, s := range l.rs {
			s.start(t)
		}
		tb := l.waitSteady("real servers back", t1, 30*time.Second, false)
		// The sorry server leaves after the grace and a re-look (about
		// 2 s); wait for it so the window covers its delete.
		left := l.waitDests("sorry server leaves the table", h, 15*time.Second, allThree)
		time.Sleep(time.Second)
		w := l.window(t1, time.Now())
		l.result("swap %d/%d: real servers steady after %v, sorry server out of the table after %v; %v",
			run, e2eSwapRuns, tb.Sub(t1).Round(time.Millisecond), left.Sub(t1).Round(time.Millisecond), w)
		if w.Failed != 0 {
			t.Errorf("swap %d: %d requests failed while the real servers replaced the sorry server: %v", run, w.Failed, w)
		}
		failed += w.Failed
		if late := l.window(tb, time.Now()); late.Servers["sorry"] != 0 {
			t.Errorf("swap %d: the sorry server still answered after the real servers returned: %v", run, late)
		}
	}
	l.result("sorry-server swaps: %d runs, %d failed requests in all", e2eSwapRuns, failed)
}
