package daemon

import (
	"context"
	"sync"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/internal/metrics"
	"github.com/lbhad/lbhad/ipvssync"
	"github.com/lbhad/lbhad/notify"
	"github.com/lbhad/lbhad/vrrp"
)

// notifyComponent owns the notification dispatcher and turns the
// domain packages' events into notify.Events. Every method only queues:
// delivery runs on the dispatcher's own workers, so a hung webhook or
// SMTP server never reaches the election path.
type notifyComponent struct {
	log   *zap.Logger
	clock clock.Clock // stamps events, times webhook retries

	mu     sync.Mutex
	d      *notify.Dispatcher
	groups map[string]string // sync group -> last state announced
}

func newNotifyComponent(log *zap.Logger, clk clock.Clock) *notifyComponent {
	return &notifyComponent{log: log, clock: clock.OrReal(clk), groups: map[string]string{}}
}

func (c *notifyComponent) Name() string { return "notify" }

func (c *notifyComponent) Apply(ctx context.Context, cfg *config.Config) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.d != nil {
		return c.d.Update(cfg)
	}
	d, err := notify.New(cfg, c.log, notify.WithClock(c.clock))
	if err != nil {
		return err
	}
	c.d = d
	return nil
}

func (c *notifyComponent) Stop(ctx context.Context) error {
	c.mu.Lock()
	d := c.d
	c.mu.Unlock()
	if d == nil {
		return nil
	}
	return d.Close(ctx)
}

func (c *notifyComponent) send(e notify.Event) {
	c.mu.Lock()
	d := c.d
	c.mu.Unlock()
	if d != nil {
		d.Notify(e)
	}
}

// Started, Reloaded and Stopping announce the daemon's own life; Run
// calls them on the Notify part.
func (c *notifyComponent) Started()  { c.send(notify.Event{Kind: notify.DaemonStart}) }
func (c *notifyComponent) Reloaded() { c.send(notify.Event{Kind: notify.DaemonReload}) }
func (c *notifyComponent) Stopping() { c.send(notify.Event{Kind: notify.DaemonStop}) }

// VRRPStateChange announces an instance transition and, once per group
// transition, the sync group's.
func (c *notifyComponent) VRRPStateChange(sc vrrp.StateChange) {
	c.mu.Lock()
	groupChanged := false
	if sc.SyncGroup != "" && c.groups[sc.SyncGroup] != sc.To.String() {
		c.groups[sc.SyncGroup] = sc.To.String()
		groupChanged = true
	}
	c.mu.Unlock()
	e := notify.Event{Kind: notify.InstanceState, Instance: sc.Instance, Group: sc.SyncGroup,
		OldState: sc.From.String(), NewState: sc.To.String(), Priority: int(sc.Priority),
		Reason: string(sc.Reason), Time: sc.At}
	c.send(e)
	if groupChanged {
		g := e
		g.Kind, g.Instance, g.VIPs = notify.GroupState, "", nil
		c.send(g)
	}
}

// RealServerChange announces a real server going down or coming back.
func (c *notifyComponent) RealServerChange(ref realRef, ev checker.Event) {
	if !ev.StateChanged {
		return
	}
	kind := notify.RealServerDown
	if ev.Up {
		kind = notify.RealServerUp
	}
	c.send(notify.Event{Kind: kind, VirtualServer: ref.vs.Name, RealServer: ref.rs.Name, Reason: ev.Reason, Time: ev.Time})
}

// QuorumChange announces a virtual server losing or regaining quorum.
// The first evaluation at start is not a change, as in keepalived.
func (c *notifyComponent) QuorumChange(qc ipvssync.QuorumChange) {
	if qc.Initial {
		return
	}
	kind := notify.QuorumLost
	if qc.Up {
		kind = notify.QuorumRegained
	}
	c.send(notify.Event{Kind: kind, VirtualServer: qc.VirtualServer.Name})
}

// counts is the dispatcher's delivery counters by channel name
// ("script", "email", "webhook:<name>"), for metrics.
func (c *notifyComponent) counts() map[string]metrics.NotificationCounts {
	c.mu.Lock()
	d := c.d
	c.mu.Unlock()
	if d == nil {
		return nil
	}
	out := map[string]metrics.NotificationCounts{}
	for name, cs := range d.Stats() {
		out[name] = metrics.NotificationCounts{Delivered: cs.Delivered, Failed: cs.Failed, Dropped: cs.Dropped}
	}
	return out
}

// Check refuses a script_user the dispatcher could not run scripts as.
func (c *notifyComponent) Check(cfg *config.Config) error { return checkNotify(cfg) }
