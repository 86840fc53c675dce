package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/vrrp"
)

// vrrpComponent runs one vrrp.Router for every instance in the config,
// on the host's real sockets.
type vrrpComponent struct {
	log      *zap.Logger
	base     *zap.Logger
	onChange func(vrrp.StateChange)
	// onRouter, when set, sees the router after it is built and after
	// every reload, before it runs (maintenance state).
	onRouter func(*vrrp.Router)
	dial     func(ifname string, o vrrp.TransportOptions) (vrrp.Transport, error)
	beat     func()      // the router loop's heartbeat for the watchdog; may be nil
	clock    clock.Clock // the router's timers

	mu sync.Mutex
	// opts holds the per-interface transport options. It has its own
	// lock because the router calls openTransport from Reload, which
	// runs while mu is held.
	optsMu sync.Mutex
	opts   map[string]vrrp.TransportOptions
	router *vrrp.Router
	addrs  *vrrp.NetlinkAddrManager
	cancel context.CancelFunc
	done   chan error
	// scripts remembers track-script results that arrive before the
	// router exists, so none is lost at start.
	scripts map[string]bool
	// files does the same for track_file values.
	files   map[string]int
	stopped bool
	// vmacs keeps the use_vmac interfaces (nil until a config has one);
	// vmacBase maps each VMAC carrying adverts to its base interface,
	// under optsMu.
	vmacs    *vrrp.VMACManager
	vmacBase map[string]string
}

// newVRRPComponent reports every transition to onChange and shows every
// new or reloaded router to onRouter (either may be nil); dial opens the
// VRRP socket of an interface, nil being vrrp.DialTransport; clk drives
// the router's timers (nil: the real clock); beat (may be nil) is called
// each time the router's loop turns, for the watchdog.
func newVRRPComponent(log *zap.Logger, onChange func(vrrp.StateChange), onRouter func(*vrrp.Router),
	dial func(string, vrrp.TransportOptions) (vrrp.Transport, error), clk clock.Clock, beat func()) *vrrpComponent {
	if dial == nil {
		dial = dialTransport
	}
	return &vrrpComponent{log: log.With(zap.String("component", "vrrp")), base: log, onChange: onChange, onRouter: onRouter,
		dial: dial, clock: clock.OrReal(clk), beat: beat, scripts: map[string]bool{}, files: map[string]int{}}
}

func (c *vrrpComponent) Name() string { return "vrrp" }

// Apply starts the router or moves it to the new config. Instances
// whose interface is missing or has no address yet wait inside the
// router, each on its own, and start on the link or address event that
// makes them possible; the router says which wait and why in Status.
func (c *vrrpComponent) Apply(ctx context.Context, cfg *config.Config) error {
	vc := vrrpConfig(cfg)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	seeded := c.seedInitFailLocked(cfg)
	vmacReady := c.applyVMACsLocked(cfg)
	err := c.applyLocked(vc)
	if c.router != nil {
		for _, name := range seeded {
			c.router.SetTrackScript(name, false)
		}
		for name, ok := range vmacReady {
			c.router.SetTrackScript(vmacGate(name), ok)
		}
	}
	// Only once the router runs the new config is off the old VMACs.
	if c.vmacs != nil && err == nil {
		if perr := c.vmacs.Prune(); perr != nil {
			c.log.Warn("removing unused vmac interfaces", zap.Error(perr))
		}
	}
	return err
}

// seedInitFailLocked counts every init_fail script without a verdict
// yet as failed (keepalived's init_fail) and returns their names. The
// check engine starts such a script down without an event, and a script
// already down fails silently, so VRRP would otherwise count it as
// passing until its first success. A verdict that arrived first (the
// checks start before VRRP) is kept.
func (c *vrrpComponent) seedInitFailLocked(cfg *config.Config) []string {
	var seeded []string
	for _, s := range cfg.Scripts {
		if _, known := c.scripts[s.Name]; s.InitFail && !known {
			c.scripts[s.Name] = false
			seeded = append(seeded, s.Name)
		}
	}
	return seeded
}

