package vrrp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
)

// InstanceConfig configures one virtual router (keepalived
// "vrrp_instance"). The daemon maps its config.Instance onto it.
type InstanceConfig struct {
	Name      string
	Interface string
	VRID      uint8
	// Priority is the base priority, 1..255 (255: address owner).
	Priority uint8
	// AdvertInterval is a whole number of seconds, 1..255 s.
	AdvertInterval time.Duration
	Nopreempt      bool
	PreemptDelay   time.Duration
	// AuthType is AuthNone or AuthSimple; AuthPass (at most 8 bytes) is
	// the simple-text password.
	AuthType uint8
	AuthPass string
	// SrcAddr is the address adverts carry as source (unicast_src_ip);
	// it breaks priority ties. Invalid means the primary IPv4 address of
	// Interface, which the Router looks up through Deps.PrimaryAddr each
	// time it opens the interface, so the instance follows a change.
	SrcAddr netip.Addr
	// UnicastPeers, when set, receive the adverts instead of 224.0.0.18.
	UnicastPeers []netip.Addr
	// VIPs are IPv4; an empty Dev means Interface.
	VIPs []VIPAddr
	// TrackInterfaces put the instance in Fault while any is down. The
	// instance's own Interface is always tracked, as in keepalived.
	TrackInterfaces []string
	TrackScripts    []TrackScript
	TrackFiles      []TrackFile
	// GARPMasterDelay (0: no second burst), GARPMasterRepeat (frames per
	// VIP per burst, at least 1), GARPMasterRefresh (0: off) and
	// GARPRefreshRepeat (frames per VIP per refresh, default 1) follow
	// keepalived's garp_master_* settings.
	GARPMasterDelay   time.Duration
	GARPMasterRepeat  int
	GARPMasterRefresh time.Duration
	GARPRefreshRepeat int
}

// TrackScript binds a named script, whose result comes in through
// Router.SetTrackScript, to an instance with a weight (see
// EffectivePriority).
type TrackScript struct {
	Name   string
	Weight int
}

// TrackFile binds a named file, whose number comes in through
// Router.SetTrackFile, to an instance with a weight (see
// EffectivePriority and FileTrack).
type TrackFile struct {
	Name   string
	Weight int
}

// SyncGroupConfig names instances that change state together.
type SyncGroupConfig struct {
	Name    string
	Members []string // instance names
}

// Config is everything one Router runs.
type Config struct {
	Instances  []InstanceConfig
	SyncGroups []SyncGroupConfig
}

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
	// OpenAnnouncer opens the gratuitous-ARP sender of a device; it is
	// called per VIP device when first needed and again after the device
	// comes back. Nil: no GARP.
	OpenAnnouncer func(dev string) (Announcer, error)
	Addrs         AddrManager
	// PrimaryAddr finds the primary IPv4 address of an interface, the
	// source of instances without SrcAddr. Nil: such instances wait.
	PrimaryAddr func(ifname string) (netip.Addr, error)
	// Links reports tracked interfaces; nil means all are up.
	Links LinkWatcher
	// AddrChanges reports that IPv4 addresses changed, so that waiting
	// instances are tried again at once and a changed primary address
	// is followed. Nil: waiting instances are retried by a slow poll.
	AddrChanges AddrWatcher
	// Clock is nil for real time.
	Clock  Clock
	Logger *zap.Logger
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

// Status is a snapshot of one instance.
type Status struct {
	Name              string
	Interface         string
	VRID              uint8
	SyncGroup         string
	State             State
	BasePriority      uint8
	EffectivePriority uint8
	// Master is the master last heard (SrcAddr while master); invalid
	// when unknown.
	Master         netip.Addr
	MasterPriority uint8
	VIPs           []netip.Prefix
	// Faults lists what holds the instance in Fault: "link:eth1",
	// "script:chk_nginx", "file:maint", "group:g1", "waiting:<why>",
	// "send:adverts", "vip:192.0.2.1/24".
	Faults []string
	// Waiting, when not empty, says why the instance's interface cannot
	// be used yet (missing, no address, socket error); the instance stays
	// in Init (or Fault once it has run) and starts by itself when the
	// interface is usable.
	Waiting        string
	LastTransition time.Time
	LastReason     Reason
	Counters       Counters
	// Maintenance is true while "lbhad maint director on" holds the
	// instance out of the election; HandingOver while it is still master
	// waiting for its successor.
	Maintenance bool
	HandingOver bool
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
	clock Clock

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
	// dirty instances need refreshLocked once the actions in progress
	// are done (a send or VIP failure found inside apply).
	dirty      []*instance
	applyDepth int
	settling   bool
	readersOn  bool // Run's readers are started; new transports get one

	drops dropLimiter // which dropped adverts to log (droplog.go)

	dispatchMu sync.Mutex
	wake       chan struct{}
	stop       chan struct{}
	stopOnce   sync.Once
	done       chan struct{}
}

