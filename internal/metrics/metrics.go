package metrics

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/lbhad/lbhad/internal/control"
)

// Source gives the status to export; the daemon's control.Source.
type Source interface {
	Snapshot() control.Snapshot
}

// States are the values of lbhad_vrrp_state's state label, one series
// each, so `lbhad_vrrp_state{state="MASTER"} == 1` selects the masters.
var States = []string{"INIT", "BACKUP", "MASTER", "FAULT", "STOP"}

const ns = "lbhad"

// vrrpLabels name a VRRP instance on every per-instance series. Not
// "instance": Prometheus puts its own target label there, and a series
// carrying one is renamed exported_instance at ingestion. vrid and
// interface let a query match the two directors of a pair, whose
// instance names may differ.
var vrrpLabels = []string{"vrrp_instance", "vrid", "interface"}

func vrrpFamily(name, help string, extra ...string) *family {
	return newFamily(ns+name, help, append(append([]string(nil), vrrpLabels...), extra...)...)
}

var (
	famVRRPState      = vrrpFamily("_vrrp_state", "VRRP state of an instance: 1 for the current state, 0 for the others.", "state")
	famWaiting        = vrrpFamily("_vrrp_instance_waiting", "1 while a configured instance waits for its interface (missing, no address) and is not in the election; lbhad status says why.")
	famPriority       = vrrpFamily("_vrrp_priority", "VRRP priority of an instance: kind=base is configured, kind=effective after tracked scripts and interfaces.", "kind")
	famMasterPrio     = vrrpFamily("_vrrp_master_priority", "Priority of the master last heard by an instance.")
	famAdvSent        = vrrpFamily("_vrrp_adverts_sent_total", "VRRP advertisements sent.")
	famAdvRecv        = vrrpFamily("_vrrp_adverts_received_total", "VRRP advertisements received and accepted.")
	famAdvDropped     = vrrpFamily("_vrrp_adverts_dropped_total", "VRRP advertisements discarded, by reason (RFC 3768 section 7.1 checks).", "reason")
	famIfDropped      = newFamily(ns+"_vrrp_interface_adverts_dropped_total", "VRRP advertisements an interface's socket discarded before matching them to an instance (hop limit, length, version, type, checksum, unknown VRID), by reason.", "interface", "family", "reason")
	famSendErrors     = vrrpFamily("_vrrp_send_errors_total", "VRRP advertisements that could not be sent.")
	famBecameMaster   = vrrpFamily("_vrrp_became_master_total", "Transitions of an instance to MASTER.")
	famRSUp           = newFamily(ns+"_real_server_up", "1 when the real server's check says up (or it has no check), 0 when down or not yet checked.", "vs", "rs")
	famRSWeight       = newFamily(ns+"_real_server_weight", "Weight of a real server: kind=configured from the config, kind=kernel in IPVS (absent when not in the table).", "vs", "rs", "kind")
	famRSActive       = newFamily(ns+"_real_server_active_connections", "Active connections to a real server, from IPVS.", "vs", "rs")
	famRSInact        = newFamily(ns+"_real_server_inactive_connections", "Inactive connections to a real server, from IPVS.", "vs", "rs")
	famRSConns        = newFamily(ns+"_real_server_connections_total", "Connections IPVS scheduled to a real server since it entered the table (ipvsadm --stats Conns; read at most every few seconds).", "vs", "rs")
	famRSPackets      = newFamily(ns+"_real_server_packets_total", "Packets IPVS forwarded for a real server since it entered the table, by direction (in: from clients, out: replies through the director).", "vs", "rs", "direction")
	famRSBytes        = newFamily(ns+"_real_server_bytes_total", "Bytes IPVS forwarded for a real server since it entered the table, by direction.", "vs", "rs", "direction")
	famVSConns        = newFamily(ns+"_virtual_server_connections_total", "Connections IPVS scheduled for a virtual server since it entered the table (ipvsadm --stats Conns; read at most every few seconds).", "vs")
	famVSPackets      = newFamily(ns+"_virtual_server_packets_total", "Packets IPVS handled for a virtual server since it entered the table, by direction (in: from clients, out: replies through the director).", "vs", "direction")
	famVSBytes        = newFamily(ns+"_virtual_server_bytes_total", "Bytes IPVS handled for a virtual server since it entered the table, by direction.", "vs", "direction")
	famQuorum         = newFamily(ns+"_virtual_server_quorum_up", "1 when the virtual server has quorum.", "vs")
	famScriptUp       = newFamily(ns+"_script_up", "1 when a vrrp_script succeeds, 0 when it fails or has not run.", "script")
	famIPVSReadable   = newFamily(ns+"_ipvs_table_readable", "1 when the IPVS table could be read at its last read (at most a few seconds old).")
	descNotifications = prometheus.NewDesc(ns+"_notifications_total", "Notifications by channel (script, email, webhook:NAME) and result: ok delivered, error failed after retries, dropped (queue full or shut down).", []string{"channel", "result"}, nil)
	famStartTime      = newFamily(ns+"_start_time_seconds", "When the daemon started, in seconds since the Unix epoch.")
	famDegraded       = newFamily(ns+"_component_degraded", "1 for each part of the daemon (vrrp, ipvs, checker, ...) that could not start or take the running config; see lbhad status for why. Absent when it runs.", "component")
	famBGPSession     = newFamily(ns+"_bgp_session_up", "1 while the BGP session with a neighbor is established.", "neighbor")
	famBGPAnnounced   = newFamily(ns+"_bgp_announced", "1 while lbhad announces the host route prefix over BGP, 0 while it holds it back (no quorum, maintenance, stopping); lbhad status says why.", "prefix")
	descBuildInfo     = prometheus.NewDesc(ns+"_build_info", "Always 1; the labels say which lbhad runs: version (module version or (devel)), revision (VCS commit, with -dirty for a modified tree) and goversion.", []string{"version", "revision", "goversion"}, nil)
)