// applyLocked starts the router or moves it to vc. A router that is
// not running (its Run ended) is replaced by a new one.
func (c *vrrpComponent) applyLocked(vc vrrp.Config) error {
	c.optsMu.Lock()
	c.opts = transportOptions(vc)
	c.optsMu.Unlock()
	if c.router != nil {
		select {
		case err := <-c.done:
			c.log.Warn("vrrp router had stopped; starting a new one", zap.Error(err))
			c.cancel()
			c.addrs.Close()
			c.router, c.addrs, c.cancel, c.done = nil, nil, nil, nil
		default:
		}
	}
	if c.router != nil {
		err := c.router.Reload(vc)
		if c.onRouter != nil {
			c.onRouter(c.router)
		}
		return err
	}
	if len(vc.Instances) == 0 {
		return nil
	}
	addrs, err := vrrp.NewAddrManager(c.log)
	if err != nil {
		return fmt.Errorf("open address manager: %w", err)
	}
	lw := vrrp.NewLinkWatcher(c.base)
	r, err := vrrp.NewRouter(vc, vrrp.Deps{
		OpenTransport:  c.openTransport,
		OpenTransport6: c.openTransport6,
		PrimaryAddr6:   vrrp.LinkLocalIPv6,
		OpenAnnouncer:  func(dev string) (vrrp.Announcer, error) { return vrrp.NewAnnouncer(dev) },
		Addrs:          addrs,
		Routes:         addrs,
		PrimaryAddr:    c.primaryAddr,
		Links:          lw,
		AddrChanges:    lw,
		Logger:         c.base, // the router adds its own component field
		OnStateChange:  c.stateChanged,
		Beat:           c.beat,
		Clock:          c.clock,
	})
	if err != nil {
		addrs.Close()
		return err
	}
	for name, ok := range c.scripts {
		r.SetTrackScript(name, ok)
	}
	for name, v := range c.files {
		r.SetTrackFile(name, v)
	}
	if c.onRouter != nil {
		c.onRouter(r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.router, c.addrs, c.cancel, c.done = r, addrs, cancel, make(chan error, 1)
	go func() {
		err := r.Run(ctx)
		if err != nil && !errors.Is(err, vrrp.ErrStopped) {
			c.log.Error("vrrp router stopped", zap.Error(err))
		}
		c.done <- err
	}()
	return nil
}

func (c *vrrpComponent) openTransport(ifname string) (vrrp.Transport, error) {
	c.optsMu.Lock()
	o := c.opts[ifname]
	base, vmac := c.vmacBase[ifname]
	c.optsMu.Unlock()
	if vmac && !o.SrcIP.IsValid() {
		src, err := vrrp.PrimaryIPv4(base)
		if err != nil {
			return nil, fmt.Errorf("vmac %s: source address of %s: %w", ifname, base, err)
		}
		o.SrcIP = src
	}
	return c.dial(ifname, o)
}

// openTransport6 opens the IPv6 VRRP socket of ifname, for its IPv6
// instances.
func (c *vrrpComponent) openTransport6(ifname string) (vrrp.Transport, error) {
	c.optsMu.Lock()
	o := c.opts[optsKey(ifname, true)]
	c.optsMu.Unlock()
	o.IPv6 = true
	return c.dial(ifname, o)
}

// dialTransport opens the host's VRRP socket on ifname, IPv4 or IPv6 as
// o.IPv6 says.
func dialTransport(ifname string, o vrrp.TransportOptions) (vrrp.Transport, error) {
	return vrrp.DialTransport(ifname, o)
}

func (c *vrrpComponent) stateChanged(sc vrrp.StateChange) {
	c.log.Info(fmt.Sprintf("%s is now %s", sc.Instance, sc.To),
		zap.String("instance", sc.Instance), zap.Uint8("vrid", sc.VRID), zap.Stringer("from", sc.From),
		zap.Stringer("to", sc.To), zap.String("reason", string(sc.Reason)), zap.Uint8("priority", sc.Priority))
	if c.onChange != nil {
		c.onChange(sc)
	}
}

// SetTrackScript passes a vrrp_script verdict to the instances tracking it.
func (c *vrrpComponent) SetTrackScript(name string, ok bool) {
	c.mu.Lock()
	c.scripts[name] = ok
	r := c.router
	c.mu.Unlock()
	if r != nil {
		r.SetTrackScript(name, ok)
	}
}

// SetTrackFile passes a track_file's number to the instances tracking it.
func (c *vrrpComponent) SetTrackFile(name string, value int) {
	c.mu.Lock()
	c.files[name] = value
	r := c.router
	c.mu.Unlock()
	if r != nil {
		r.SetTrackFile(name, value)
	}
}

// Status returns the instances' state; nil when no router runs.
func (c *vrrpComponent) Status() []vrrp.Status {
	c.mu.Lock()
	r := c.router
	c.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.Status()
}

// InterfaceCounters are the router's per-socket counters (drops before
// an instance is known); nil before the router exists.
func (c *vrrpComponent) InterfaceCounters() map[string]vrrp.Counters {
	c.mu.Lock()
	r := c.router
	c.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.InterfaceCounters()
}

// Waiting is Router.Waiting; known is false before the router exists.
func (c *vrrpComponent) Waiting() (known bool, instances int, waiting []string) {
	c.mu.Lock()
	r := c.router
	c.mu.Unlock()
	if r == nil {
		return false, 0, nil
	}
	instances, waiting = r.Waiting()
	return true, instances, waiting
}

// Ping wakes the router's loop so it beats (see newVRRPComponent); a
// no-op before the router exists.
func (c *vrrpComponent) Ping() {
	c.mu.Lock()
	r := c.router
	c.mu.Unlock()
	if r != nil {
		r.Ping()
	}
}

// Running reports whether a router was started (it may still be opening
// its instances).
func (c *vrrpComponent) Running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.router != nil
}

// Stop ends the router gracefully: masters send a priority-0 advert so
// the peer takes over after its skew time, then the VIPs go.
func (c *vrrpComponent) Stop(ctx context.Context) error {
	c.mu.Lock()
	c.stopped = true
	r, addrs, cancel, done := c.router, c.addrs, c.cancel, c.done
	c.mu.Unlock()
	if r == nil {
		return c.closeVMACs()
	}
	err := r.Stop(ctx)
	cancel()
	select {
	case runErr := <-done:
		if runErr != nil && !errors.Is(runErr, vrrp.ErrStopped) {
			err = errors.Join(err, runErr)
		}
	case <-ctx.Done():
		err = errors.Join(err, ctx.Err())
	}
	addrs.Close()
	return errors.Join(err, c.closeVMACs())
}

// closeVMACs deletes the VMAC interfaces once the router no longer uses
// them (its last adverts went out, its VIPs are gone).
func (c *vrrpComponent) closeVMACs() error {
	c.mu.Lock()
	m := c.vmacs
	c.mu.Unlock()
	if m == nil {
		return nil
	}
	return m.Close()
}

// Check runs the router's own config check on every instance, including
// those whose interface is missing (their source address stands in as
// 0.0.0.0), so a reload is refused before anything changes, not half
// applied.
func (c *vrrpComponent) Check(cfg *config.Config) error { return checkVRRP(cfg) }
