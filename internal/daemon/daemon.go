package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/internal/metrics"
)

// Component is a running part of the daemon that follows the config:
// VRRP routers, the check engine, the IPVS reconciler, notifiers.
type Component interface {
	Name() string
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
}

// Options configure Run.
type Options struct {
	ConfigPath  string
	Logger      *zap.Logger
	Notifier    Notifier        // nil: no service manager
	Reload      <-chan struct{} // each receive re-reads the config
	StopTimeout time.Duration   // default 10s
	// Components builds the parts to run; nil runs the default set.
	Components func(env Env) []Component
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
	n       Notifier
	path    string
	metrics *metrics.Metrics

	mu         sync.Mutex
	cfg        *config.Config
	startedAt  time.Time
	lastReload *control.ReloadStatus
	comps      []Component
	ctl        *control.Server
}

// Run loads the config, runs the components until ctx is done, reloads
// on every receive from opts.Reload, and stops them in reverse order.
// It returns a *ConfigError when the first config is invalid.
func Run(ctx context.Context, opts Options) error {
	d := &daemon{log: opts.Logger, n: opts.Notifier, path: opts.ConfigPath, startedAt: time.Now()}
	if d.log == nil {
		d.log = zap.NewNop()
	}
	if d.n == nil {
		d.n = nopNotifier{}
	}
	stopTimeout := opts.StopTimeout
	if stopTimeout <= 0 {
		stopTimeout = 10 * time.Second
	}
	log := d.log

	cfg, files, diags := config.LoadFile(d.path)
	if diags.HasErrors() {
		return &ConfigError{Files: files, Diags: diags}
	}
	logWarnings(log, diags)
	logSummary(log, d.path, cfg)

	d.metrics = metrics.New(d)
	d.metrics.ObserveReload(true, d.startedAt)
	build := opts.Components
	if build == nil {
		build = defaultComponents
	}
	comps := build(Env{Log: log, Metrics: d.metrics})
	d.mu.Lock()
	d.cfg, d.comps = cfg, comps
	d.mu.Unlock()
	for _, c := range comps {
		if err := c.Apply(ctx, cfg); err != nil {
			// A broken part (say, no IPVS in the kernel) must not take
			// the others down: VRRP keeps the VIPs alive regardless.
			log.Error("component failed to start", zap.String("component", c.Name()), zap.Error(err))
		}
	}
	d.listenControl(ctx, cfg.Global.ControlSocket)
	defer d.closeControl()
	if addr := cfg.Global.MetricsListen; addr != "" {
		go d.serveMetrics(ctx, addr)
	}
	hooks(comps, lifecycleHook.Started)
	d.n.Notify("READY=1")
	d.n.Notify("STATUS=" + statusLine(cfg))
	log.Info("lbhad is running", zap.String("config", d.path))

	var watchdog <-chan time.Time
	if iv := d.n.WatchdogInterval(); iv > 0 {
		t := time.NewTicker(iv)
		defer t.Stop()
		watchdog = t.C
	}

	for {
		select {
		case <-ctx.Done():
			return d.stop(stopTimeout)
		case <-opts.Reload:
			d.reload(ctx)
		case <-watchdog:
			// Pinged from the main loop on purpose: if this loop
			// wedges, systemd sees the silence and restarts us.
			d.n.Notify("WATCHDOG=1")
		}
	}
}

func (d *daemon) stop(timeout time.Duration) error {
	d.n.Notify("STOPPING=1")
	d.log.Info("stopping")
	d.closeControl()
	hooks(d.comps, lifecycleHook.Stopping)
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
// file changes nothing: the old config keeps running and every problem
// is logged with its position.
func (d *daemon) reload(ctx context.Context) {
	log := d.log
	d.n.Notify("RELOADING=1")
	defer d.n.Notify("READY=1")
	log.Info("reloading", zap.String("config", d.path))
	cfg, _, diags := config.LoadFile(d.path)
	now := time.Now()
	if diags.HasErrors() {
		for _, dg := range diags {
			log.Error("config problem", zap.String("where", diagPos(dg)), zap.String("problem", dg.Summary), zap.String("detail", dg.Detail))
		}
		msg := fmt.Sprintf("reload failed (%d problems), still running the previous config", countErrors(diags))
		log.Error(msg)
		d.n.Notify("STATUS=" + msg)
		d.mu.Lock()
		d.lastReload = &control.ReloadStatus{At: now, OK: false, Error: firstError(diags)}
		d.mu.Unlock()
		d.metrics.ObserveReload(false, now)
		return
	}
	logWarnings(log, diags)
	for _, c := range d.comps {
		if err := c.Apply(ctx, cfg); err != nil {
			log.Error("component failed to apply the new config", zap.String("component", c.Name()), zap.Error(err))
		}
	}
	d.mu.Lock()
	old := d.cfg
	d.cfg = cfg
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
	hooks(d.comps, lifecycleHook.Reloaded)
	log.Info("reloaded", zap.String("config", d.path))
	d.n.Notify("STATUS=" + statusLine(cfg))
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

// lifecycleHook is implemented by components that want to hear about the
// daemon's own life (the notifier announces start, reload and stop).
type lifecycleHook interface {
	Started()
	Reloaded()
	Stopping()
}

func hooks(comps []Component, call func(lifecycleHook)) {
	for _, c := range comps {
		if h, ok := c.(lifecycleHook); ok {
			call(h)
		}
	}
}
