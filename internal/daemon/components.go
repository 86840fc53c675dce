package daemon

import (
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/bgp"
	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/internal/metrics"
	"github.com/lbhad/lbhad/ipvssync"
	"github.com/lbhad/lbhad/vrrp"
)

// Ports are what the daemon needs from the machine, each a function
// or interface so tests can run the whole daemon, wired as in
// production, on fakes. A nil field is the real thing.
type Ports struct {
	// OpenIPVS opens the kernel's IPVS table; nil is ipvssync.Open.
	OpenIPVS func() (ipvssync.Handle, error)
	// OpenSyncDaemons opens the control of the IPVS connection sync
	// daemons; nil is lbhad's own network namespace.
	OpenSyncDaemons func() (SyncDaemonControl, error)
	// OpenTransport opens the VRRP socket of an interface; nil is
	// vrrp.DialTransport.
	OpenTransport func(ifname string, o vrrp.TransportOptions) (vrrp.Transport, error)
	// NewCheck makes the checker of a health check or vrrp_script (it
	// runs the script); nil is checker.New.
	NewCheck func(checker.Spec) (checker.Checker, error)
	// Clock is the one clock of the daemon: VRRP timers, the check
	// scheduler, event stamps and webhook retries, IPVS drains, retries
	// and resyncs, maintenance marks and the watchdog; nil is
	// clock.Real().
	Clock clock.Clock
	// ServiceManager hears READY=1, STATUS= and the watchdog pings; nil
	// is none.
	ServiceManager ServiceManager
	// NewSpeaker makes the BGP speaker; nil is bgp.NewGoBGP.
	NewSpeaker func() bgp.Speaker
	// SetIPVSSloppy turns on IPVS's sloppy_tcp/sloppy_sctp (bgp
	// ipvs_sloppy); nil writes them under /proc/sys when OpenIPVS is
	// nil too (the real table), and does nothing for a fake table,
	// which has no settings: a test never changes its host.
	SetIPVSSloppy func(tcp, sctp bool) error
	// ReleaseMemory gives the kernel back what a start, a reload or a
	// burst of changes left behind (see memory.go); nil is
	// releaseMemory.
	ReleaseMemory func()

	vrrpClock clock.Clock // Clock, or clock.Precise for the real one
}

func (p Ports) withDefaults() Ports {
	if p.SetIPVSSloppy == nil {
		p.SetIPVSSloppy = setIPVSSloppy
		if p.OpenIPVS != nil {
			p.SetIPVSSloppy = func(bool, bool) error { return nil }
		}
	}
	if p.OpenIPVS == nil {
		p.OpenIPVS = ipvssync.Open
	}
	switch {
	case p.vrrpClock != nil: // defaults already applied
	case p.Clock == nil:
		// The VRRP timers decide when a backup takes over; they get
		// the wall clock's precise timers (same time, sharper wakes).
		p.Clock, p.vrrpClock = clock.Real(), clock.Precise()
	default:
		p.vrrpClock = p.Clock
	}
	if p.ServiceManager == nil {
		p.ServiceManager = noServiceManager{}
	}
	if p.ReleaseMemory == nil {
		p.ReleaseMemory = releaseMemory
	}
	return p // the others default inside their component
}

// Parts are the daemon's components by name. Run starts them in the
// order of List and stops them in reverse; the status, the STATUS=
// line, the lifecycle notices and the control commands use the fields.
// A nil field is a part a test left out (Options.Components).
type Parts struct {
	Notify     *notifyComponent
	Maint      *maintComponent
	IPVS       *ipvsComponent
	Syncd      *SyncdComponent
	Checks     *checksComponent
	TrackFiles *trackFileComponent
	VRRP       *vrrpComponent
	BGP        *bgpComponent
}

// List is the parts in start order: notifications first and last to
// stop, so the STOP notices VRRP sends while shutting down are still
// delivered; maintenance before IPVS and VRRP so both come up with the
// saved state applied; IPVS before the checks that feed it and VRRP,
// so the table is in place before this node can become master, and
// VRRP stops first, handing the VIPs to the peer (priority-0 advert)
// before the table is removed. The connection sync daemon's role
// follows VRRP; it starts after the table is programmed and stops
// after VRRP has handed over. Track files start before VRRP so their
// numbers are in place when the router is built. BGP starts last, when
// the table and the checks that decide quorum run, and stops first:
// the routes are withdrawn, and the routers given withdraw_wait to move
// the flows, before anything that forwards them stops.
func (p *Parts) List() []Component {
	return []Component{p.Notify, p.Maint, p.IPVS, p.Syncd, p.Checks, p.TrackFiles, p.VRRP, p.BGP}
}

