package daemon

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/ipvssync"
)

// Defaults of the ipvs component's timing; tests shorten them.
const (
	ipvsCallTimeout = 5 * time.Second        // one netlink call (ipvssync.Guard)
	ipvsRetryMin    = 500 * time.Millisecond // first retry of a failed sync
	ipvsRetryMax    = 30 * time.Second       // longest wait between retries
	ipvsRelook      = time.Second            // next look at draining destinations
)

// ipvsComponent keeps the kernel's IPVS table equal to the config and
// the real servers' health. Health changes arrive from the check engine
// and are applied by one goroutine, so the engine never waits on
// netlink and bursts of verdicts collapse into one sync. A failed sync
// is retried with backoff, and the table is read and put right again
// at least every lvs_resync_interval, so a change behind lbhad's back
// (ipvsadm -C) does not last until the next verdict.
//
// Locks: syncMu makes syncs (and Apply and Stop) one at a time and is
// held across netlink calls; mu guards the fields and is never held
// across one, so check events, status and metrics never wait on the
// kernel. syncMu is always taken before mu. Every netlink call goes
// through an ipvssync.Guard, so it has a deadline.
type ipvsComponent struct {
	log  *zap.Logger
	base *zap.Logger // for the reconciler, which names its own component
	open func() (ipvssync.Handle, error)
	ipvsLinks

	clock              clock.Clock
	callTimeout        time.Duration
	retryMin, retryMax time.Duration

	syncMu sync.Mutex

	mu       sync.Mutex
	cfg      []*config.VirtualServer
	keep     bool          // lvs_keep_on_stop
	resync   time.Duration // lvs_resync_interval; 0 = off
	health   ipvssync.Health
	handle   ipvssync.Handle // an *ipvssync.Guard; written holding syncMu and mu
	reader   ipvssync.Handle // Table's own Guard, so status never queues behind a sync
	rec      *ipvssync.Reconciler
	failures int       // failed syncs in a row
	lastSync time.Time // end of the last sync, failed or not
	lastFull time.Time // end of the last sync that read the whole table
	kick     chan struct{}
	rearm    chan struct{} // the loop's timers changed (failure count, resync)
	stop     chan struct{}
	done     chan struct{}

	// relookAt, when set, is one more sync a second after a sync that
	// left destinations draining (leaving ones and real servers in
	// maintenance; ipvssync decides): they leave the table once idle,
	// which only a later read can see.
	relookAt time.Time

	tables tableCache // Table's shared read; see ipvsTableMaxAge
}

// ipvsLinks are whom the IPVS component tells and asks, all given at
// construction (build); a nil field is nobody, as in tests that make
// the component alone.
type ipvsLinks struct {
	onQuorum func(ipvssync.QuorumChange)
	// onOmegaDown is told, at Stop, each real server of an omega virtual
	// server that was still alive, so its notify_down runs.
	onOmegaDown func(vs *config.VirtualServer, rs *config.RealServer)
	observe     func(writes int, err error) // metrics
	// beat tells the watchdog the loop is alive; the loop calls it on
	// every wake, including a ping.
	beat func()
	// maint returns the real servers in operator maintenance, which the
	// reconciler drains (ipvssync.DrainMaint); it runs before each sync,
	// under syncMu, not mu. maintLeft is told which of them a sync took
	// out of the table, to persist and announce it; it runs after the
	// sync, holding no lock of this component.
	maint     func(vss []*config.VirtualServer) map[ipvssync.RealKey]ipvssync.Maint
	maintLeft func(vss []*config.VirtualServer, left []ipvssync.MaintLeft)
}

func newIPVSComponent(log *zap.Logger, open func() (ipvssync.Handle, error), clk clock.Clock, links ipvsLinks) *ipvsComponent {
	return &ipvsComponent{
		log: log.With(zap.String("component", "ipvs")), base: log, open: open, ipvsLinks: links,
		clock: clock.OrReal(clk), callTimeout: ipvsCallTimeout, retryMin: ipvsRetryMin, retryMax: ipvsRetryMax,
		health: ipvssync.Health{Real: map[ipvssync.RealKey]ipvssync.RealState{}, QuorumUp: map[ipvssync.ServiceKey]bool{}},
	}
}

func (c *ipvsComponent) Name() string { return "ipvs" }

func (c *ipvsComponent) Apply(_ context.Context, cfg *config.Config) error {
	c.syncMu.Lock()
	post, err := c.applyHeld(cfg)
	c.syncMu.Unlock()
	post()
	return err
}

