package daemon

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/ipvssync"
)

// Between resyncs a check verdict costs a read of its service only, and
// the periodic resync is timed from the last full read, not pushed back
// by the incremental syncs in between.
func TestIPVSIncrementalBetweenResyncs(t *testing.T) {
	k := ipvssync.NewFakeKernel()
	clk := clock.NewFake(time.Unix(1000, 0))
	c := newIPVSComponent(zaptest.NewLogger(t), func() (ipvssync.Handle, error) { return fakeHandle{k}, nil }, clk, ipvsLinks{})
	c.retryMin, c.retryMax, c.callTimeout = 20*time.Millisecond, 200*time.Millisecond, 5*time.Second
	t.Cleanup(func() { c.Stop(context.Background()) })
	t0 := clk.Now()
	if err := c.Apply(context.Background(), ipvsTestConfig(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if !wantTable(k) {
		t.Fatal("first sync did not make the table")
	}
	before, w := k.Reads(), k.Writes()

	clk.Advance(10 * time.Second)
	c.RealServerEvent(ipvssync.RealKey{Service: webKey, Dest: destA}, checker.Event{Up: false})
	eventually(t, "the failed real server out", 5*time.Second, func() bool { return k.Writes() == w+1 })
	if r := k.Reads().Sub(before); r.Dumps != 0 || r.Gets > 1 || r.DestDumps > 1 {
		t.Errorf("a verdict read %+v; want at most its one service, no table dump", r)
	}
	if wake, why := c.nextWake(); !wake.Equal(t0.Add(30*time.Second)) || why != "resync" {
		t.Errorf("next wake %v (%s), want the resync 30 s after the full read at %v", wake, why, t0)
	}

	clk.Advance(20 * time.Second)
	eventually(t, "the periodic resync's full read", 5*time.Second, func() bool { return k.Reads().Dumps > before.Dumps })

	// A reload reads the whole table even when nothing in it changed,
	// and the next resync is timed from it.
	dumps := k.Reads().Dumps
	clk.Advance(5 * time.Second)
	t1 := clk.Now()
	if err := c.Apply(context.Background(), ipvsTestConfig(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if d := k.Reads().Dumps - dumps; d != 1 {
		t.Errorf("a reload made %d table dumps, want 1", d)
	}
	if wake, why := c.nextWake(); !wake.Equal(t1.Add(30*time.Second)) || why != "resync" {
		t.Errorf("after the reload next wake %v (%s), want %v", wake, why, t1.Add(30*time.Second))
	}
}
