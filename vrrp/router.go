package vrrp

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/internal/clock"
)

// Deps are the ports and hooks of a Router. OpenTransport and Addrs are
// required.
type Deps struct {
	// OpenTransport opens the VRRP socket of an interface, by name. It is
	// called when the first instance on the interface starts, and again
	// whenever the interface comes back (re-created, renamed back, set
	// up) or a send says its device is gone. Until a call succeeds the
	// interface's instances wait (Status.Waiting says why) and the others
	// run.
	OpenTransport func(ifname string) (Transport, error)
	// OpenTransport6 opens the IPv6 VRRP socket (ff02::12) of an
	// interface for its IPv6 instances, as OpenTransport does the IPv4
	// one: an interface with IPv4 and IPv6 instances has one of each.
	// Nil: IPv6 instances wait.
	OpenTransport6 func(ifname string) (Transport, error)
	// OpenAnnouncer opens the gratuitous-ARP sender of a device; it is
	// called per VIP device when first needed and again after the device
	// comes back. Nil: no GARP.
	OpenAnnouncer func(dev string) (Announcer, error)
	Addrs         AddrManager
	// Routes adds and removes virtual routes and rules; nil: instances
	// with some are refused.
	Routes RouteManager
	// PrimaryAddr finds the primary IPv4 address of an interface, the
	// source of instances without SrcAddr. Nil: such instances wait.
	PrimaryAddr func(ifname string) (netip.Addr, error)
	// PrimaryAddr6 finds the IPv6 link-local address of an interface,
	// the source of IPv6 instances without SrcAddr (RFC 5798 §5.1.2.1).
	// Nil: such instances are refused.
	PrimaryAddr6 func(ifname string) (netip.Addr, error)
	// Links reports tracked interfaces; nil means all are up.
	Links LinkWatcher
	// AddrChanges reports that IPv4 addresses changed, so that waiting
	// instances are tried again at once and a changed primary address
	// is followed. Nil: waiting instances are retried by a slow poll.
	AddrChanges AddrWatcher
	// Clock drives the Router's timers and stamps; nil means clock.Real.
	Clock  clock.Clock
	Logger *zap.Logger
	// Beat, when set, is called each time the router's loop turns (a
	// timer fired, an event or a Ping woke it) with the router's lock
	// free: the proof of life the daemon's watchdog waits for.
	Beat func()
	// OnStateChange is called for every transition, in order, from a
	// goroutine of the Router without its lock held. It may call Status
	// but not Reload, SetTrackScript or Stop synchronously.
	OnStateChange func(StateChange)
}

// StateChange is one transition of one instance, for notify scripts,
// IPVS and logs.
type StateChange struct {
	Instance  string
	SyncGroup string // "" when not in a group
	VRID      uint8
	From, To  State
	Reason    Reason
	Priority  uint8 // effective priority at the time
	At        time.Time
}

// ErrStopped is returned by Run when the Router was stopped or has run
// before.
var ErrStopped = errors.New("vrrp: router stopped")

// Router runs VRRP instances over one Transport per interface, with one
// loop goroutine arming the earliest deadline and one reader goroutine
// per interface. All protocol state lives under one lock; the state
// machines decide and the Router carries out their actions.
type Router struct {
	deps  Deps
	log   *zap.Logger
	clock clock.Clock

	mu       sync.Mutex
	cfg      Config
	insts    []*instance // config order
	byName   map[string]*instance
	links    map[string]*link
	groups   map[string]*Group
	scripts  map[string]bool // last reported script results; absent = OK
	files    map[string]int  // last reported track_file values; absent = 0
	maint    map[string]bool // instances in maintenance (maint_router.go)
	linkUp   map[string]bool // absent = up
	annc     map[string]Announcer
	running  bool
	ended    bool // Run has returned; a Router runs once
	readers  sync.WaitGroup
	watchEnd context.CancelFunc
	runCtx   context.Context
	pending  []StateChange
	heap     wakeHeap
	armedAt  time.Time // when the loop's timer fires; zero: not armed

	// anncRetry holds when a device whose GARP sender failed to open may
	// be tried again; nothing is cached as failed for good.
	anncRetry map[string]time.Time
	// retryAt is when interfaces that could not be opened are tried
	// again (zero: none waits); link and address events try them sooner.
	retryAt time.Time
	// pace holds announcements waiting for the gap of their device
	// (Config.GARPInterval, GNAInterval).
	pace pacer
	// dirty instances need refreshLocked once the actions in progress
	// are done (a send or VIP failure found inside apply).
	dirty      []*instance
	applyDepth int
	// held are the announcements of sync group members that became
	// master inside the apply in progress, sent together when it ends
	// (flushHeldLocked).
	held      []announceBurst
	settling  bool
	readersOn bool // Run's readers are started; new transports get one

	drops dropLimiter // which dropped adverts to log (droplog.go)

	dispatchMu sync.Mutex
	wake       chan struct{}
	stop       chan struct{}
	stopOnce   sync.Once
	done       chan struct{}
}