// applyHeld is Apply under c.syncMu; post is syncHeld's.
func (c *ipvsComponent) applyHeld(cfg *config.Config) (post func(), err error) {
	nothing := func() {}
	c.mu.Lock()
	c.cfg, c.keep, c.resync = cfg.VirtualServers, cfg.Global.LVSKeepOnStop, cfg.Global.LVSResyncInterval
	c.forgetStaleLocked()
	c.seedAlphaLocked()
	started := c.rec != nil
	c.mu.Unlock()
	if !started {
		if len(cfg.VirtualServers) == 0 {
			return nothing, nil
		}
		h, err := ipvssync.NewGuard(c.open, c.callTimeout)
		if err != nil {
			return nothing, err // "IPVS is not available: ..." from ipvssync.Open
		}
		r, err := ipvssync.NewGuard(c.open, c.callTimeout)
		if err != nil {
			h.Close()
			return nothing, err
		}
		c.mu.Lock()
		c.handle, c.reader, c.rec = h, r, ipvssync.NewReconciler(h, c.base, ipvssync.WithClock(c.clock))
		c.kick, c.rearm = make(chan struct{}, 1), make(chan struct{}, 1)
		c.stop, c.done = make(chan struct{}), make(chan struct{})
		go c.loop(c.kick, c.rearm, c.stop, c.done)
		c.mu.Unlock()
	}
	c.rec.SetDrainTimeout(cfg.Global.LVSDrainTimeout)
	// Between resyncs a sync reads only the services it changes; with the
	// resync off every sync reads the whole table, so drift is still
	// repaired at the next change.
	c.rec.SetResync(cfg.Global.LVSResyncInterval)
	c.rec.FullNext() // start and reload read the whole table
	t := cfg.Global.LVSTimeouts
	if t.TCP > 0 || t.TCPFin > 0 || t.UDP > 0 {
		if err := ipvssync.SetTimeouts(c.handle, t.TCP, t.TCPFin, t.UDP); err != nil {
			c.log.Error("set lvs_timeouts", zap.Error(err))
		}
	}
	return c.syncHeld()
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

// seedAlphaLocked marks dead the checked real servers of alpha virtual
// servers that have no verdict yet: IPVS is applied before the checks
// that feed it, and without a verdict a server counts as alive, so an
// alpha server would otherwise take traffic until its first check fails.
func (c *ipvsComponent) seedAlphaLocked() {
	for _, vs := range c.cfg {
		if !vs.Alpha {
			continue
		}
		for _, rs := range vs.RealServers {
			if len(rs.Checks) == 0 {
				continue
			}
			k := ipvssync.RealKeyOf(vs, rs)
			if _, ok := c.health.Real[k]; !ok {
				c.health.Real[k] = ipvssync.RealState{Alive: false}
			}
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
	signal(kick)
}

// ping wakes the loop without a sync, so the watchdog can see it is
// alive without costing a table read: the loop beats on every wake.
func (c *ipvsComponent) ping() {
	c.mu.Lock()
	rearm := c.rearm
	c.mu.Unlock()
	signal(rearm)
}

func signal(ch chan struct{}) {
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// loop runs the syncs asked for by poke, the retries of a failed sync
// and the periodic resync.
func (c *ipvsComponent) loop(kick, rearm, stop, done chan struct{}) {
	defer close(done)
	for {
		wake, why := c.nextWake()
		var t clock.Timer
		var timer <-chan time.Time
		if !wake.IsZero() {
			t = c.clock.NewTimer(max(wake.Sub(c.clock.Now()), 0))
			timer = t.C()
		}
		rearmed := false
		select {
		case <-stop:
		case <-rearm:
			rearmed = true
		case <-kick:
			why = "change"
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
		select {
		case <-stop:
			return
		default:
		}
		if c.beat != nil {
			c.beat()
		}
		if rearmed {
			continue
		}
		if err := c.sync(); err != nil {
			c.log.Error("ipvs sync failed", zap.String("why", why), zap.Error(err))
		}
	}
}

// nextWake is when the loop syncs without being asked: the retry of a
// failed sync (backoff), else the periodic resync; zero for never.
func (c *ipvsComponent) nextWake() (time.Time, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	last := c.lastSync
	if c.failures == 0 && !c.lastFull.IsZero() {
		last = c.lastFull // syncs in between read only what they changed
	}
	at, why := ipvsNextWake(last, c.failures, c.resync, c.retryMin, c.retryMax)
	if !c.relookAt.IsZero() && (at.IsZero() || c.relookAt.Before(at)) {
		return c.relookAt, "drain"
	}
	return at, why
}

// ipvsNextWake is nextWake's rule, pure: after failures failed syncs in
// a row the next try is ipvssync.Backoff after the last; with none, the
// next resync is one interval after the last sync.
func ipvsNextWake(last time.Time, failures int, resync, retryMin, retryMax time.Duration) (time.Time, string) {
	if failures > 0 {
		return last.Add(ipvssync.Backoff(failures, retryMin, retryMax)), "retry"
	}
	if resync > 0 {
		return last.Add(resync), "resync"
	}
	return time.Time{}, ""
}

func (c *ipvsComponent) sync() error {
	c.syncMu.Lock()
	post, err := c.syncHeld()
	c.syncMu.Unlock()
	post()
	return err
}

// syncHeld runs one sync; c.syncMu must be held. It snapshots what it
// needs under c.mu and talks to the kernel without it. The caller runs
// post once it has released c.syncMu: it hands the real servers in
// maintenance that left the table to maintLeft.
func (c *ipvsComponent) syncHeld() (post func(), err error) {
	post = func() {}
	c.mu.Lock()
	rec, cfg := c.rec, c.cfg
	if rec == nil { // stopped while this sync waited
		c.mu.Unlock()
		return post, nil
	}
	h := ipvssync.Health{Real: maps.Clone(c.health.Real), QuorumUp: maps.Clone(c.health.QuorumUp)}
	c.mu.Unlock()

	if c.maint != nil {
		h.Maint = c.maint(cfg)
	}
	res, err := rec.SyncHealth(cfg, h)
	changes, writes := res.Quorum, res.Writes
	draining := rec.Draining() > 0
	if writes > 0 || err != nil {
		c.tables.invalidate()
	}
	if len(res.Left) > 0 && c.maintLeft != nil {
		post = func() { c.maintLeft(cfg, res.Left) }
	}

	c.mu.Lock()
	c.health.QuorumUp = res.QuorumUp
	c.lastSync = c.clock.Now()
	if res.Full {
		c.lastFull = c.lastSync
	}
	c.relookAt = time.Time{}
	if draining {
		c.relookAt = c.lastSync.Add(ipvsRelook)
	}
	before := c.failures
	if err != nil {
		c.failures++
	} else {
		c.failures = 0
	}
	after, rearm := c.failures, c.rearm
	c.mu.Unlock()
	signal(rearm)

	for _, qc := range changes {
		if c.onQuorum != nil {
			c.onQuorum(qc)
		}
	}
	if c.observe != nil {
		c.observe(writes, err)
	}
	if writes > 0 {
		c.log.Info("ipvs table updated", zap.Int("writes", writes))
	}
	if before > 0 && after == 0 {
		c.log.Info("ipvs sync works again", zap.Int("failed_before", before))
	}
	if err != nil {
		return post, fmt.Errorf("sync ipvs: %w", err)
	}
	return post, nil
}

// Table reads the kernel's table for status and metrics, through a
// handle of its own: it does not wait for a sync in progress, and each
// netlink call has the Guard's deadline. Reads are shared for
// ipvsTableMaxAge (tableCache), so scrapes never cost a dump each.
func (c *ipvsComponent) Table() (ipvssync.Table, error) {
	c.mu.Lock()
	h := c.reader
	c.mu.Unlock()
	if h == nil {
		return nil, nil
	}
	return c.tables.get(c.clock.Now, ipvsTableMaxAge, func() (ipvssync.Table, error) { return ipvssync.Read(h) })
}

// Stop removes the services lbhad owns (keepalived does the same on a
// clean stop) unless lvs_keep_on_stop is set, then closes the netlink
// handle.
func (c *ipvsComponent) Stop(context.Context) error {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	c.mu.Lock()
	rec, h, r, stop, keep := c.rec, c.handle, c.reader, c.stop, c.keep
	c.rec, c.handle, c.reader = nil, nil, nil
	var downs []omegaDown
	var lost []*config.VirtualServer
	if !keep { // with lvs_keep_on_stop the table stays: nothing went down
		downs, lost = c.omegaLocked()
	}
	c.mu.Unlock()
	c.tables.invalidate()
	if rec == nil {
		return nil
	}
	// keepalived's omega: what was up is announced down as lbhad leaves.
	for _, d := range downs {
		if c.onOmegaDown != nil {
			c.onOmegaDown(d.vs, d.rs)
		}
	}
	for _, vs := range lost {
		if c.onQuorum != nil {
			c.onQuorum(ipvssync.QuorumChange{VirtualServer: vs, Up: false})
		}
	}
	close(stop)
	_, err := rec.Stop(keep)
	h.Close()
	r.Close()
	return err
}

type omegaDown struct {
	vs *config.VirtualServer
	rs *config.RealServer
}

// omegaLocked lists, for the omega virtual servers, the real servers
// still alive (no verdict counts as alive, as in the table) and the
// virtual servers whose quorum is up: what keepalived's omega announces
// as down on shutdown.
func (c *ipvsComponent) omegaLocked() (downs []omegaDown, lost []*config.VirtualServer) {
	for _, vs := range c.cfg {
		if !vs.Omega {
			continue
		}
		for _, rs := range vs.RealServers {
			if st, ok := c.health.Real[ipvssync.RealKeyOf(vs, rs)]; !ok || st.Alive {
				downs = append(downs, omegaDown{vs, rs})
			}
		}
		if c.health.QuorumUp[ipvssync.ServiceKeyOf(vs)] {
			lost = append(lost, vs)
		}
	}
	return downs, lost
}

// Check has nothing to refuse: the config package validates every
// service and destination, and the kernel is only asked at Apply.
func (c *ipvsComponent) Check(*config.Config) error { return nil }