type link struct {
	name     string
	tr       Transport // nil while waiting to open
	byVRID   map[uint8]*instance
	counters Counters
	closed   bool
	// waitErr says why tr is nil; src is the primary address found when
	// tr was opened (invalid when no instance needs it).
	waitErr error
	src     netip.Addr
}

type instance struct {
	cfg      InstanceConfig
	m        *Machine
	link     *link
	expect   Expect
	group    *Group
	ownFault bool
	prio     uint8
	// gratuitous ARP schedule: the next burst at garpAt (zero: none);
	// garpRefresh is true once the two master bursts are done.
	garpAt      time.Time
	garpRefresh bool
	counters    Counters
	lastChange  time.Time
	lastReason  Reason
	out         []byte
	wake        time.Time // earliest of the machine's deadline, garpAt and the fault timers
	hidx        int       // index in Router.heap, -1 when not in it
	// src is the advert source in use: cfg.SrcAddr or the interface's
	// primary address. started is set once Startup was delivered.
	src     netip.Addr
	started bool
	faults  instFaults
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
	if deps.Clock == nil {
		deps.Clock = realClock{}
	}
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
	r.cfg = cfg
	return r, nil
}

// checkSources refuses an instance without SrcAddr when there is no
// way to find its interface's primary address.
func checkSources(cfg Config, deps Deps) error {
	if deps.PrimaryAddr != nil {
		return nil
	}
	for _, c := range cfg.Instances {
		if !c.SrcAddr.IsValid() {
			return fmt.Errorf("vrrp: instance %s: no source address and no way to find one", c.Name)
		}
	}
	return nil
}

func checkConfig(cfg Config) error {
	names := map[string]bool{}
	ids := map[string]bool{}
	for _, c := range cfg.Instances {
		switch {
		case c.Name == "" || names[c.Name]:
			return fmt.Errorf("vrrp: instance name %q empty or repeated", c.Name)
		case c.Interface == "":
			return fmt.Errorf("vrrp: instance %s: no interface", c.Name)
		case c.VRID == 0:
			return fmt.Errorf("vrrp: instance %s: vrid 0", c.Name)
		case c.Priority == 0:
			return fmt.Errorf("vrrp: instance %s: priority 0", c.Name)
		case c.AdvertInterval < time.Second || c.AdvertInterval > 255*time.Second || c.AdvertInterval%time.Second != 0:
			return fmt.Errorf("vrrp: instance %s: advert interval %v is not 1..255 whole seconds", c.Name, c.AdvertInterval)
		case c.AuthType != AuthNone && c.AuthType != AuthSimple:
			return fmt.Errorf("vrrp: instance %s: auth type %d unsupported", c.Name, c.AuthType)
		case len(c.AuthPass) > 8:
			return fmt.Errorf("vrrp: instance %s: password longer than 8 bytes", c.Name)
		case c.SrcAddr.IsValid() && !c.SrcAddr.Is4():
			return fmt.Errorf("vrrp: instance %s: source address %v is not ipv4", c.Name, c.SrcAddr)
		case len(c.VIPs) > MaxAddresses:
			return fmt.Errorf("vrrp: instance %s: more than %d vips", c.Name, MaxAddresses)
		}
		for _, v := range c.VIPs {
			if !v.Prefix.Addr().Is4() {
				return fmt.Errorf("vrrp: instance %s: vip %v is not ipv4", c.Name, v.Prefix)
			}
		}
		id := fmt.Sprintf("%s/%d", c.Interface, c.VRID)
		if ids[id] {
			return fmt.Errorf("vrrp: instance %s: vrid %d already used on %s", c.Name, c.VRID, c.Interface)
		}
		names[c.Name], ids[id] = true, true
	}
	inGroup := map[string]string{}
	for _, g := range cfg.SyncGroups {
		for _, m := range g.Members {
			if !names[m] {
				return fmt.Errorf("vrrp: sync group %s: unknown instance %q", g.Name, m)
			}
			if other, ok := inGroup[m]; ok {
				return fmt.Errorf("vrrp: instance %s is in sync groups %s and %s", m, other, g.Name)
			}
			inGroup[m] = g.Name
		}
	}
	return nil
}

