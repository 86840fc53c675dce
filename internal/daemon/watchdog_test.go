package daemon

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
)

// countNotes is a ServiceManager that keeps every state.
type countNotes struct {
	mu    sync.Mutex
	notes []string
	iv    time.Duration
}

func (n *countNotes) Notify(s string) {
	n.mu.Lock()
	n.notes = append(n.notes, s)
	n.mu.Unlock()
}
func (n *countNotes) WatchdogInterval() time.Duration { return n.iv }
func (n *countNotes) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.notes
	n.notes = nil
	return out
}
func (n *countNotes) count(s string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, x := range n.notes {
		if x == s {
			c++
		}
	}
	return c
}

// The watchdog pings only while every expected loop made progress within
// its period, says once which loop stalled, and pings again when it
// moves. A loop that is not expected (no work, or degraded) does not
// hold the ping back, and one that becomes expected gets a full period.
func TestWatchdogStep(t *testing.T) {
	clk := clock.NewFake(time.Unix(1000, 0))
	loops := newLoops(clk.Now)
	fixed := func(d time.Duration) func(*config.Config, time.Duration) time.Duration {
		return func(*config.Config, time.Duration) time.Duration { return d }
	}
	vr := loops.Add("vrrp", fixed(3*time.Second))
	loops.Add("ipvs", fixed(10*time.Second))
	ipExpected := false
	n := &countNotes{}
	w := &watchdog{n: n, log: zap.NewNop(), loops: loops, clock: clk, iv: time.Second,
		expect: func(l *Loop, iv time.Duration) time.Duration {
			if l.name == "ipvs" && !ipExpected {
				return 0
			}
			return l.period(nil, iv)
		},
		status: func() string { return "running: 1 VRRP instance; 0 virtual servers" }}

	steps := []struct {
		name    string
		advance time.Duration
		beat    []*Loop
		setIP   bool
		want    []string // notes of this step
	}{
		{"fresh loops", time.Second, nil, false, []string{"WATCHDOG=1"}},
		{"within the period", 2 * time.Second, nil, false, []string{"WATCHDOG=1"}},
		{"vrrp silent past its period", 2 * time.Second, nil, false, []string{"STATUS=watchdog withheld: no progress in vrrp"}},
		{"still silent: said once", time.Second, nil, false, nil},
		{"vrrp moves again", time.Second, []*Loop{vr}, false, []string{"WATCHDOG=1", "STATUS=running: 1 VRRP instance; 0 virtual servers"}},
		{"ipvs expected late gets a full period", 2 * time.Second, []*Loop{vr}, true, []string{"WATCHDOG=1"}},
		{"ipvs within its period", 8 * time.Second, []*Loop{vr}, true, []string{"WATCHDOG=1"}},
		{"ipvs past its period", 3 * time.Second, []*Loop{vr}, true, []string{"STATUS=watchdog withheld: no progress in ipvs"}},
		{"ipvs no longer expected", time.Second, []*Loop{vr}, false, []string{"WATCHDOG=1", "STATUS=running: 1 VRRP instance; 0 virtual servers"}},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		for _, l := range st.beat {
			l.Beat()
		}
		ipExpected = st.setIP
		w.step()
		if diff := cmp.Diff(st.want, n.take()); diff != "" {
			t.Errorf("%s: notes (-want +got):\n%s", st.name, diff)
		}
	}
}

// A probe runs once per look while its loop is expected, never two at
// a time: a probe stuck on a wedged loop does not pile up goroutines.
func TestWatchdogProbeOneAtATime(t *testing.T) {
	clk := clock.NewFake(time.Unix(1000, 0))
	loops := newLoops(clk.Now)
	l := loops.Add("vrrp", func(*config.Config, time.Duration) time.Duration { return time.Minute })
	var started atomic.Int32
	release := make(chan struct{})
	l.SetProbe(func() {
		started.Add(1)
		<-release
	})
	w := &watchdog{n: &countNotes{}, log: zap.NewNop(), loops: loops, clock: clk, iv: time.Second,
		expect: func(l *Loop, iv time.Duration) time.Duration { return l.period(nil, iv) }}
	w.step()
	if !wdWaitFor(5*time.Second, func() bool { return started.Load() == 1 }) {
		t.Fatal("the probe did not run")
	}
	for range 4 {
		w.step()
	}
	time.Sleep(20 * time.Millisecond) // a second probe would have started by now
	if n := started.Load(); n != 1 {
		t.Errorf("%d probes started while the first was stuck, want 1", n)
	}
	close(release)
}

// blockingComp blocks in its second Apply (the reload) until released.
type blockingComp struct {
	calls   atomic.Int32
	release chan struct{}
	entered chan struct{}
}

func (b *blockingComp) Name() string               { return "slow" }
func (b *blockingComp) Check(*config.Config) error { return nil }
func (b *blockingComp) Stop(context.Context) error { return nil }
func (b *blockingComp) Apply(context.Context, *config.Config) error {
	if b.calls.Add(1) == 2 {
		close(b.entered)
		<-b.release
	}
	return nil
}

// A reload that takes long does not stop the watchdog: the ping comes
// from its own goroutine, not from the loop that runs reloads.
func TestWatchdogOutsideReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lbhad.hcl")
	writeFile(t, path, goodConf)
	n := &countNotes{iv: 5 * time.Millisecond}
	slow := &blockingComp{release: make(chan struct{}), entered: make(chan struct{})}
	reload := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{ConfigPath: path, Ports: Ports{ServiceManager: n}, Reload: reload,
			Components: func(Env) []Component { return []Component{slow} }})
	}()
	reload <- struct{}{}
	<-slow.entered
	before := n.count("WATCHDOG=1")
	if !wdWaitFor(2*time.Second, func() bool { return n.count("WATCHDOG=1") >= before+3 }) {
		t.Errorf("no watchdog pings while a reload ran (%d before, %d after)", before, n.count("WATCHDOG=1"))
	}
	close(slow.release)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if notes := strings.Join(n.take(), "\n"); !strings.Contains(notes, "STATUS=running") {
		t.Errorf("notes lack STATUS=running:\n%s", notes)
	}
}

func wdWaitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return cond()
}