type link struct {
	name string
	// v6 links carry the interface's IPv6 instances; key is the name
	// for IPv4 and linkKey's for IPv6 (r.links, InterfaceCounters).
	v6  bool
	key string
	// recv says which versions the link's instances speak and whether
	// some has unicast peers (then the transport passes only their
	// packets and TTL 255 is not required).
	recv     Receive
	tr       Transport // nil while waiting to open
	byVRID   map[uint8]*instance
	counters Counters
	closed   bool
	// waitErr says why tr is nil; src is the primary address found when
	// tr was opened (invalid when no instance needs it).
	waitErr error
	src     netip.Addr
	// out is the send buffer of the link's instances' adverts: they
	// send one at a time under the router's lock, and a transport's
	// WriteTo keeps nothing, so one per link serves (one per instance
	// was 1,000 buffers at 1,000 instances).
	out []byte
	// in is the advert being received, parsed under the router's lock
	// like out: its address list is reused from advert to advert.
	in Advertisement
}

// linkKey names the link of an interface and family: the interface's
// name for IPv4, "NAME/ipv6" for IPv6.
func linkKey(ifname string, v6 bool) string {
	if v6 {
		return ifname + "/ipv6"
	}
	return ifname
}

// setMode recomputes how the link receives.
func (l *link) setMode() {
	l.recv = Receive{}
	for _, in := range l.byVRID {
		if len(in.cfg.UnicastPeers) > 0 {
			l.recv.Unicast = true
		}
		if in.cfg.Version == Version3 {
			l.recv.V3 = true
		} else {
			l.recv.V2 = true
		}
	}
}

// NewRouter checks cfg and returns a Router that does nothing until Run.
// Errors name the offending instance.
func NewRouter(cfg Config, deps Deps) (*Router, error) {
	if deps.OpenTransport == nil || deps.Addrs == nil {
		return nil, errors.New("vrrp: OpenTransport and Addrs are required")
	}
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	if err := checkSources(cfg, deps); err != nil {
		return nil, err
	}
	deps.Clock = clock.OrReal(deps.Clock)
	if deps.Logger == nil {
		deps.Logger = zap.NewNop()
	}
	r := &Router{
		deps:    deps,
		log:     deps.Logger.With(zap.String("component", "vrrp")),
		clock:   deps.Clock,
		byName:  map[string]*instance{},
		links:   map[string]*link{},
		groups:  map[string]*Group{},
		scripts: map[string]bool{},
		files:   map[string]int{},
		maint:   map[string]bool{},
		linkUp:  map[string]bool{},
		annc:    map[string]Announcer{},
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	r.anncRetry = map[string]time.Time{}
	cfg.ServiceAddrs = sortedAddrs(cfg.ServiceAddrs)
	r.cfg = cfg
	return r, nil
}

// Run opens the transports, removes VIPs a crash may have left, starts
// every instance in Backup (Master for an owner) and runs until ctx ends
// or Stop is called. Then it stops gracefully: a master sends a
// priority-0 advert and releases its VIPs. An instance whose interface
// cannot be opened yet waits, alone, and starts when it can. Run returns
// ErrStopped for a Router stopped before it ran or run before, and an
// error for one already running.
func (r *Router) Run(ctx context.Context) error {
	if err := r.open(); err != nil {
		return err
	}
	defer close(r.done)
	r.mu.Lock()
	r.runCtx = ctx
	r.mu.Unlock()
	r.startReaders()
	r.restartWatch(ctx)
	r.watchAddrs(ctx)
	r.dispatch()

	timer := r.clock.NewTimer(time.Hour)
	defer timer.Stop()
	if c, ok := timer.(io.Closer); ok {
		defer c.Close() // clock.Precise's timer holds a descriptor
	}
	for {
		r.mu.Lock()
		next := r.nextDeadlineLocked()
		now := r.clock.Now()
		if next.IsZero() {
			next = now.Add(time.Hour)
		}
		r.armedAt = next
		r.mu.Unlock()
		if r.deps.Beat != nil {
			r.deps.Beat()
		}
		timer.Reset(max(next.Sub(now), 0))
		select {
		case <-ctx.Done():
			r.shutdown()
			return nil
		case <-r.stop:
			r.shutdown()
			return nil
		case <-r.wake:
			timer.Stop()
			drain(timer.C())
		case <-timer.C():
			r.mu.Lock()
			r.fireLocked(r.clock.Now())
			r.mu.Unlock()
			r.dispatch()
		}
	}
}

func drain(c <-chan time.Time) {
	select {
	case <-c:
	default:
	}
}

// open is the synchronous part of Run: transports, then Startup of the
// instances whose interface could be opened. The others wait; open fails
// only for a Router that was stopped or is already running.
func (r *Router) open() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.stop:
		return ErrStopped
	default:
	}
	if r.ended {
		return ErrStopped
	}
	if r.running {
		return errors.New("vrrp: router already running")
	}
	now := r.clock.Now()
	r.cfg.Instances = slices.Clone(r.cfg.Instances)
	for i := range r.cfg.Instances {
		r.addInstanceLocked(&r.cfg.Instances[i])
	}
	r.rebuildGroupsLocked()
	r.running = true
	for _, in := range r.insts {
		r.openLinkLocked(now, in.link)
	}
	for _, in := range r.insts {
		r.refreshLocked(now, in)
	}
	r.startReadyLocked(now)
	r.settleLocked(now)
	return nil
}