func (c *InstanceConfig) machineConfig(src netip.Addr) MachineConfig {
	return MachineConfig{
		VRID: c.VRID, Priority: c.Priority, AdvertInterval: c.AdvertInterval,
		Nopreempt: c.Nopreempt, PreemptDelay: c.PreemptDelay, OwnAddr: src,
	}
}

func (c *InstanceConfig) expect(src netip.Addr) Expect {
	e := Expect{AuthType: c.AuthType, AdvertInt: uint8(c.AdvertInterval / time.Second), Own: []netip.Addr{src}}
	if c.AuthType == AuthSimple {
		e.AuthData = AuthPassword(c.AuthPass)
	}
	for _, v := range c.VIPs {
		e.Addresses = append(e.Addresses, v.Prefix.Addr())
	}
	return e
}

func (c *InstanceConfig) vips() []VIPAddr {
	out := make([]VIPAddr, len(c.VIPs))
	for i, v := range c.VIPs {
		if v.Dev == "" {
			v.Dev = c.Interface
		}
		out[i] = v
	}
	return out
}

// watched are the interfaces whose state the instance depends on.
func (c *InstanceConfig) watched() []string {
	return append([]string{c.Interface}, c.TrackInterfaces...)
}

// followed are the watched interfaces plus the VIP devices, whose
// return makes the Router reopen their GARP senders.
func (c *InstanceConfig) followed() []string {
	names := c.watched()
	for _, v := range c.vips() {
		if !slices.Contains(names, v.Dev) {
			names = append(names, v.Dev)
		}
	}
	return names
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
	for {
		r.mu.Lock()
		next := r.nextDeadlineLocked()
		now := r.clock.Now()
		if next.IsZero() {
			next = now.Add(time.Hour)
		}
		r.armedAt = next
		r.mu.Unlock()
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
	for _, c := range r.cfg.Instances {
		r.addInstanceLocked(c)
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
func (r *Router) addInstanceLocked(c InstanceConfig) *instance {
	l, ok := r.links[c.Interface]
	if !ok {
		l = &link{name: c.Interface, byVRID: map[uint8]*instance{}, waitErr: errNotOpened}
		r.links[c.Interface] = l
	}
	in := &instance{cfg: c, m: NewMachine(c.machineConfig(c.SrcAddr)), link: l, expect: c.expect(c.SrcAddr),
		prio: c.Priority, hidx: -1, src: c.SrcAddr}
	in.faults.init(c.AdvertInterval)
	if r.maint[c.Name] {
		in.m.Handle(time.Time{}, Maintenance{On: true}) // in Init: remembered for Startup
	}
	r.preopenAnnouncersLocked(in)
	r.heapAdd(in)
	l.byVRID[c.VRID] = in
	r.insts = append(r.insts, in)
	r.byName[c.Name] = in
	return in
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
				select {
				case <-r.stop:
					return
				case <-time.After(100 * time.Millisecond):
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

// restartWatch (re)subscribes to the interfaces the instances track.
func (r *Router) restartWatch(ctx context.Context) {
	if r.deps.Links == nil {
		return
	}
	r.mu.Lock()
	if r.watchEnd != nil {
		r.watchEnd()
	}
	var names []string
	for _, in := range r.insts {
		for _, n := range in.cfg.followed() {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	wctx, cancel := context.WithCancel(ctx)
	r.watchEnd = cancel
	r.mu.Unlock()
	if len(names) == 0 {
		return
	}
	ch, err := r.deps.Links.Watch(wctx, names)
	if err != nil {
		// Without link state the instances run as if every link were up;
		// the daemon sees the error in the log.
		r.log.Error("watch links", zap.Strings("interfaces", names), zap.Error(err))
		return
	}
	go func() {
		for {
			select {
			case <-wctx.Done():
				return
			case ev, ok := <-ch:
				if !ok {
					return
				}
				r.SetLink(ev.Name, ev.Up)
			}
		}
	}()
}

// SetLink records the state of an interface (the LinkWatcher feeds it;
// tests and the daemon may call it directly). An interface that comes
// back up gets a new transport and GARP sender, opened by name, since
// the old ones may be bound to an ifindex that is gone; one still
// waiting is tried again.
func (r *Router) SetLink(name string, up bool) {
	r.mu.Lock()
	now := r.clock.Now()
	wasUp, known := r.linkUp[name]
	r.followLinkLocked(now, name, known, wasUp, up)
	if wasUp != up || !known {
		r.linkUp[name] = up
		for _, in := range r.insts {
			if slices.Contains(in.cfg.watched(), name) {
				r.refreshLocked(now, in)
			}
		}
	}
	r.startReadyLocked(now)
	r.settleLocked(now)
	r.mu.Unlock()
	r.dispatch()
	r.poke()
}

// SetTrackScript records the result of a tracked script; every instance
// tracking it recomputes its priority (advertised at once while master)
// or enters or leaves Fault for a weight-0 script.
func (r *Router) SetTrackScript(name string, ok bool) {
	r.mu.Lock()
	if old, seen := r.scripts[name]; !seen || old != ok {
		r.scripts[name] = ok
		now := r.clock.Now()
		for _, in := range r.insts {
			for _, ts := range in.cfg.TrackScripts {
				if ts.Name == name {
					r.refreshLocked(now, in)
					break
				}
			}
		}
	}
	r.mu.Unlock()
	r.dispatch()
	r.poke()
}

// SetTrackFile records the number last read from a tracked file (0 for
// a missing or unreadable one); every instance tracking it recomputes its
// priority with value × its weight (advertised at once while master), or
// enters or leaves Fault when that reaches FileFaultDelta.
func (r *Router) SetTrackFile(name string, value int) {
	r.mu.Lock()
	if old, seen := r.files[name]; !seen || old != value {
		r.files[name] = value
		now := r.clock.Now()
		for _, in := range r.insts {
			for _, tf := range in.cfg.TrackFiles {
				if tf.Name == name {
					r.refreshLocked(now, in)
					break
				}
			}
		}
	}
	r.mu.Unlock()
	r.dispatch()
	r.poke()
}

func (r *Router) fileTracks(in *instance) []FileTrack {
	files := make([]FileTrack, len(in.cfg.TrackFiles))
	for i, tf := range in.cfg.TrackFiles {
		files[i] = FileTrack{Weight: tf.Weight, Value: r.files[tf.Name]}
	}
	return files
}

func (r *Router) scriptOK(name string) bool {
	ok, seen := r.scripts[name]
	return !seen || ok
}

// refreshLocked recomputes effective priority and fault of one instance
// (and its sync group) and feeds any change to the machines. Before
// Startup it only primes them.
func (r *Router) refreshLocked(now time.Time, in *instance) {
	tracks := make([]Track, len(in.cfg.TrackScripts))
	for i, ts := range in.cfg.TrackScripts {
		tracks[i] = Track{Weight: ts.Weight, OK: r.scriptOK(ts.Name)}
	}
	prio, fault := EffectivePriority(in.cfg.Priority, tracks, r.fileTracks(in)...)
	for _, n := range in.cfg.watched() {
		if up, ok := r.linkUp[n]; ok && !up {
			fault = true
		}
	}
	if in.link.tr == nil || in.faults.any() {
		fault = true
	}
	if prio != in.prio {
		in.prio = prio
		r.apply(now, in, in.m.Handle(now, PriorityChanged{prio}))
	}
	in.ownFault = fault
	if in.group == nil {
		r.apply(now, in, in.m.Handle(now, FaultChanged{fault}))
		return
	}
	gf := in.group.SetFault(in.cfg.Name, fault)
	for _, name := range in.group.members {
		if mem := r.byName[name]; mem != nil {
			r.apply(now, mem, mem.m.Handle(now, FaultChanged{gf}))
		}
	}
}

func (r *Router) receiveLocked(now time.Time, l *link, b []byte, meta RecvMeta) {
	adv, why := Parse(b, meta)
	if why != DropNone {
		l.counters.Dropped[why]++
		r.logDrop(now, l.name, meta.Src, why, adv.VRID)
		return
	}
	in := l.byVRID[adv.VRID]
	if in == nil {
		l.counters.Dropped[DropUnknownVRID]++
		r.logDrop(now, l.name, meta.Src, DropUnknownVRID, adv.VRID)
		return
	}
	if why := in.expect.Check(&adv, meta.Src); why != DropNone {
		in.counters.Dropped[why]++
		r.logDrop(now, l.name, meta.Src, why, adv.VRID)
		return
	}
	in.counters.AdvertsReceived++
	if adv.Priority == PriorityStop {
		in.counters.PriorityZeroReceived++
	}
	r.apply(now, in, in.m.Handle(now, AdvertReceived{Src: meta.Src, Priority: adv.Priority}))
}

// fireLocked delivers every deadline that has passed.
func (r *Router) fireLocked(now time.Time) {
	defer r.settleLocked(now)
	if !r.retryAt.IsZero() && !now.Before(r.retryAt) {
		r.retryWaitingLocked(now)
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
			r.apply(now, in, in.m.Handle(now, Timer{}))
		}
		if !in.garpAt.IsZero() && !now.Before(in.garpAt) {
			if in.garpRefresh {
				r.announceLocked(in, max(in.cfg.GARPRefreshRepeat, 1))
			} else {
				r.announceLocked(in, max(in.cfg.GARPMasterRepeat, 1))
				in.garpRefresh = true
			}
			in.garpAt = time.Time{}
			if in.cfg.GARPMasterRefresh > 0 {
				in.garpAt = now.Add(in.cfg.GARPMasterRefresh)
			}
		}
		r.touch(in)
	}
}

func (r *Router) nextDeadlineLocked() time.Time {
	if len(r.heap) == 0 {
		return r.retryAt
	}
	return earliest(r.heap[0].wake, r.retryAt)
}

// apply carries out a machine's actions in order.
// Failures found on the way (a send or VIP add failing) are acted on
// once the outermost apply is done, so one list of actions is never
// interleaved with the fault it causes.
func (r *Router) apply(now time.Time, in *instance, actions []Action) {
	r.applyDepth++
	defer func() {
		r.applyDepth--
		if r.applyDepth == 0 {
			r.settleLocked(now)
		}
	}()
	defer r.touch(in)
	for _, a := range actions {
		switch a := a.(type) {
		case SendAdvert:
			r.sendLocked(now, in, a.Priority)
		case AddVIPs:
			r.addVIPsLocked(now, in, in.cfg.vips())
		case RemoveVIPs:
			in.faults.vipsReleased()
			for _, v := range in.cfg.vips() {
				if err := r.deps.Addrs.Remove(v); err != nil {
					r.log.Error("remove vip", zap.String("instance", in.cfg.Name), zap.Stringer("vip", v.Prefix), zap.Error(err))
				}
			}
		case AnnounceVIPs:
			r.announceLocked(in, max(in.cfg.GARPMasterRepeat, 1))
			in.garpRefresh = in.cfg.GARPMasterDelay <= 0
			in.garpAt = time.Time{}
			switch {
			case in.cfg.GARPMasterDelay > 0:
				in.garpAt = now.Add(in.cfg.GARPMasterDelay)
			case in.cfg.GARPMasterRefresh > 0:
				in.garpAt = now.Add(in.cfg.GARPMasterRefresh)
			}
		case StopAnnouncing:
			in.garpAt, in.garpRefresh = time.Time{}, false
		case StateChanged:
			in.lastChange, in.lastReason = now, a.Reason
			if a.To == StateMaster {
				in.counters.BecameMaster++
			}
			sc := StateChange{Instance: in.cfg.Name, VRID: in.cfg.VRID, From: a.From, To: a.To,
				Reason: a.Reason, Priority: in.m.Priority(), At: now}
			if in.group != nil {
				sc.SyncGroup = in.group.Name()
			}
			r.log.Debug("vrrp transition", zap.String("instance", sc.Instance), zap.Uint8("vrid", sc.VRID),
				zap.Stringer("from", a.From), zap.Stringer("to", a.To), zap.String("reason", string(a.Reason)))
			r.pending = append(r.pending, sc)
			if in.group != nil {
				for _, o := range in.group.Observe(in.cfg.Name, a.From, a.To) {
					if mem := r.byName[o.Member]; mem != nil {
						r.apply(now, mem, mem.m.Handle(now, Force{o.To}))
					}
				}
			}
		}
	}
}

func (r *Router) sendLocked(now time.Time, in *instance, prio uint8) bool {
	adv := Advertisement{VRID: in.cfg.VRID, Priority: prio, AuthType: in.expect.AuthType,
		AdvertInt: in.expect.AdvertInt, Addresses: in.expect.Addresses, AuthData: in.expect.AuthData}
	var err error
	in.out, err = adv.AppendTo(in.out[:0])
	if err != nil { // checkConfig rules this out
		in.counters.SendErrors++
		r.log.Error("encode advert", zap.String("instance", in.cfg.Name), zap.Error(err))
		return false
	}
	dsts := in.cfg.UnicastPeers
	if len(dsts) == 0 {
		dsts = []netip.Addr{GroupAddr}
	}
	sent := false
	for _, dst := range dsts {
		if in.link.tr == nil {
			in.counters.SendErrors++
			continue
		}
		if err := in.link.tr.WriteTo(in.out, dst); err != nil {
			in.counters.SendErrors++
			if in.faults.logSend() {
				r.log.Warn("send advert", zap.String("instance", in.cfg.Name), zap.Stringer("dst", dst), zap.Error(err))
			}
			if deviceGone(err) {
				r.breakLinkLocked(now, in.link, err)
			}
			continue
		}
		sent = true
		in.counters.AdvertsSent++
		if prio == PriorityStop {
			in.counters.PriorityZeroSent++
		}
	}
	if prio != PriorityStop && in.m.State() == StateMaster {
		r.sendResultLocked(now, in, sent)
	}
	return sent
}

func (r *Router) announceLocked(in *instance, repeat int) {
	r.announceVIPsLocked(in.cfg.vips(), repeat)
}

func (r *Router) announceVIPsLocked(vips []VIPAddr, repeat int) {
	if r.deps.OpenAnnouncer == nil {
		return
	}
	now := r.clock.Now()
	for range repeat {
		for _, v := range vips {
			a := r.announcerLocked(now, v.Dev)
			if a == nil {
				continue
			}
			if err := a.Announce(v.Prefix.Addr()); err != nil {
				r.log.Warn("send garp", zap.String("dev", v.Dev), zap.Stringer("vip", v.Prefix), zap.Error(err))
				if deviceGone(err) {
					r.dropAnnouncerLocked(v.Dev)
				}
			}
		}
	}
}

// preopenAnnouncersLocked opens the gratuitous-ARP senders of in's VIP
// devices ahead of need. Opened lazily, the first one cost a link lookup
// and an AF_PACKET socket between a new master's first advert and its
// first GARP: 2 ms under load on the bench (bench/vrrp), where keepalived
// takes 50-100 µs. A failure is not recorded, so the open at the first
// announcement retries it and reports it (the device may appear later).
func (r *Router) preopenAnnouncersLocked(in *instance) {
	if r.deps.OpenAnnouncer == nil {
		return
	}
	for _, v := range in.cfg.vips() {
		if _, ok := r.annc[v.Dev]; ok {
			continue
		}
		if a, err := r.deps.OpenAnnouncer(v.Dev); err == nil {
			r.annc[v.Dev] = a
		}
	}
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

// Status returns a snapshot of every instance, in configuration order.
func (r *Router) Status() []Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Status, 0, len(r.insts))
	for _, in := range r.insts {
		s := Status{
			Name: in.cfg.Name, Interface: in.cfg.Interface, VRID: in.cfg.VRID,
			State: in.m.State(), BasePriority: in.cfg.Priority, EffectivePriority: in.m.Priority(),
			LastTransition: in.lastChange, LastReason: in.lastReason, Counters: in.counters,
			Maintenance: in.m.InMaintenance(), HandingOver: in.m.HandingOver(),
		}
		s.Master, s.MasterPriority = in.m.Master()
		if in.group != nil {
			s.SyncGroup = in.group.Name()
			if in.group.Faulty() && !in.ownFault {
				s.Faults = append(s.Faults, "group:"+in.group.Name())
			}
		}
		for _, v := range in.cfg.VIPs {
			s.VIPs = append(s.VIPs, v.Prefix)
		}
		for _, n := range in.cfg.watched() {
			if up, ok := r.linkUp[n]; ok && !up {
				s.Faults = append(s.Faults, "link:"+n)
			}
		}
		if in.link.tr == nil && in.link.waitErr != nil {
			s.Waiting = in.link.waitErr.Error()
			s.Faults = append(s.Faults, "waiting:"+s.Waiting)
		}
		s.Faults = append(s.Faults, in.faults.status()...)
		for _, ts := range in.cfg.TrackScripts {
			if ts.Weight == 0 && !r.scriptOK(ts.Name) {
				s.Faults = append(s.Faults, "script:"+ts.Name)
			}
		}
		for i, f := range r.fileTracks(in) {
			if _, fault := f.delta(); fault {
				s.Faults = append(s.Faults, "file:"+in.cfg.TrackFiles[i].Name)
			}
		}
		out = append(out, s)
	}
	return out
}

// InterfaceCounters returns, per interface, the drops counted before an
// instance could be identified (TTL, malformed, unknown VRID).
func (r *Router) InterfaceCounters() map[string]Counters {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]Counters, len(r.links))
	for n, l := range r.links {
		out[n] = l.counters
	}
	return out
}
