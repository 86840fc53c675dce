package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/ipvssync"
	"github.com/lbhad/lbhad/vrrp"
)

// SyncDaemonControl is the part of *ipvssync.SyncDaemons the component uses;
// tests pass a fake.
type SyncDaemonControl interface {
	Start(ipvssync.DaemonInfo) error
	Stop(ipvssync.DaemonState) error
	List() ([]ipvssync.DaemonInfo, error)
	Close()
}

// openSyncDaemons opens the sync daemon control of lbhad's namespace.
func openSyncDaemons() (SyncDaemonControl, error) {
	sd, err := ipvssync.OpenSyncDaemons("")
	if err != nil {
		return nil, err
	}
	return sd, nil
}

// SyncdComponent runs the kernel's IPVS connection sync daemon in the
// role that follows one VRRP instance (global lvs_sync_daemon): master
// sync while the instance is MASTER, backup sync otherwise, one role at
// a time as keepalived 2.2.7 does. Without the block it touches nothing,
// so daemons started by hand with ipvsadm are left alone; once it has
// run daemons, removing the block stops them.
//
// The kernel calls are made synchronously in VRRPStateChange: they are a
// few netlink round trips (measured in the guest: see
// docs/PERFORMANCE.md "Connection sync").
type SyncdComponent struct {
	log  *zap.Logger
	open func() (SyncDaemonControl, error)

	mu     sync.Mutex
	cfg    *config.LVSSyncDaemon // nil: not configured
	states map[string]vrrp.State // last known state of every instance
	sd     SyncDaemonControl     // open while configured
}

// NewSyncdComponent makes the component; nil log is zap.NewNop() and nil
// open opens the control of lbhad's own network namespace.
func NewSyncdComponent(log *zap.Logger, open func() (SyncDaemonControl, error)) *SyncdComponent {
	if log == nil {
		log = zap.NewNop()
	}
	if open == nil {
		open = openSyncDaemons
	}
	return &SyncdComponent{log: log.With(zap.String("component", "syncd")), open: open, states: map[string]vrrp.State{}}
}

func (c *SyncdComponent) Name() string { return "syncd" }

// Apply starts, moves or stops the daemon for cfg's lvs_sync_daemon.
func (c *SyncdComponent) Apply(_ context.Context, cfg *config.Config) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg = cfg.Global.LVSSyncDaemon
	if c.cfg == nil {
		if c.sd == nil {
			return nil
		}
		err := c.syncLocked()
		c.sd.Close()
		c.sd = nil
		return err
	}
	if c.sd == nil {
		sd, err := c.open()
		if err != nil {
			return fmt.Errorf("open IPVS sync daemon control: %w", err)
		}
		c.sd = sd
	}
	return c.syncLocked()
}

// VRRPStateChange moves the daemon's role when the followed instance
// changes state. Connect it to the VRRP component's callback.
func (c *SyncdComponent) VRRPStateChange(sc vrrp.StateChange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.states[sc.Instance] = sc.To
	if c.cfg == nil || c.sd == nil || sc.Instance != c.cfg.Instance {
		return
	}
	if err := c.syncLocked(); err != nil {
		// Logged here: the VRRP callback has no one to return to. The
		// next transition or reload tries again.
		c.log.Error("move sync daemon", zap.String("instance", sc.Instance), zap.Stringer("to", sc.To), zap.Error(err))
	}
}

// Stop stops both roles, as keepalived does on shutdown.
func (c *SyncdComponent) Stop(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sd == nil {
		return nil
	}
	c.cfg = nil
	err := c.syncLocked()
	c.sd.Close()
	c.sd = nil
	return err
}

// Daemons reads the kernel's running sync daemons for `lbhad status`;
// nil without an lvs_sync_daemon block.
func (c *SyncdComponent) Daemons() ([]ipvssync.DaemonInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sd == nil {
		return nil, nil
	}
	return c.sd.List()
}

// want is the daemon the config and the followed instance's state ask
// for; the zero DaemonInfo (stop all) when not configured.
func (c *SyncdComponent) wantLocked() ipvssync.DaemonInfo {
	d := c.cfg
	if d == nil {
		return ipvssync.DaemonInfo{}
	}
	st := ipvssync.DaemonBackup
	if c.states[d.Instance] == vrrp.StateMaster {
		st = ipvssync.DaemonMaster
	}
	return ipvssync.DaemonInfo{State: st, Interface: d.Interface, SyncID: uint32(d.SyncID),
		MaxLen: d.MaxLen, Group: d.Group, Port: d.Port, TTL: d.TTL}
}

// syncLocked is the single step: read the kernel, plan, stop, start.
func (c *SyncdComponent) syncLocked() error {
	have, err := c.sd.List()
	if err != nil {
		return err
	}
	want := c.wantLocked()
	stop, start := ipvssync.PlanDaemons(want, have)
	var errs []error
	for _, st := range stop {
		if err := c.sd.Stop(st); err != nil {
			errs = append(errs, err)
		} else {
			c.log.Info("sync daemon stopped", zap.Stringer("state", st))
		}
	}
	if start {
		if err := c.sd.Start(want); err != nil {
			errs = append(errs, err)
		} else {
			c.log.Info("sync daemon started", zap.Stringer("state", want.State), zap.String("interface", want.Interface), zap.Uint32("syncid", want.SyncID))
		}
	}
	return errors.Join(errs...)
}

// Check has nothing to refuse: the config package checks the followed
// instance and the interface is only asked of the kernel at Apply.
func (c *SyncdComponent) Check(*config.Config) error { return nil }
