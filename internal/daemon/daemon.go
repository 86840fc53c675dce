package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/internal/metrics"
)

// Component is a running part of the daemon that follows the config:
// VRRP routers, the check engine, the IPVS reconciler, notifiers.
type Component interface {
	Name() string
	// Check returns why cfg cannot be applied, changing nothing. Run
	// applies a config only after every component's Check passed, so
	// one rejection rejects the whole start or reload and the running
	// config stays. It must not block on the network.
	Check(cfg *config.Config) error
	// Apply starts the component on its first call and moves it to cfg
	// on later calls (reload). It must change only what differs.
	Apply(ctx context.Context, cfg *config.Config) error
	// Stop ends the component within ctx's deadline.
	Stop(ctx context.Context) error
}

// Env is what component constructors get from Run.
type Env struct {
	Log     *zap.Logger
	Metrics *metrics.Metrics
	// Loops is where components register the loops the watchdog
	// watches; nil when nothing is watched.
	Loops *Loops
	// StatusChanged asks the daemon to recompute its STATUS= line (a
	// VRRP instance started or began to wait); it never blocks. Nil in
	// tests that build components by hand.
	StatusChanged func()
}

// Options configure Run.
type Options struct {
	ConfigPath  string
	Logger      *zap.Logger
	Reload      <-chan struct{} // each receive re-reads the config
	StopTimeout time.Duration   // default 10s
	// Ports are the machine the daemon runs on; the zero value is the
	// real one. Tests pass fakes and get the production wiring.
	Ports Ports
	// Built, when set, sees the parts after they are built and before
	// any starts, so a test can look at them while the daemon runs.
	Built func(*Parts)
	// Components, when set, replaces the parts with the given ones (tests
	// of Run's own start, reload and stop protocol with fakes); the
	// named parts are then absent.
	Components func(env Env) []Component
	// Host is asked about the users and files the config names; nil
	// is the real machine (config.OSHost).
	Host config.Host
}

// ConfigError is returned by Run when the config cannot be used at
// start. It carries the diagnostics and sources so the caller can print
// them with snippets.
type ConfigError struct {
	Files map[string]*hcl.File
	Diags hcl.Diagnostics
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid config: %s", e.Diags.Error())
}

// daemon is the running state Run owns; the control socket and the
// metrics read it through Snapshot.
type daemon struct {
	log     *zap.Logger
	clock   clock.Clock // Ports.Clock: start and reload stamps, the STATUS= refresh
	n       ServiceManager
	path    string
	metrics *metrics.Metrics

	host  config.Host
	loops *Loops

	mu         sync.Mutex
	cfg        *config.Config
	startedAt  time.Time
	lastReload *control.ReloadStatus
	degraded   []control.Problem // Apply errors of the running config
	status     string            // the last STATUS= line, for the watchdog to restore
	statusKick chan struct{}     // asks Run's loop to recompute STATUS=
	parts      *Parts            // never nil; fields nil when Options.Components replaced them
	comps      []Component       // what runs, in start order
	ctl        *control.Server
}

// RejectedError is returned by Run when a component refuses the first
// config: nothing was started.
type RejectedError struct {
	Component string
	Err       error
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("%s rejects the config: %v", e.Component, e.Err)
}

func (e *RejectedError) Unwrap() error { return e.Err }

// checkAll asks every component about cfg and returns the first
// rejection, naming the component.
func checkAll(comps []Component, cfg *config.Config) *RejectedError {
	for _, c := range comps {
		if err := c.Check(cfg); err != nil {
			return &RejectedError{Component: c.Name(), Err: err}
		}
	}
	return nil
}

// applyAll hands cfg to every component; the errors are what does not
// run as configured (say, no IPVS in the kernel), and the daemon goes on
// with the rest: VRRP keeps the VIPs alive regardless.
func applyAll(ctx context.Context, log *zap.Logger, comps []Component, cfg *config.Config) []control.Problem {
	var out []control.Problem
	for _, c := range comps {
		if err := c.Apply(ctx, cfg); err != nil {
			log.Error("component does not run as configured", zap.String("component", c.Name()), zap.Error(err))
			out = append(out, control.Problem{Component: c.Name(), Error: err.Error()})
		}
	}
	return out
}