// addInstanceLocked creates an instance and its link; it neither opens
// the link nor starts the instance.
func (r *Router) addInstanceLocked(c *InstanceConfig) *instance {
	key := linkKey(c.Interface, c.IPv6)
	l, ok := r.links[key]
	if !ok {
		l = &link{name: c.Interface, v6: c.IPv6, key: key, byVRID: map[uint8]*instance{}, waitErr: errNotOpened}
		r.links[key] = l
	}
	in := &instance{cfg: c, m: *NewMachine(c.machineConfig(c.SrcAddr)), link: l, expect: c.expect(c.SrcAddr),
		advert: c.advert(), hidx: -1, src: c.SrcAddr}
	if r.maint[c.Name] {
		in.m.Handle(time.Time{}, Maintenance{On: true}) // in Init: remembered for Startup
	}
	r.preopenAnnouncersLocked(in)
	r.heapAdd(in)
	l.byVRID[c.VRID] = in
	l.setMode()
	r.insts = append(r.insts, in)
	r.byName[c.Name] = in
	return in
}

// groupHoldsLocked reports whether in's sync group keeps it in Backup
// when its Master_Down_Timer runs out: some other member is a Backup
// that still obeys a master it hears (its own timer has not run out and
// it does not want Master). Members in Master, Fault or Init do not
// hold it: the group's own rules move them.
func (r *Router) groupHoldsLocked(now time.Time, in *instance) bool {
	if in.group == nil || in.m.State() != StateBackup {
		return false
	}
	for _, name := range in.group.Members() {
		o := r.byName[name]
		if o == nil || o == in || o.m.State() != StateBackup || o.m.WantsMaster() {
			continue
		}
		if dl := o.m.Deadline(); !dl.IsZero() && now.Before(dl) {
			return true
		}
	}
	return false
}

func (r *Router) rebuildGroupsLocked() {
	r.groups = map[string]*Group{}
	for _, in := range r.insts {
		in.group = nil
	}
	for _, gc := range r.cfg.SyncGroups {
		g := NewGroup(gc.Name, gc.Members)
		for _, m := range gc.Members {
			if in := r.byName[m]; in != nil {
				in.group = g
				g.state[m] = in.m.State()
				g.fault[m] = in.ownFault
			}
		}
		r.groups[gc.Name] = g
	}
}

func (r *Router) startReaders() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.readersOn = true
	for _, l := range r.links {
		if l.tr != nil {
			r.startReader(l, l.tr)
		}
	}
}

