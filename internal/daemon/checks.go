package daemon

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/internal/script"
	"github.com/lbhad/lbhad/notify"
)

// checksComponent runs two check engines, one for the vrrp_scripts and
// one for the real server checks, so a mass hang of backends that fills
// the real checks' pool cannot delay the scripts that move VRRP
// priorities; it routes each verdict to its consumer.
type checksComponent struct {
	log      *zap.Logger
	base     *zap.Logger // for the engine, which names its own component
	onScript func(name string, ok bool)
	onReal   func(ref realRef, ev checker.Event)
	observe  func(kind string, ok bool, latency time.Duration) // metrics; nil in tests
	newCheck func(checker.Spec) (checker.Checker, error)       // nil: checker.New
	clock    clock.Clock                                       // the engine's scheduler

	mu      sync.Mutex
	scripts *engineRun // vrrp_scripts
	reals   *engineRun // real server checks
	realOf  map[string]realRef
	lastAll map[string]allVerdict // first check ID -> the real server's last announced verdict

	ha haSuspender // ha_suspend: real server checks follow the host's addresses
}

// engineRun is one running engine and how to stop it.
type engineRun struct {
	e      *checker.Engine
	cancel context.CancelFunc
	done   chan struct{}
}

// newChecksComponent routes script verdicts to onScript, real server
// verdicts to onReal and every attempt to observe (each may be nil);
// newCheck makes the checkers, nil being checker.New.
func newChecksComponent(log *zap.Logger, onScript func(string, bool), onReal func(realRef, checker.Event),
	observe func(kind string, ok bool, latency time.Duration), newCheck func(checker.Spec) (checker.Checker, error),
	clk clock.Clock) *checksComponent {
	c := &checksComponent{log: log.With(zap.String("component", "checker")), base: log, clock: clock.OrReal(clk),
		onScript: onScript, onReal: onReal, observe: observe, newCheck: newCheck}
	c.ha.log = c.log
	return c
}

func (c *checksComponent) Name() string { return "checker" }

func (c *checksComponent) Apply(_ context.Context, cfg *config.Config) error {
	script.SetMaxProcs(cfg.Global.MaxScriptProcesses)
	auditScripts(c.log, cfg)
	specs, realOf, err := checkSpecs(cfg)
	if err != nil {
		return err
	}
	var tracks, reals []checker.Spec
	for _, s := range specs {
		if s.Kind == checker.KindScript {
			tracks = append(tracks, s)
		} else {
			reals = append(reals, s)
		}
	}
	c.mu.Lock()
	c.realOf = realOf
	lastAll := map[string]allVerdict{}
	for _, ref := range realOf {
		if v, ok := c.lastAll[ref.ids[0]]; ok {
			lastAll[ref.ids[0]] = v
		}
	}
	c.lastAll = lastAll
	c.scripts = c.ensure(c.scripts, len(tracks))
	c.reals = c.ensure(c.reals, len(reals))
	scripts, realRun := c.scripts, c.reals
	c.mu.Unlock()
	// A bad check is still scheduled and fails visibly; the error is
	// only what to tell the operator. The pools follow the config, so a
	// reload that adds thousands of checks grows them.
	var errs []error
	if scripts != nil {
		scripts.e.SetWorkers(scriptWorkers(tracks))
		errs = append(errs, scripts.e.Set(tracks))
	}
	if realRun != nil {
		realRun.e.SetWorkers(workersFor(reals))
		errs = append(errs, c.ha.apply(realRun.e, haSuspendRules(cfg))) // before Set: see apply
		errs = append(errs, realRun.e.Set(reals))
		c.refold(realRun, realOf)
	}
	return errors.Join(errs...)
}