// Metrics exports lbhad's state. Gauges and the VRRP counters are read
// from a Snapshot at scrape time, so the protocol paths never touch a
// metric; events that a snapshot cannot count (check attempts, IPVS
// writes, notifications, transitions, reloads) arrive through the
// Observe methods, which are cheap and safe for concurrent use.
type Metrics struct {
	src Source

	checks        *prometheus.CounterVec
	checkDuration *prometheus.HistogramVec
	ipvsOps       prometheus.Counter
	ipvsErrors    prometheus.Counter
	notify        func() map[string]NotificationCounts
	transitions   transitionCounts
	reloadOK      prometheus.Gauge
	reloadTime    prometheus.Gauge
	reloadFails   *prometheus.CounterVec
	build         BuildInfo
}

// New returns Metrics reading src at every scrape. src may be nil (only
// the Observe metrics are then exported).
func New(src Source) *Metrics {
	return &Metrics{
		src: src, build: ReadBuildInfo(),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "checks_total",
			Help: "Health check attempts by kind (http_get, ssl_get, tcp_check, misc_check, vrrp_script) and result (ok, fail).",
		}, []string{"kind", "result"}),
		checkDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "check_duration_seconds",
			Help:    "Duration of health check attempts by kind.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"}),
		ipvsOps: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "ipvs_operations_total", Help: "IPVS writes (service and destination adds, updates, deletes) done by the reconciler.",
		}),
		ipvsErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "ipvs_errors_total", Help: "IPVS reconciliations that failed.",
		}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Name: "config_reload_last_success", Help: "1 when the last config load or reload succeeded, 0 when it failed and the previous config is still running.",
		}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Name: "config_reload_last_success_timestamp_seconds", Help: "When the config was last loaded successfully, in seconds since the Unix epoch.",
		}),
		reloadFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "config_reload_failures_total", Help: "Reloads refused, by who refused: stage=config for an invalid file, else the component (vrrp, checker, ...) that rejected it. The previous config kept running.",
		}, []string{"stage"}),
	}
}

// NewRegistry returns a registry holding all of m (its Snapshot through
// Collect) and the standard Go runtime and process collectors, for a
// Gatherer of one's own; Serve's page uses registryWith(eventCollector).
func NewRegistry(m *Metrics) (*prometheus.Registry, error) { return registryWith(m) }

// registryWith returns a registry holding c and the Go runtime and
// process collectors.
func registryWith(c prometheus.Collector) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	if err := errors.Join(
		reg.Register(c),
		reg.Register(collectors.NewGoCollector()),
		reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})),
	); err != nil {
		return nil, err
	}
	return reg, nil
}

// ObserveCheck counts one check attempt; it fits checker's OnResult hook
// (kind is checker.Kind.String()).
func (m *Metrics) ObserveCheck(kind string, ok bool, latency time.Duration) {
	result := "fail"
	if ok {
		result = "ok"
	}
	m.checks.WithLabelValues(kind, result).Inc()
	m.checkDuration.WithLabelValues(kind).Observe(latency.Seconds())
}

// ObserveIPVS counts one reconciliation: its writes, and err if it
// failed (ipvssync.Reconciler.Sync's results).
func (m *Metrics) ObserveIPVS(writes int, err error) {
	if writes > 0 {
		m.ipvsOps.Add(float64(writes))
	}
	if err != nil {
		m.ipvsErrors.Inc()
	}
}

