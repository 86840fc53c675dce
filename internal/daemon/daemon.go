package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
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

// Options configure Run.
type Options struct {
	ConfigPath  string
	Logger      *zap.Logger
	Notifier    Notifier        // nil: no service manager
	Reload      <-chan struct{} // each receive re-reads the config
	StopTimeout time.Duration   // default 10s
	// Components builds the parts to run; nil runs the default set.
	Components func(log *zap.Logger) []Component
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

// Run loads the config, runs the components until ctx is done, reloads
// on every receive from opts.Reload, and stops them in reverse order.
// It returns a *ConfigError when the first config is invalid.
func Run(ctx context.Context, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	n := opts.Notifier
	if n == nil {
		n = nopNotifier{}
	}
	stopTimeout := opts.StopTimeout
	if stopTimeout <= 0 {
		stopTimeout = 10 * time.Second
	}

	cfg, files, diags := config.LoadFile(opts.ConfigPath)
	if diags.HasErrors() {
		return &ConfigError{Files: files, Diags: diags}
	}
	logWarnings(log, diags)
	logSummary(log, opts.ConfigPath, cfg)

	build := opts.Components
	if build == nil {
		build = defaultComponents
	}
	comps := build(log)
	for _, c := range comps {
		if err := c.Apply(ctx, cfg); err != nil {
			// A broken part (say, no IPVS in the kernel) must not take
			// the others down: VRRP keeps the VIPs alive regardless.
			log.Error("component failed to start", zap.String("component", c.Name()), zap.Error(err))
		}
	}
	hooks(comps, lifecycleHook.Started)
	n.Notify("READY=1")
	n.Notify("STATUS=" + statusLine(cfg))
	log.Info("lbhad is running", zap.String("config", opts.ConfigPath))

	var watchdog <-chan time.Time
	if iv := n.WatchdogInterval(); iv > 0 {
		t := time.NewTicker(iv)
		defer t.Stop()
		watchdog = t.C
	}

	for {
		select {
		case <-ctx.Done():
			n.Notify("STOPPING=1")
			log.Info("stopping")
			hooks(comps, lifecycleHook.Stopping)
			stopCtx, cancel := context.WithTimeout(context.Background(), stopTimeout)
			defer cancel()
			var errs []error
			for i := len(comps) - 1; i >= 0; i-- {
				if err := comps[i].Stop(stopCtx); err != nil {
					errs = append(errs, fmt.Errorf("stop %s: %w", comps[i].Name(), err))
				}
			}
			log.Info("stopped")
			return errors.Join(errs...)
		case <-opts.Reload:
			cfg = reload(ctx, log, n, opts.ConfigPath, cfg, comps)
		case <-watchdog:
			// Pinged from the main loop on purpose: if this loop
			// wedges, systemd sees the silence and restarts us.
			n.Notify("WATCHDOG=1")
		}
	}
}

// reload re-reads the config and hands it to the components. An invalid
// file changes nothing: the old config keeps running and every problem
// is logged with its position.
func reload(ctx context.Context, log *zap.Logger, n Notifier, path string, old *config.Config, comps []Component) *config.Config {
	n.Notify("RELOADING=1")
	defer n.Notify("READY=1")
	log.Info("reloading", zap.String("config", path))
	cfg, _, diags := config.LoadFile(path)
	if diags.HasErrors() {
		for _, d := range diags {
			log.Error("config problem", zap.String("where", diagPos(d)), zap.String("problem", d.Summary), zap.String("detail", d.Detail))
		}
		msg := fmt.Sprintf("reload failed (%d problems), still running the previous config", countErrors(diags))
		log.Error(msg)
		n.Notify("STATUS=" + msg)
		return old
	}
	logWarnings(log, diags)
	for _, c := range comps {
		if err := c.Apply(ctx, cfg); err != nil {
			log.Error("component failed to apply the new config", zap.String("component", c.Name()), zap.Error(err))
		}
	}
	hooks(comps, lifecycleHook.Reloaded)
	log.Info("reloaded", zap.String("config", path))
	n.Notify("STATUS=" + statusLine(cfg))
	return cfg
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
