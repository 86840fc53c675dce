package daemon

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/ipvssync"
)

// ipvsComponent keeps the kernel's IPVS table equal to the config and
// the real servers' health. Health changes arrive from the check engine
// and are applied by one goroutine, so the engine never waits on
// netlink and bursts of verdicts collapse into one sync.
type ipvsComponent struct {
	log      *zap.Logger
	base     *zap.Logger // for the reconciler, which names its own component
	open     func() (ipvssync.Handle, error)
	onQuorum func(ipvssync.QuorumChange)
	observe  func(writes int, err error) // metrics; nil in tests
	// overlay, when set, lays operator maintenance over the check
	// verdicts before each sync; read reads the kernel's table.
	overlay func(vss []*config.VirtualServer, h ipvssync.Health, read func() (ipvssync.Table, error)) ipvssync.Health

	mu     sync.Mutex
	cfg    []*config.VirtualServer
	keep   bool // lvs_keep_on_stop
	health ipvssync.Health
	handle ipvssync.Handle
	rec    *ipvssync.Reconciler
	kick   chan struct{}
	relook *time.Timer // see relookLocked
	stop   chan struct{}
	done   chan struct{}
}

func newIPVSComponent(log *zap.Logger, open func() (ipvssync.Handle, error), onQuorum func(ipvssync.QuorumChange)) *ipvsComponent {
	return &ipvsComponent{
		log: log.With(zap.String("component", "ipvs")), base: log, open: open, onQuorum: onQuorum,
		health: ipvssync.Health{Real: map[ipvssync.RealKey]ipvssync.RealState{}, QuorumUp: map[ipvssync.ServiceKey]bool{}},
	}
}

func (c *ipvsComponent) Name() string { return "ipvs" }

func (c *ipvsComponent) Apply(_ context.Context, cfg *config.Config) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg, c.keep = cfg.VirtualServers, cfg.Global.LVSKeepOnStop
	c.forgetStaleLocked()
	if c.rec == nil {
		if len(c.cfg) == 0 {
			return nil
		}
		h, err := c.open()
		if err != nil {
			return err // "IPVS is not available: ..." from ipvssync.Open
		}
		c.handle, c.rec = h, ipvssync.NewReconciler(h, c.base)
		c.kick, c.stop, c.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
		go c.loop()
	}
	c.rec.SetDrainTimeout(cfg.Global.LVSDrainTimeout)
	t := cfg.Global.LVSTimeouts
	if t.TCP > 0 || t.TCPFin > 0 || t.UDP > 0 {
		if err := ipvssync.SetTimeouts(c.handle, t.TCP, t.TCPFin, t.UDP); err != nil {
			c.log.Error("set lvs_timeouts", zap.Error(err))
		}
	}
	return c.syncLocked()
}

// forgetStaleLocked drops the health of real servers the config no
// longer has, so a re-added one starts fresh.
func (c *ipvsComponent) forgetStaleLocked() {
	keep := map[ipvssync.RealKey]bool{}
	for _, vs := range c.cfg {
		for _, rs := range vs.RealServers {
			keep[ipvssync.RealKeyOf(vs, rs)] = true
		}
	}
	for k := range c.health.Real {
		if !keep[k] {
			delete(c.health.Real, k)
		}
	}
}

// RealServerEvent records a check verdict and asks the loop to sync.
func (c *ipvsComponent) RealServerEvent(key ipvssync.RealKey, ev checker.Event) {
	st := ipvssync.RealState{Alive: ev.Up}
	if ev.Weight != nil {
		st.Weight, st.HasWeight = *ev.Weight, true
	}
	c.mu.Lock()
	c.health.Real[key] = st
	c.mu.Unlock()
	c.poke()
}

// poke asks the loop for a sync; a sync already pending will see every
// change made before it runs, so one pending request is enough.
func (c *ipvsComponent) poke() {
	c.mu.Lock()
	kick := c.kick
	c.mu.Unlock()
	if kick != nil {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
}

// relookLocked asks for one more sync in a second, for destinations that
// drain (the reconciler's, and maintenance's): they leave the table once
// idle, which only a later read can see. At most one timer is armed, so
// every caller during a sync shares it. c.mu must be held.
func (c *ipvsComponent) relookLocked() {
	if c.relook != nil {
		return
	}
	c.relook = time.AfterFunc(time.Second, func() {
		c.mu.Lock()
		c.relook = nil
		c.mu.Unlock()
		c.poke()
	})
}

func (c *ipvsComponent) loop() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
			c.mu.Lock()
			if c.rec == nil { // stopped while this sync waited
				c.mu.Unlock()
				return
			}
			if err := c.syncLocked(); err != nil {
				c.log.Error("ipvs sync failed", zap.Error(err))
			}
			c.mu.Unlock()
		}
	}
}

func (c *ipvsComponent) syncLocked() error {
	h := c.health
	if c.overlay != nil {
		h = c.overlay(c.cfg, h, func() (ipvssync.Table, error) { return ipvssync.Read(c.handle) })
	}
	for _, qc := range ipvssync.UpdateQuorum(c.cfg, &h) {
		if c.onQuorum != nil {
			c.onQuorum(qc)
		}
	}
	failed := ipvssync.DrainSet{}
	for k, st := range h.Real {
		if !st.Alive {
			failed[k] = struct{}{}
		}
	}
	c.rec.SetNoDrain(failed)
	writes, err := c.rec.Sync(ipvssync.Desired(c.cfg, h))
	if c.observe != nil {
		c.observe(writes, err)
	}
	if writes > 0 {
		c.log.Info("ipvs table updated", zap.Int("writes", writes))
	}
	if c.rec.Draining() > 0 {
		c.relookLocked()
	}
	if err != nil {
		return fmt.Errorf("sync ipvs: %w", err)
	}
	return nil
}

// Table reads the kernel's table for status output.
func (c *ipvsComponent) Table() (ipvssync.Table, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.handle == nil {
		return nil, nil
	}
	return ipvssync.Read(c.handle)
}

// Stop removes the services lbhad owns (keepalived does the same on a
// clean stop) unless lvs_keep_on_stop is set, then closes the netlink
// handle.
func (c *ipvsComponent) Stop(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rec == nil {
		return nil
	}
	close(c.stop)
	if c.relook != nil {
		c.relook.Stop()
	}
	_, err := c.rec.Stop(c.keep)
	c.handle.Close()
	c.rec = nil
	return err
}

// Check has nothing to refuse: the config package validates every
// service and destination, and the kernel is only asked at Apply.
func (c *ipvsComponent) Check(*config.Config) error { return nil }
