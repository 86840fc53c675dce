package daemon

import (
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/metrics"
	"github.com/lbhad/lbhad/ipvssync"
	"github.com/lbhad/lbhad/vrrp"
)

// defaultComponents is the production set, in start order: IPVS first so
// the table is in place before this node can become master, then the
// checks that feed it and VRRP. Stop runs in reverse, so VRRP hands the
// VIPs to the peer (priority-0 advert) before the table is removed.
//
// Notifications start first and stop last, so the STOP notices VRRP
// sends while shutting down are still delivered.
func defaultComponents(env Env) []Component {
	log, m := env.Log, env.Metrics
	nc := newNotifyComponent(log)
	m.SetNotificationSource(nc.counts)
	// The connection sync daemon's role follows VRRP; it starts after
	// the table is programmed and stops after VRRP has handed over.
	sd := NewSyncdComponent(log, nil)
	vr := newVRRPComponent(log, func(sc vrrp.StateChange) {
		m.ObserveTransition(sc.Instance, sc.To.String())
		nc.VRRPStateChange(sc)
		sd.VRRPStateChange(sc)
		if env.StatusChanged != nil {
			env.StatusChanged()
		}
	})
	ip := newIPVSComponent(log, ipvssync.Open, nc.QuorumChange)
	ipLoop := env.Loops.Add("ipvs", ipvsPeriod)
	ip.observe = m.ObserveIPVS
	ip.beat = ipLoop.Beat
	ch := newChecksComponent(log, vr.SetTrackScript, func(ref realRef, ev checker.Event) {
		ip.RealServerEvent(ref.key, ev)
		nc.RealServerChange(ref, ev)
	})
	chLoop := env.Loops.Add("checker", checkerPeriod)
	ch.observe = func(kind string, ok bool, latency time.Duration) {
		chLoop.Beat() // a result reached the engine's loop
		m.ObserveCheck(kind, ok, latency)
	}
	// Track files start before VRRP so their numbers are in place when
	// the router is built (vr remembers them until then).
	tf := newTrackFileComponent(log, vr.SetTrackFile)
	// Maintenance (maint.go) starts before IPVS and VRRP so both come up
	// with the saved state already applied.
	mc := newMaintComponent(log, nc.send)
	mc.vr, mc.ip, vr.onRouter, ip.maint, ip.maintLeft = vr, ip, mc.applyRouter, mc.marks, mc.markOut

	// The IPVS loop has nothing to do between health changes: wake it
	// at every watchdog look (no sync, no table read) and it beats; a
	// loop stuck in a sync cannot. The VRRP loop is judged from its
	// status (see vrrpProgress).
	ipLoop.SetProbe(ip.ping)
	vrLoop := env.Loops.Add("vrrp", vrrpPeriod)
	var vp vrrpProgress
	vrLoop.SetProbe(func() {
		if vp.observe(vr.Status()) {
			vrLoop.Beat()
		}
	})
	return []Component{nc, mc, ip, sd, ch, tf, vr}
}

// CheckConfig asks every default component whether it could run cfg,
// starting nothing: what `lbhad validate` shares with start and reload,
// so a file validate accepts is not refused by the daemon.
func CheckConfig(cfg *config.Config) error {
	comps := defaultComponents(Env{Log: zap.NewNop(), Metrics: metrics.New(nil)})
	if rej := checkAll(comps, cfg); rej != nil {
		return rej
	}
	return nil
}

// vrrpProgress tells from successive status reads whether the router's
// loop moves: the status could be read at all (nothing holds the
// router's lock), and while some instance is master, the masters
// together sent something since the previous read, which only the
// loop's timers do. A backup's loop only waits for adverts, so for it
// the read is all the proof there is.
type vrrpProgress struct {
	sent    uint64
	masters bool
}

func (p *vrrpProgress) observe(st []vrrp.Status) bool {
	var sent uint64
	masters := false
	for _, s := range st {
		if s.State == vrrp.StateMaster {
			masters = true
			sent += s.Counters.AdvertsSent + s.Counters.PriorityZeroSent + s.Counters.SendErrors
		}
	}
	ok := !masters || !p.masters || sent != p.sent
	p.sent, p.masters = sent, masters
	return ok
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
