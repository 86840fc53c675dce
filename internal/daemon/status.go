package daemon

import (
	"context"
	"strings"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/internal/metrics"
	"github.com/lbhad/lbhad/ipvssync"
)

// Snapshot gathers what `lbhad status` and the metrics show. It is built
// on demand, so the hot paths carry no bookkeeping for it.
func (d *daemon) Snapshot() control.Snapshot {
	d.mu.Lock()
	in := control.Input{Config: d.cfg, ConfigPath: d.path, StartedAt: d.startedAt, LastReload: d.lastReload, Degraded: d.degraded}
	p := d.parts
	d.mu.Unlock()
	if p.VRRP != nil {
		in.VRRP = p.VRRP.Status()
	}
	if p.Checks != nil {
		in.Checks = p.Checks.Scripts()
		in.RealStatus = p.Checks.RealStatuses()
	}
	if p.IPVS != nil {
		in.Table, in.TableErr = p.IPVS.Table()
		in.QuorumUp = p.IPVS.Quorum()
	}
	if p.Maint != nil {
		in.Maintenance = p.Maint.Status()
	}
	snap := control.Build(in)
	if p.Syncd != nil {
		snap.SyncDaemons = syncDaemonLines(p.Syncd)
	}
	if p.BGP != nil {
		snap.BGP = bgpSnapshot(p.BGP.Status())
	}
	if p.VRRP != nil {
		snap.InterfaceDrops = control.InterfaceDropsFrom(p.VRRP.InterfaceCounters())
	}
	return snap
}

// syncDaemonLines renders the sync daemons lbhad runs, if any.
func syncDaemonLines(sd *SyncdComponent) []string {
	ds, err := sd.Daemons()
	if err != nil {
		return []string{"unreadable: " + err.Error()}
	}
	if len(ds) == 0 {
		return nil
	}
	var b strings.Builder
	_ = ipvssync.FormatDaemons(&b, ds)
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

// EffectiveConfig is the running config, for `lbhad dump`; the control
// package redacts its secrets. A config is never changed once loaded.
func (d *daemon) EffectiveConfig() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

// listenControl opens the control socket. Failing to is logged, not
// fatal: VRRP must keep running without a status command.
func (d *daemon) listenControl(ctx context.Context, path string) {
	if path == "" {
		return
	}
	srv, err := control.Listen(path, d, control.Options{Logger: d.log})
	if err != nil {
		d.log.Error("control socket unavailable; lbhad status will not work", zap.String("path", path), zap.Error(err))
		return
	}
	d.mu.Lock()
	m := d.parts.Maint
	d.mu.Unlock()
	if m != nil {
		m.registerControl(srv) // "lbhad maint"
	}
	d.mu.Lock()
	d.ctl = srv
	d.mu.Unlock()
	go func() {
		if err := srv.Serve(ctx); err != nil {
			d.log.Error("control socket stopped", zap.Error(err))
		}
	}()
}

func (d *daemon) closeControl() {
	d.mu.Lock()
	srv := d.ctl
	d.ctl = nil
	d.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

func (d *daemon) serveMetrics(ctx context.Context, addr string) {
	d.log.Info("serving metrics", zap.String("listen", addr))
	if err := metrics.Serve(ctx, addr, d.metrics); err != nil {
		d.log.Error("metrics unavailable", zap.String("listen", addr), zap.Error(err))
	}
}

// Quorum returns a copy of the reconciler's quorum memory.
func (c *ipvsComponent) Quorum() map[ipvssync.ServiceKey]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[ipvssync.ServiceKey]bool, len(c.health.QuorumUp))
	for k, v := range c.health.QuorumUp {
		out[k] = v
	}
	return out
}