// startReader reads tr until it is closed or replaced by a new
// transport of l.
func (r *Router) startReader(l *link, tr Transport) {
	r.readers.Add(1)
	go func() {
		defer r.readers.Done()
		buf := make([]byte, 2048)
		for {
			n, meta, err := tr.ReadFrom(buf)
			if err != nil {
				r.mu.Lock()
				stale := l.closed || l.tr != tr
				if !stale && deviceGone(err) {
					now := r.clock.Now()
					r.breakLinkLocked(now, l, err)
					r.settleLocked(now)
					stale = true
				}
				r.mu.Unlock()
				if stale || errors.Is(err, net.ErrClosed) {
					r.dispatch()
					r.poke()
					return
				}
				r.log.Warn("read vrrp", zap.String("interface", l.name), zap.Error(err))
				if !r.pause(100 * time.Millisecond) {
					return
				}
				continue
			}
			r.mu.Lock()
			if !l.closed && l.tr == tr {
				r.receiveLocked(r.clock.Now(), l, buf[:n], meta)
			}
			r.mu.Unlock()
			r.dispatch()
		}
	}()
}

// pause waits d on the Router's clock; false when the Router stops first.
func (r *Router) pause(d time.Duration) bool {
	t := r.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.stop:
		return false
	case <-t.C():
		return true
	}
}

// fireLocked delivers every deadline that has passed.
func (r *Router) fireLocked(now time.Time) {
	defer r.settleLocked(now)
	if !r.retryAt.IsZero() && !now.Before(r.retryAt) {
		r.retryWaitingLocked(now)
	}
	for _, f := range r.pace.due(now) {
		r.announceOneLocked(now, f.dev, f.addr)
	}
	// Each step moves the instance's wake-up past now (or clears it);
	// the bound only guards the loop against a future bug.
	for range 3*len(r.heap) + 1 {
		if len(r.heap) == 0 {
			return
		}
		in := r.heap[0]
		if in.wake.IsZero() || now.Before(in.wake) {
			return
		}
		r.faultTimersLocked(now, in)
		if dl := in.m.Deadline(); !dl.IsZero() && !now.Before(dl) {
			r.apply(now, in, in.m.Handle(now, Timer{GroupHolds: r.groupHoldsLocked(now, in)}))
		}
		if n := in.garp.due(now, in.cfg); n > 0 {
			r.announceLocked(in, n)
		}
		r.touch(in)
	}
}

func (r *Router) nextDeadlineLocked() time.Time {
	next := earliest(r.retryAt, r.pace.next())
	if len(r.heap) == 0 {
		return next
	}
	return earliest(r.heap[0].wake, next)
}

// dispatch hands queued transitions to OnStateChange in order.
func (r *Router) dispatch() {
	r.dispatchMu.Lock()
	defer r.dispatchMu.Unlock()
	r.mu.Lock()
	batch := r.pending
	r.pending = nil
	r.mu.Unlock()
	if r.deps.OnStateChange == nil {
		return
	}
	for _, sc := range batch {
		r.deps.OnStateChange(sc)
	}
}

// poke makes the loop re-arm its timer after a change from outside it.
// Ping wakes the router's loop without an event, so a caller can see it
// turn (Deps.Beat): a backup's loop otherwise only waits.
func (r *Router) Ping() { r.poke() }

func (r *Router) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// shutdown stops every instance (priority-0 advert and VIP removal from
// Master), closes the transports and waits for the readers.
func (r *Router) shutdown() {
	r.mu.Lock()
	now := r.clock.Now()
	for _, in := range r.insts {
		r.apply(now, in, in.m.Handle(now, Shutdown{}))
	}
	for _, l := range r.links {
		l.closed = true
		if l.tr != nil {
			l.tr.Close()
		}
	}
	if r.watchEnd != nil {
		r.watchEnd()
	}
	r.running, r.ended = false, true
	r.mu.Unlock()
	r.readers.Wait()
	r.dispatch()
}

// Stop makes Run stop gracefully and waits for it to return or for ctx
// to end (returning ctx's error). Stop before Run makes Run return
// ErrStopped.
func (r *Router) Stop(ctx context.Context) error {
	r.stopOnce.Do(func() { close(r.stop) })
	r.mu.Lock()
	running := r.running
	r.mu.Unlock()
	if !running {
		return nil
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