// refold announces the real servers whose verdict a reload changed
// without an event: a replaced check starts afresh, silently, so a
// server kept down by the check a reload replaced (or removed) would
// otherwise stay down. A server with one check is folded the same way.
func (c *checksComponent) refold(r *engineRun, realOf map[string]realRef) {
	for id, ref := range realOf {
		if id != ref.ids[0] {
			continue
		}
		sts := make([]checker.Status, 0, len(ref.ids))
		for _, cid := range ref.ids {
			if st, ok := r.e.Status(cid); ok {
				sts = append(sts, st)
			}
		}
		if len(sts) != len(ref.ids) {
			continue // refused specs are reported by Set
		}
		c.mu.Lock()
		prev, seen := c.lastAll[id]
		if !seen {
			prev = allVerdict{up: true}
		}
		ev, now, changed := foldEvent(checker.Event{ID: id, Name: ref.rs.Name, Kind: sts[0].Spec.Kind, Target: sts[0].Spec.Target, Time: c.clock.Now()}, sts, prev)
		c.setLastLocked(id, now)
		c.mu.Unlock()
		if changed && c.onReal != nil {
			c.log.Info(ev.String(), zap.String("check", ev.ID), zap.Bool("up", ev.Up), zap.String("reason", ev.Reason))
			c.onReal(ref, ev)
		}
	}
}

// ensure returns r, or a new running engine when r is nil and there are
// n > 0 checks for it; c.mu is held.
func (c *checksComponent) ensure(r *engineRun, n int) *engineRun {
	if r != nil || n == 0 {
		return r
	}
	e := checker.NewEngine(checker.Options{Logger: c.base, Clock: c.clock, NewCheck: c.newCheck, OnEvent: c.event, OnResult: c.result})
	ctx, cancel := context.WithCancel(context.Background())
	r = &engineRun{e: e, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if err := e.Run(ctx); err != nil {
			c.log.Error("check engine stopped", zap.Error(err))
		}
	}()
	return r
}

// scriptWorkers gives every vrrp_script a worker of its own: a script
// never runs concurrently with itself, so none ever waits for the pool.
func scriptWorkers(specs []checker.Spec) int {
	return min(max(len(specs), 1), 4096)
}

// workersFor sizes the pool so that checks which all time out at once
// still run on schedule: each needs timeout/interval of a worker.
func workersFor(specs []checker.Spec) int {
	need := 0.0
	for _, s := range specs {
		t := s.ConnectTimeout
		if s.Misc != nil && s.Misc.Timeout > 0 {
			t = s.Misc.Timeout
		}
		if s.Interval > 0 {
			need += float64(t) / float64(s.Interval)
		}
	}
	return min(max(checker.DefaultWorkers, int(need*1.25)+1), 4096)
}

// auditScripts says at load what the config's scripts will meet: with
// enable_script_security, every script the ownership rule refuses (it
// will never run; script.Run checks again before each exec); without it,
// one warning when scripts would run as root, as keepalived's "SECURITY
// VIOLATION" does.
func auditScripts(log *zap.Logger, cfg *config.Config) {
	refs := notify.ScriptRefs(cfg)
	if !cfg.Global.EnableScriptSecurity {
		var asRoot []string
		for _, r := range refs {
			if os.Geteuid() == 0 && (r.User == "" || r.User == "root") {
				asRoot = append(asRoot, r.Where)
			}
		}
		if len(asRoot) > 0 {
			log.Warn("SECURITY VIOLATION - scripts run as root but enable_script_security is off: anyone who can write a script or a directory above it can run code as root",
				zap.Int("scripts", len(asRoot)), zap.String("first", asRoot[0]))
		}
		return
	}
	creds := map[string]*script.Credential{}
	for _, r := range refs {
		argv, err := script.Split(r.Command)
		if err != nil {
			continue // the checker or notifier reports it
		}
		cred, seen := creds[r.User]
		if !seen && r.User != "" {
			cred, _ = script.LookupUserUnlessSelf(r.User) // unknown: judged as root's
			creds[r.User] = cred
		}
		if _, err := script.Resolve(argv[0], true, cred); errors.Is(err, script.ErrInsecure) {
			log.Error("script refused: it will not run", zap.String("where", r.Where), zap.Error(err))
		}
	}
}