// Run loads the config, runs the components until ctx is done, reloads
// on every receive from opts.Reload, and stops them in reverse order.
// It returns a *ConfigError when the first config is invalid and a
// *RejectedError when a component refuses it; nothing is started then.
func Run(ctx context.Context, opts Options) error {
	ports := opts.Ports.withDefaults()
	d := &daemon{log: opts.Logger, n: ports.ServiceManager, path: opts.ConfigPath, clock: ports.Clock, host: opts.Host}
	d.startedAt = d.clock.Now()
	if d.host == nil {
		d.host = config.OSHost{}
	}
	if d.log == nil {
		d.log = zap.NewNop()
	}
	stopTimeout := opts.StopTimeout
	if stopTimeout <= 0 {
		stopTimeout = 10 * time.Second
	}
	log := d.log

	cfg, files, diags := config.LoadFileWith(d.path, config.Options{Host: d.host})
	if diags.HasErrors() {
		return &ConfigError{Files: files, Diags: diags}
	}
	logWarnings(log, diags)
	logSummary(log, d.path, cfg)

	d.metrics = metrics.New(d)
	now := ports.Clock
	d.loops = newLoops(now.Now)
	d.statusKick = make(chan struct{}, 1)
	env := Env{Log: log, Metrics: d.metrics, Loops: d.loops, StatusChanged: d.statusChanged}
	parts := &Parts{}
	var comps []Component
	if opts.Components != nil {
		comps = opts.Components(env)
	} else {
		parts = build(env, ports)
		comps = parts.List()
	}
	if opts.Built != nil {
		opts.Built(parts)
	}
	// Two phases: every part checks the config before any starts, so a
	// config one part refuses starts nothing.
	if rej := checkAll(comps, cfg); rej != nil {
		return rej
	}
	d.metrics.ObserveReload(true, d.startedAt)
	d.mu.Lock()
	d.cfg, d.parts, d.comps = cfg, parts, comps
	d.mu.Unlock()
	degraded := applyAll(ctx, log, comps, cfg)
	d.mu.Lock()
	d.degraded = degraded
	d.mu.Unlock()
	d.listenControl(ctx, cfg.Global.ControlSocket)
	defer d.closeControl()
	if addr := cfg.Global.MetricsListen; addr != "" {
		go d.serveMetrics(ctx, addr)
	}
	if n := parts.Notify; n != nil {
		n.Started()
	}
	d.n.Notify("READY=1")
	line := d.statusLine()
	d.setStatus(line)
	if strings.HasPrefix(line, "degraded") {
		log.Warn("lbhad is running degraded", zap.String("config", d.path), zap.String("status", line))
	} else {
		log.Info("lbhad is running", zap.String("config", d.path))
	}

	// The watchdog has its own goroutine and pings only while the
	// VRRP, checker and IPVS loops make progress; a reload, which runs
	// here, can take its time without being mistaken for a hang.
	if iv := d.n.WatchdogInterval(); iv > 0 {
		wd := &watchdog{n: d.n, log: log, loops: d.loops, clock: now, expect: d.expectedLoops, status: d.lastStatus}
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go wd.run(wctx, iv)
	}

	// STATUS= follows instances that start or begin to wait; the
	// ticker catches what no state change announces (an instance that
	// waits from its first moment).
	refresh := d.clock.NewTimer(statusRefresh)
	defer refresh.Stop()
	// settle releases memory once the daemon has been quiet for
	// settleQuiet after its start, a reload or a state change: the
	// first elections, VIP adds and announcements come seconds after
	// the start and leave garbage and code pages behind, as a reload
	// does (memory.go).
	settle := d.clock.NewTimer(settleQuiet)
	defer settle.Stop()
	for {
		select {
		case <-ctx.Done():
			return d.stop(stopTimeout)
		case <-opts.Reload:
			d.reload(ctx)
			settle.Reset(settleQuiet)
		case <-d.statusKick:
			d.refreshStatus()
			settle.Reset(settleQuiet)
		case <-refresh.C():
			refresh.Reset(statusRefresh)
			d.refreshStatus()
		case <-settle.C():
			ports.ReleaseMemory()
		}
	}
}