// build makes the whole daemon from env and ports and connects the
// parts: the one place that knows who tells whom. Production (Run),
// CheckConfig and the daemon's tests all call it.
func build(env Env, ports Ports) *Parts {
	ports = ports.withDefaults()
	log, m := env.Log, env.Metrics
	p := &Parts{}
	p.Notify = newNotifyComponent(log, ports.Clock)
	m.SetNotificationSource(p.Notify.counts)
	p.Syncd = NewSyncdComponent(log, ports.OpenSyncDaemons)
	// The parts below reach each other through closures over p, so
	// every link is given at construction, here, even where two parts
	// need each other (maintenance and IPVS).
	p.Maint = newMaintComponent(log, ports.Clock, maintLinks{
		announce:        p.Notify.send,
		router:          func() *vrrp.Router { return p.VRRP.currentRouter() },
		resync:          func() { p.IPVS.poke() },
		directorChanged: func() { p.BGP.MaintChanged() },
	})
	p.BGP = newBGPComponent(log, ports.NewSpeaker, ports.Clock, bgpLinks{
		directorMaint: p.Maint.directorInMaint,
		changed:       env.StatusChanged,
		setSloppy:     ports.SetIPVSSloppy,
	})
	vrLoop := env.Loops.Add("vrrp", vrrpPeriod)
	p.VRRP = newVRRPComponent(log, func(sc vrrp.StateChange) {
		m.ObserveTransition(sc.Instance, sc.VRID, sc.To.String())
		p.Notify.VRRPStateChange(sc)
		p.Syncd.VRRPStateChange(sc)
		if env.StatusChanged != nil {
			env.StatusChanged()
		}
	}, p.Maint.applyRouter, ports.OpenTransport, ports.vrrpClock, vrLoop.Beat)

	ipLoop := env.Loops.Add("ipvs", ipvsPeriod)
	p.IPVS = newIPVSComponent(log, ports.OpenIPVS, ports.Clock, ipvsLinks{
		onQuorum: func(qc ipvssync.QuorumChange) {
			p.Notify.QuorumChange(qc)
			p.BGP.QuorumChange(qc)
		},
		onOmegaDown: func(vs *config.VirtualServer, rs *config.RealServer) {
			p.Notify.RealServerChange(realRef{vs: vs, rs: rs},
				checker.Event{Up: false, StateChanged: true, Reason: "lbhad stopping (omega)", Time: ports.Clock.Now()})
		},
		observe:   m.ObserveIPVS,
		beat:      ipLoop.Beat,
		maint:     p.Maint.marks,
		maintLeft: p.Maint.markOut,
	})

	chLoop := env.Loops.Add("checker", checkerPeriod)
	p.Checks = newChecksComponent(log, p.VRRP.SetTrackScript, func(ref realRef, ev checker.Event) {
		p.IPVS.RealServerEvent(ref.key(), ev)
		p.Notify.RealServerChange(ref, ev)
	}, func(kind string, ok bool, latency time.Duration) {
		chLoop.Beat() // a result reached the engine's loop
		m.ObserveCheck(kind, ok, latency)
	}, ports.NewCheck, ports.Clock)
	p.TrackFiles = newTrackFileComponent(log, p.VRRP.SetTrackFile)

	// The IPVS loop and the VRRP router's loop may have nothing to do
	// between events (a backup only waits): the watchdog wakes each at
	// every look and each beats from inside its own loop, which a loop
	// stuck in a sync or behind a held lock cannot.
	ipLoop.SetProbe(p.IPVS.ping)
	vrLoop.SetProbe(p.VRRP.Ping)
	return p
}

// CheckConfig asks every part whether it could run cfg, starting
// nothing: what `lbhad validate` shares with start and reload, so a file
// validate accepts is not refused by the daemon.
func CheckConfig(cfg *config.Config) error {
	// A placeholder speaker: a bgp block is valid in a binary built
	// without GoBGP too (cmd/lbhad runs the full one for it), and Check
	// opens no speaker.
	p := build(Env{Log: zap.NewNop(), Metrics: metrics.New(nil)}, Ports{NewSpeaker: func() bgp.Speaker { return &bgp.Fake{} }})
	if rej := checkAll(p.List(), cfg); rej != nil {
		return rej
	}
	return nil
}

// vrrpPeriod allows two of the slowest advert intervals (a master sends
// one each) plus two watchdog looks; 0 without instances.
func vrrpPeriod(cfg *config.Config, iv time.Duration) time.Duration {
	var adv time.Duration
	for _, in := range cfg.Instances {
		adv = max(adv, in.AdvertInterval)
	}
	if len(cfg.Instances) == 0 {
		return 0
	}
	return 2*adv + 2*iv
}

// checkerPeriod allows two rounds of the slowest check, with its
// warm-up, timeout and retries, plus two watchdog looks; 0 without
// checks (the engine then does not run).
func checkerPeriod(cfg *config.Config, iv time.Duration) time.Duration {
	specs, _, _ := checkSpecs(cfg) // an unknown kind is refused by checkChecks
	var worst time.Duration
	for _, s := range specs {
		every := s.Interval
		if every <= 0 {
			every = 60 * time.Second
		}
		t := s.ConnectTimeout
		if s.Misc != nil && s.Misc.Timeout > 0 {
			t = s.Misc.Timeout
		}
		if t <= 0 {
			t = 5 * time.Second
		}
		delay := s.DelayBeforeRetry
		if delay <= 0 {
			delay = time.Second
		}
		worst = max(worst, every+t+s.Warmup+time.Duration(s.Retry)*(delay+t))
	}
	if len(specs) == 0 {
		return 0
	}
	return 2*worst + 2*iv
}

// ipvsPeriod: the probe asks for a sync every watchdog look, so three
// looks without one mean the loop is stuck; 0 without virtual servers.
func ipvsPeriod(cfg *config.Config, iv time.Duration) time.Duration {
	if len(cfg.VirtualServers) == 0 {
		return 0
	}
	return 3 * iv
}