// NotificationCounts are one delivery channel's totals since start.
type NotificationCounts struct{ Delivered, Failed, Dropped uint64 }

// SetNotificationSource makes every scrape read the notifier's own
// counters (channel "script", "email", "webhook:NAME"), so the metric
// cannot drift from what the notifier counted. Call it before serving.
func (m *Metrics) SetNotificationSource(f func() map[string]NotificationCounts) { m.notify = f }

// ObserveTransition counts a VRRP state change of instance (with its
// virtual router id) into state to (vrrp.State.String(): "MASTER",
// "BACKUP", ...).
func (m *Metrics) ObserveTransition(instance string, vrid uint8, to string) {
	m.transitions.observe(instance, vrid, to)
}

// ObserveReload records a config load or reload at time at. A failed
// reload leaves the last-success timestamp alone.
func (m *Metrics) ObserveReload(ok bool, at time.Time) {
	if ok {
		m.reloadOK.Set(1)
		m.reloadTime.Set(float64(at.UnixNano()) / 1e9)
		return
	}
	m.reloadOK.Set(0)
}

// ObserveReloadFailure records a reload refused at stage: "config" when
// the file is invalid, else the name of the component that rejected it.
func (m *Metrics) ObserveReloadFailure(stage string) {
	m.reloadOK.Set(0)
	m.reloadFails.WithLabelValues(stage).Inc()
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range snapshotFamilies {
		ch <- f.desc
	}
	m.describeEvents(ch)
}

func (m *Metrics) describeEvents(ch chan<- *prometheus.Desc) {
	ch <- descBuildInfo
	m.checks.Describe(ch)
	m.checkDuration.Describe(ch)
	m.ipvsOps.Describe(ch)
	m.ipvsErrors.Describe(ch)
	ch <- descNotifications
	ch <- descTransitions
	m.reloadOK.Describe(ch)
	m.reloadTime.Describe(ch)
	m.reloadFails.Describe(ch)
}

// Collect implements prometheus.Collector: it takes one Snapshot and
// exports it, then the event metrics. The scrape page that Serve
// serves writes the Snapshot's series as text instead (page.go).
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	if m.src != nil {
		collectSnapshot(sink{ch: ch}, m.src.Snapshot())
	}
	m.collectEvents(ch)
}

// collectEvents sends what is not read from a Snapshot: the build, the
// Observe metrics and the notifier's counts.
func (m *Metrics) collectEvents(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descBuildInfo, prometheus.GaugeValue, 1, m.build.Version, m.build.Revision, m.build.GoVersion)
	m.checks.Collect(ch)
	m.checkDuration.Collect(ch)
	m.ipvsOps.Collect(ch)
	m.ipvsErrors.Collect(ch)
	if m.notify != nil {
		for channel, c := range m.notify() {
			for result, v := range map[string]uint64{"ok": c.Delivered, "error": c.Failed, "dropped": c.Dropped} {
				ch <- prometheus.MustNewConstMetric(descNotifications, prometheus.CounterValue, float64(v), channel, result)
			}
		}
	}
	m.transitions.collect(ch)
	m.reloadOK.Collect(ch)
	m.reloadTime.Collect(ch)
	m.reloadFails.Collect(ch)
}