func (d *daemon) stop(timeout time.Duration) error {
	d.n.Notify("STOPPING=1")
	d.log.Info("stopping")
	d.closeControl()
	if n := d.parts.Notify; n != nil {
		n.Stopping()
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	for i := len(d.comps) - 1; i >= 0; i-- {
		if err := d.comps[i].Stop(stopCtx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", d.comps[i].Name(), err))
		}
	}
	d.log.Info("stopped")
	return errors.Join(errs...)
}

// reload re-reads the config and hands it to the components. An invalid
// file, or one any component's Check refuses, changes nothing: the old
// config keeps running, every problem is logged (with its position),
// and STATUS=, status and the metrics say the reload failed and why.
func (d *daemon) reload(ctx context.Context) {
	log := d.log
	d.n.Notify("RELOADING=1")
	defer d.n.Notify("READY=1")
	log.Info("reloading", zap.String("config", d.path))
	cfg, _, diags := config.LoadFileWith(d.path, config.Options{Host: d.host})
	now := d.clock.Now()
	if diags.HasErrors() {
		for _, dg := range diags {
			log.Error("config problem", zap.String("where", diagPos(dg)), zap.String("problem", dg.Summary), zap.String("detail", dg.Detail))
		}
		msg := fmt.Sprintf("reload failed (%d problems), still running the previous config", countErrors(diags))
		log.Error(msg)
		d.setStatus(msg)
		d.mu.Lock()
		d.lastReload = &control.ReloadStatus{At: now, OK: false, Error: firstError(diags)}
		d.mu.Unlock()
		d.metrics.ObserveReloadFailure("config")
		return
	}
	logWarnings(log, diags)
	if rej := checkAll(d.comps, cfg); rej != nil {
		msg := fmt.Sprintf("reload failed (%s), still running the previous config", rej.Error())
		log.Error("reload failed, still running the previous config", zap.String("component", rej.Component), zap.Error(rej.Err))
		d.setStatus(msg)
		d.mu.Lock()
		d.lastReload = &control.ReloadStatus{At: now, OK: false, Component: rej.Component, Error: rej.Err.Error()}
		d.mu.Unlock()
		d.metrics.ObserveReloadFailure(rej.Component)
		return
	}
	degraded := applyAll(ctx, log, d.comps, cfg)
	d.mu.Lock()
	old := d.cfg
	d.cfg = cfg
	d.degraded = degraded
	d.lastReload = &control.ReloadStatus{At: now, OK: true}
	d.mu.Unlock()
	if old.Global.ControlSocket != cfg.Global.ControlSocket {
		d.closeControl()
		d.listenControl(ctx, cfg.Global.ControlSocket)
	}
	if old.Global.MetricsListen != cfg.Global.MetricsListen {
		log.Warn("metrics_listen changed; restart lbhad to move the metrics listener")
	}
	d.metrics.ObserveReload(true, now)
	if n := d.parts.Notify; n != nil {
		n.Reloaded()
	}
	log.Info("reloaded", zap.String("config", d.path))
	d.setStatus(d.statusLine())
}

// statusRefresh is how often STATUS= is recomputed without a kick.
const statusRefresh = 5 * time.Second

// settleQuiet is how long the daemon waits without a state change
// before it releases memory: past keepalived's default second GARP
// burst (garp_master_delay, 5 s) after a transition, so a new master's
// announcements are done; at most one release per settleQuiet.
const settleQuiet = 10 * time.Second

func (d *daemon) statusChanged() {
	select {
	case d.statusKick <- struct{}{}:
	default:
	}
}

// statusLine is the STATUS= text for the running config, its degraded
// parts and the VRRP instances waiting now.
func (d *daemon) statusLine() string {
	d.mu.Lock()
	cfg, degraded, vc := d.cfg, d.degraded, d.parts.VRRP
	d.mu.Unlock()
	var vs vrrpSummary
	if vc != nil {
		vs.known, vs.instances, vs.waiting = vc.Waiting()
		if vs.instances == 0 && len(cfg.Instances) > 0 && len(degraded) == 0 && vc.Running() {
			// The router lists its instances once its loop has
			// opened them; until then nothing is known to run.
			return "starting: " + statusCounts(cfg)
		}
	}
	return statusLine(cfg, degraded, vs)
}

// refreshStatus re-sends STATUS= when it changed, except while it
// reports a failed reload: that message stays until the next reload.
func (d *daemon) refreshStatus() {
	d.mu.Lock()
	failed := d.lastReload != nil && !d.lastReload.OK
	cur := d.status
	d.mu.Unlock()
	if failed {
		return
	}
	if line := d.statusLine(); line != cur {
		d.setStatus(line)
	}
}

func firstError(diags hcl.Diagnostics) string {
	for _, dg := range diags {
		if dg.Severity == hcl.DiagError {
			if p := diagPos(dg); p != "" {
				return p + ": " + dg.Summary
			}
			return dg.Summary
		}
	}
	return ""
}

func countErrors(diags hcl.Diagnostics) int {
	n := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	return n
}

func logWarnings(log *zap.Logger, diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning {
			log.Warn("config warning", zap.String("where", diagPos(d)), zap.String("problem", d.Summary), zap.String("detail", d.Detail))
		}
	}
}

// diagPos renders a diagnostic's position as file:line:col.
func diagPos(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
}

// setStatus sends STATUS= and remembers it.
func (d *daemon) setStatus(msg string) {
	d.mu.Lock()
	d.status = msg
	d.mu.Unlock()
	d.n.Notify("STATUS=" + msg)
}

func (d *daemon) lastStatus() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status
}
