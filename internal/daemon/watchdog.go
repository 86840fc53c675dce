package daemon

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
)

// Loops holds the heartbeats of the loops the systemd watchdog stands
// for: VRRP, checker, IPVS. A WATCHDOG=1 ping is a claim that they all
// work, so it is sent only while each made progress within its period.
type Loops struct {
	now  func() time.Time
	mu   sync.Mutex
	list []*Loop
}

func newLoops(now func() time.Time) *Loops { return &Loops{now: now} }

// Loop is one watched loop's heartbeat.
type Loop struct {
	name string
	now  func() time.Time
	last atomic.Int64 // UnixNano of the last progress
	// period is how long the loop may go without progress under cfg
	// when the watchdog looks every iv; 0: it is not expected to run.
	period func(cfg *config.Config, iv time.Duration) time.Duration
	// probe, when set, asks the loop to show it is alive (a loop with
	// nothing to do must still tick); it runs on its own goroutine,
	// one at a time, so a wedged loop cannot wedge the watchdog.
	probe   func()
	probing atomic.Bool
}

// Add registers a loop named like its component, so a component that is
// degraded (not running) is not expected to make progress. l may be nil
// (no watchdog): the Loop still works and nobody looks at it.
func (l *Loops) Add(name string, period func(*config.Config, time.Duration) time.Duration) *Loop {
	now := clock.Real().Now
	if l != nil {
		now = l.now
	}
	lp := &Loop{name: name, now: now, period: period}
	lp.Beat()
	if l != nil {
		l.mu.Lock()
		l.list = append(l.list, lp)
		l.mu.Unlock()
	}
	return lp
}

// Beat records progress now. It is one atomic store, cheap enough for a
// hot loop.
func (p *Loop) Beat() { p.last.Store(p.now().UnixNano()) }

// SetProbe sets what asks an idle loop to tick; call it before Run
// starts the watchdog.
func (p *Loop) SetProbe(f func()) { p.probe = f }

func (p *Loop) lastBeat() time.Time { return time.Unix(0, p.last.Load()) }

func (p *Loop) runProbe() {
	if p.probe == nil || !p.probing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer p.probing.Store(false)
		p.probe()
	}()
}

func (l *Loops) all() []*Loop {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.list)
}

// loopState is one loop as the watchdog judges it.
type loopState struct {
	name   string
	last   time.Time     // last progress
	since  time.Time     // when it became expected to run
	period time.Duration // 0: not expected
}

// staleLoops returns the names of the loops that made no progress within
// their period at now, counting from when each became expected.
func staleLoops(now time.Time, loops []loopState) []string {
	var out []string
	for _, l := range loops {
		if l.period <= 0 {
			continue
		}
		from := l.last
		if l.since.After(from) {
			from = l.since
		}
		if now.Sub(from) > l.period {
			out = append(out, l.name)
		}
	}
	return out
}

// watchdog pings the service manager from its own goroutine, never
// from the loop that runs reloads.
type watchdog struct {
	n      ServiceManager
	log    *zap.Logger
	loops  *Loops
	clock  clock.Clock // nil: clock.Real()
	iv     time.Duration
	expect func(l *Loop, iv time.Duration) time.Duration
	// status is the daemon's own STATUS= line, restored when every
	// loop moves again; nil restores nothing.
	status func() string

	since map[string]time.Time
	stale []string // the previous step's verdict, to report changes once
}

// step judges the loops once and pings if all made progress. It
// returns the stale loops (none: pinged).
func (w *watchdog) step() []string {
	now := clock.OrReal(w.clock).Now()
	if w.since == nil {
		w.since = map[string]time.Time{}
	}
	var st []loopState
	for _, l := range w.loops.all() {
		p := w.expect(l, w.iv)
		if p <= 0 {
			delete(w.since, l.name)
			continue
		}
		if _, ok := w.since[l.name]; !ok {
			w.since[l.name] = now
		}
		l.runProbe()
		st = append(st, loopState{name: l.name, last: l.lastBeat(), since: w.since[l.name], period: p})
	}
	stale := staleLoops(now, st)
	if len(stale) == 0 {
		w.n.Notify("WATCHDOG=1")
	}
	if !slices.Equal(stale, w.stale) {
		if len(stale) > 0 {
			msg := "watchdog withheld: no progress in " + strings.Join(stale, ", ")
			w.log.Error(msg, zap.Strings("loops", stale))
			w.n.Notify("STATUS=" + msg)
		} else {
			w.log.Info("watchdog: every loop makes progress again")
			if w.status != nil {
				w.n.Notify("STATUS=" + w.status())
			}
		}
		w.stale = stale
	}
	return stale
}

func (w *watchdog) run(ctx context.Context, iv time.Duration) {
	w.iv = iv
	// A timer re-armed after each step, not a ticker: the Clock has no
	// ticker, and a step that overran is not followed by a burst.
	t := clock.OrReal(w.clock).NewTimer(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			w.step()
			t.Reset(iv)
		}
	}
}

// expectedLoops is the period of l under the running config, 0 when its
// component is not expected to run (no work configured, or degraded).
func (d *daemon) expectedLoops(l *Loop, iv time.Duration) time.Duration {
	d.mu.Lock()
	cfg, degraded := d.cfg, d.degraded
	d.mu.Unlock()
	if cfg == nil || l.period == nil {
		return 0
	}
	for _, p := range degraded {
		if p.Component == l.name {
			return 0
		}
	}
	return l.period(cfg, iv)
}