// collectSnapshot hands every series read from s to out: the
// registry's const metrics (Collect) or the scrape page's text
// (textSink), one walk for both. It walks family by family, each
// family's series in one run, so that the text can be written as it
// comes (the text format wants a family's lines together): a family's
// series must not be split across two places below.
func collectSnapshot(out sink, s control.Snapshot) {
	gauge := func(f *family, v float64, labels ...string) { out.add(f, false, v, labels...) }
	counter := func(f *family, v uint64, labels ...string) { out.add(f, true, float64(v), labels...) }
	if !s.StartedAt.IsZero() {
		gauge(famStartTime, float64(s.StartedAt.UnixNano())/1e9)
	}
	gauge(famIPVSReadable, b2f(s.IPVSError == ""))
	seen := map[string]bool{}
	for _, p := range s.Degraded {
		if !seen[p.Component] {
			seen[p.Component] = true
			gauge(famDegraded, 1, p.Component)
		}
	}

	vrid := func(in control.InstanceStatus) string { return strconv.Itoa(int(in.VRID)) }
	for _, in := range s.Instances {
		for _, st := range States {
			gauge(famVRRPState, b2f(in.State == st), in.Name, vrid(in), in.Interface, st)
		}
	}
	for _, in := range s.Instances {
		gauge(famWaiting, b2f(in.Waiting != ""), in.Name, vrid(in), in.Interface)
	}
	for _, in := range s.Instances {
		gauge(famPriority, float64(in.BasePriority), in.Name, vrid(in), in.Interface, "base")
		gauge(famPriority, float64(in.EffectivePriority), in.Name, vrid(in), in.Interface, "effective")
	}
	for _, in := range s.Instances {
		gauge(famMasterPrio, float64(in.MasterPriority), in.Name, vrid(in), in.Interface)
	}
	for _, c := range []struct {
		f *family
		v func(control.Counters) uint64
	}{
		{famAdvSent, func(c control.Counters) uint64 { return c.AdvertsSent }},
		{famAdvRecv, func(c control.Counters) uint64 { return c.AdvertsReceived }},
		{famSendErrors, func(c control.Counters) uint64 { return c.SendErrors }},
		{famBecameMaster, func(c control.Counters) uint64 { return c.BecameMaster }},
	} {
		for _, in := range s.Instances {
			counter(c.f, c.v(in.Counters), in.Name, vrid(in), in.Interface)
		}
	}
	for _, in := range s.Instances {
		for reason, n := range in.Counters.Dropped {
			counter(famAdvDropped, n, in.Name, vrid(in), in.Interface, reason)
		}
	}
	for _, d := range s.InterfaceDrops {
		for reason, n := range d.Dropped {
			counter(famIfDropped, n, d.Interface, d.Family, reason)
		}
	}

	for _, vs := range s.VirtualServers {
		gauge(famQuorum, b2f(vs.QuorumUp), vs.Name)
	}
	for _, vs := range s.VirtualServers {
		if t := vs.Traffic; t != nil {
			counter(famVSConns, t.Conns, vs.Name)
		}
	}
	for _, vs := range s.VirtualServers {
		if t := vs.Traffic; t != nil {
			counter(famVSPackets, t.PacketsIn, vs.Name, "in")
			counter(famVSPackets, t.PacketsOut, vs.Name, "out")
		}
	}
	for _, vs := range s.VirtualServers {
		if t := vs.Traffic; t != nil {
			counter(famVSBytes, t.BytesIn, vs.Name, "in")
			counter(famVSBytes, t.BytesOut, vs.Name, "out")
		}
	}
	// eachRS walks every real server, by pointer: a status row is a few
	// hundred bytes and this walk runs once per family.
	eachRS := func(emit func(vs *control.VSStatus, rs *control.RSStatus)) {
		for i := range s.VirtualServers {
			vs := &s.VirtualServers[i]
			for j := range vs.RealServers {
				emit(vs, &vs.RealServers[j])
			}
		}
	}
	eachRS(func(vs *control.VSStatus, rs *control.RSStatus) {
		gauge(famRSUp, b2f(rs.Health == control.HealthUp), vs.Name, rs.Name)
	})
	eachRS(func(vs *control.VSStatus, rs *control.RSStatus) {
		gauge(famRSWeight, float64(rs.Weight), vs.Name, rs.Name, "configured")
		if rs.CurrentWeight != nil {
			gauge(famRSWeight, float64(*rs.CurrentWeight), vs.Name, rs.Name, "kernel")
		}
	})
	eachRS(func(vs *control.VSStatus, rs *control.RSStatus) {
		if rs.CurrentWeight != nil {
			gauge(famRSActive, float64(rs.ActiveConns), vs.Name, rs.Name)
		}
	})
	eachRS(func(vs *control.VSStatus, rs *control.RSStatus) {
		if rs.CurrentWeight != nil {
			gauge(famRSInact, float64(rs.InactConns), vs.Name, rs.Name)
		}
	})
	eachRS(func(vs *control.VSStatus, rs *control.RSStatus) {
		if t := rs.Traffic; t != nil {
			counter(famRSConns, t.Conns, vs.Name, rs.Name)
		}
	})
	eachRS(func(vs *control.VSStatus, rs *control.RSStatus) {
		if t := rs.Traffic; t != nil {
			counter(famRSPackets, t.PacketsIn, vs.Name, rs.Name, "in")
			counter(famRSPackets, t.PacketsOut, vs.Name, rs.Name, "out")
		}
	})
	eachRS(func(vs *control.VSStatus, rs *control.RSStatus) {
		if t := rs.Traffic; t != nil {
			counter(famRSBytes, t.BytesIn, vs.Name, rs.Name, "in")
			counter(famRSBytes, t.BytesOut, vs.Name, rs.Name, "out")
		}
	})

	for _, c := range s.Checks {
		gauge(famScriptUp, b2f(c.Health == control.HealthUp), c.Name)
	}
	if b := s.BGP; b != nil {
		for _, n := range b.Sessions {
			gauge(famBGPSession, b2f(n.Up), n.Neighbor)
		}
		for _, r := range b.Routes {
			gauge(famBGPAnnounced, b2f(r.Announced), r.Prefix)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