// event runs on the engine's goroutine: it logs and hands off, never
// blocking on network or disk.
func (c *checksComponent) event(ev checker.Event) {
	c.log.Info(ev.String(), zap.String("check", ev.ID), zap.Bool("up", ev.Up), zap.String("reason", ev.Reason),
		zap.Duration("latency", ev.Latency), zap.Int("failures", ev.Failures))
	if name, ok := strings.CutPrefix(ev.ID, "script/"); ok {
		if c.onScript != nil {
			c.onScript(name, ev.Up)
		}
		return
	}
	c.mu.Lock()
	ref, ok := c.realOf[ev.ID]
	reals := c.reals
	c.mu.Unlock()
	if !ok || c.onReal == nil {
		return
	}
	if len(ref.ids) > 1 && reals != nil {
		sts := make([]checker.Status, 0, len(ref.ids))
		for _, id := range ref.ids {
			if st, ok := reals.e.Status(id); ok {
				sts = append(sts, st)
			}
		}
		c.mu.Lock()
		prev, seen := c.lastAll[ref.ids[0]]
		if !seen {
			prev = allVerdict{up: true} // every check starts up, as the real server does
		}
		folded, now, changed := foldEvent(ev, sts, prev)
		c.setLastLocked(ref.ids[0], now)
		c.mu.Unlock()
		if !changed {
			return
		}
		c.log.Info(folded.String(), zap.String("check", folded.ID), zap.Bool("up", folded.Up), zap.String("reason", folded.Reason))
		ev = folded
	} else {
		c.mu.Lock()
		c.setLastLocked(ref.ids[0], allVerdict{up: ev.Up, weight: ev.Weight})
		c.mu.Unlock()
	}
	c.onReal(ref, ev)
}

// setLastLocked records a real server's announced verdict. Up without a
// weight is what every reader assumes of a server with no entry (every
// check starts up, as the real server does), so it is stored as no
// entry: with all servers up the map is empty, where it held one entry
// per real server (0.65 MB at 10,000). c.mu is held.
func (c *checksComponent) setLastLocked(id string, v allVerdict) {
	if v.up && v.weight == nil {
		delete(c.lastAll, id)
		return
	}
	c.lastAll[id] = v
}

// result feeds every attempt to the metrics.
func (c *checksComponent) result(_ string, kind checker.Kind, r checker.Result) {
	if c.observe != nil {
		c.observe(kind.String(), r.OK, r.Latency)
	}
}

// Scripts is every vrrp_script's current state, sorted by ID.
func (c *checksComponent) Scripts() []checker.Status {
	c.mu.Lock()
	r := c.scripts
	c.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.e.Statuses()
}

// RealStatuses returns the lookup a status snapshot uses for each real
// server's checks: the current state of a server's checks, folded by
// combine when it has several (its reason names each failing check);
// false when none of them runs. The snapshot asks for each server in
// turn rather than copying every check's status (1.2 MB at 10,000 real
// servers, alive beside the snapshot's own rows at every scrape); the
// engine is taken once, so one snapshot reads one engine.
func (c *checksComponent) RealStatuses() control.RealStatusFunc {
	c.mu.Lock()
	r := c.reals
	c.mu.Unlock()
	return func(vs *config.VirtualServer, rs *config.RealServer) (checker.Status, bool) {
		if r == nil || len(rs.Checks) == 0 {
			return checker.Status{}, false
		}
		var buf [96]byte
		if len(rs.Checks) == 1 {
			return r.e.StatusOf(appendRealCheckID(buf[:0], vs, rs, 0))
		}
		var sts []checker.Status
		for i := range rs.Checks {
			if st, ok := r.e.StatusOf(appendRealCheckID(buf[:0], vs, rs, i)); ok {
				sts = append(sts, st)
			}
		}
		if len(sts) == 0 {
			return checker.Status{}, false
		}
		return combine(sts), true
	}
}

func (c *checksComponent) Stop(ctx context.Context) error {
	c.ha.close()
	c.mu.Lock()
	runs := []*engineRun{c.scripts, c.reals}
	c.mu.Unlock()
	for _, r := range runs {
		if r != nil {
			r.cancel()
		}
	}
	for _, r := range runs {
		if r == nil {
			continue
		}
		select {
		case <-r.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Check builds every check as the engine would and refuses the config if
// one cannot be built (an unreadable CA file, an unknown user): such a
// check would only ever fail.
func (c *checksComponent) Check(cfg *config.Config) error { return checkChecks(cfg) }
