package metrics

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/ipvssync"
	"github.com/lbhad/lbhad/vrrp"
)

const secretHCL = `
global {
  router_id = "lb1"
  notification {
    email {
      server   = "smtp.example.com"
      from     = "lbhad@example.com"
      to       = ["ops@example.com"]
      password = "SMTPpw-9f3a"
    }
    webhook "chat" {
      url     = "https://hooks.example.com/x?token=URLtok-51e2"
      secret  = "HOOKsec-4d2b"
      headers = { "Authorization" = "Bearer HDRtok-0c9e" }
    }
  }
}
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  authentication {
    auth_type = "pass"
    auth_pass = "AP-6e1x"
  }
  virtual_ipaddress = ["192.0.2.50/24"]
}
virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "rs1" {
    address = "192.0.2.7:80"
    weight  = 3
    tcp_check {}
  }
  real_server "rs2" {
    address = "192.0.2.8:80"
    tcp_check {}
  }
}
`

var secrets = []string{"SMTPpw-9f3a", "URLtok-51e2", "HOOKsec-4d2b", "HDRtok-0c9e", "AP-6e1x"}

type fakeSource struct{ snap control.Snapshot }

func (f fakeSource) Snapshot() control.Snapshot { return f.snap }

func fixture(t *testing.T) control.Snapshot {
	t.Helper()
	cfg, diags := config.Parse([]byte(secretHCL), "test.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var c vrrp.Counters
	c.AdvertsSent, c.AdvertsReceived, c.BecameMaster = 100, 5, 2
	c.Dropped[vrrp.DropAuth] = 4
	vs := cfg.VirtualServers[0]
	svc := ipvssync.ServiceKeyOf(vs)
	rk := ipvssync.RealKeyOf(vs, vs.RealServers[0])
	return control.Build(control.Input{
		Config: cfg, StartedAt: time.Unix(1700000000, 0), Now: time.Unix(1700000100, 0),
		VRRP: []vrrp.Status{{Name: "VI_1", Interface: "eth0", VRID: 51, State: vrrp.StateMaster,
			BasePriority: 150, EffectivePriority: 130, MasterPriority: 130, Counters: c},
			{Name: "VI_2", Interface: "late0", VRID: 52, State: vrrp.StateInit, BasePriority: 100,
				EffectivePriority: 100, Waiting: "interface late0 not found"}},
		Checks: []checker.Status{
			{Spec: &checker.Spec{Kind: checker.KindTCP, VirtualServer: "web", Target: netip.MustParseAddrPort("192.0.2.7:80")}, State: checker.StateUp},
			{Spec: &checker.Spec{Kind: checker.KindTCP, VirtualServer: "web", Target: netip.MustParseAddrPort("192.0.2.8:80")}, State: checker.StateDown},
			{Spec: &checker.Spec{Kind: checker.KindScript, Name: "chk_nginx"}, State: checker.StateUp},
		},
		Table: ipvssync.Table{svc: {Service: ipvssync.Service{Key: svc, Stats: ipvssync.Stats{Conns: 20, PacketsIn: 200, PacketsOut: 150, BytesIn: 2e4, BytesOut: 3e5, CPS: 2}},
			Dests: map[ipvssync.DestKey]ipvssync.Destination{
				rk.Dest: {Addr: rk.Dest.Addr, Port: rk.Dest.Port, Weight: 3, ActiveConns: 7, InactConns: 9,
					Stats: ipvssync.Stats{Conns: 12, PacketsIn: 120, PacketsOut: 90, BytesIn: 1.2e4, BytesOut: 1.8e5}},
			}}},
	})
}

func TestSnapshotMetrics(t *testing.T) {
	m := New(fakeSource{fixture(t)})
	m.SetBuildInfo(BuildInfo{Version: "v1.2.3", Revision: "0123abc-dirty", GoVersion: "go1.26.0"})
	want := `
# HELP lbhad_vrrp_state VRRP state of an instance: 1 for the current state, 0 for the others.
# TYPE lbhad_vrrp_state gauge
lbhad_vrrp_state{interface="eth0",state="BACKUP",vrid="51",vrrp_instance="VI_1"} 0
lbhad_vrrp_state{interface="eth0",state="FAULT",vrid="51",vrrp_instance="VI_1"} 0
lbhad_vrrp_state{interface="eth0",state="INIT",vrid="51",vrrp_instance="VI_1"} 0
lbhad_vrrp_state{interface="eth0",state="MASTER",vrid="51",vrrp_instance="VI_1"} 1
lbhad_vrrp_state{interface="eth0",state="STOP",vrid="51",vrrp_instance="VI_1"} 0
lbhad_vrrp_state{interface="late0",state="BACKUP",vrid="52",vrrp_instance="VI_2"} 0
lbhad_vrrp_state{interface="late0",state="FAULT",vrid="52",vrrp_instance="VI_2"} 0
lbhad_vrrp_state{interface="late0",state="INIT",vrid="52",vrrp_instance="VI_2"} 1
lbhad_vrrp_state{interface="late0",state="MASTER",vrid="52",vrrp_instance="VI_2"} 0
lbhad_vrrp_state{interface="late0",state="STOP",vrid="52",vrrp_instance="VI_2"} 0
# HELP lbhad_vrrp_instance_waiting 1 while a configured instance waits for its interface (missing, no address) and is not in the election; lbhad status says why.
# TYPE lbhad_vrrp_instance_waiting gauge
lbhad_vrrp_instance_waiting{interface="eth0",vrid="51",vrrp_instance="VI_1"} 0
lbhad_vrrp_instance_waiting{interface="late0",vrid="52",vrrp_instance="VI_2"} 1
# HELP lbhad_vrrp_priority VRRP priority of an instance: kind=base is configured, kind=effective after tracked scripts and interfaces.
# TYPE lbhad_vrrp_priority gauge
lbhad_vrrp_priority{interface="eth0",kind="base",vrid="51",vrrp_instance="VI_1"} 150
lbhad_vrrp_priority{interface="eth0",kind="effective",vrid="51",vrrp_instance="VI_1"} 130
lbhad_vrrp_priority{interface="late0",kind="base",vrid="52",vrrp_instance="VI_2"} 100
lbhad_vrrp_priority{interface="late0",kind="effective",vrid="52",vrrp_instance="VI_2"} 100
# HELP lbhad_vrrp_adverts_sent_total VRRP advertisements sent.
# TYPE lbhad_vrrp_adverts_sent_total counter
lbhad_vrrp_adverts_sent_total{interface="eth0",vrid="51",vrrp_instance="VI_1"} 100
lbhad_vrrp_adverts_sent_total{interface="late0",vrid="52",vrrp_instance="VI_2"} 0
# HELP lbhad_vrrp_adverts_received_total VRRP advertisements received and accepted.
# TYPE lbhad_vrrp_adverts_received_total counter
lbhad_vrrp_adverts_received_total{interface="eth0",vrid="51",vrrp_instance="VI_1"} 5
lbhad_vrrp_adverts_received_total{interface="late0",vrid="52",vrrp_instance="VI_2"} 0
# HELP lbhad_vrrp_adverts_dropped_total VRRP advertisements discarded, by reason (RFC 3768 section 7.1 checks).
# TYPE lbhad_vrrp_adverts_dropped_total counter
lbhad_vrrp_adverts_dropped_total{interface="eth0",reason="auth",vrid="51",vrrp_instance="VI_1"} 4
# HELP lbhad_vrrp_became_master_total Transitions of an instance to MASTER.
# TYPE lbhad_vrrp_became_master_total counter
lbhad_vrrp_became_master_total{interface="eth0",vrid="51",vrrp_instance="VI_1"} 2
lbhad_vrrp_became_master_total{interface="late0",vrid="52",vrrp_instance="VI_2"} 0
# HELP lbhad_real_server_up 1 when the real server's check says up (or it has no check), 0 when down or not yet checked.
# TYPE lbhad_real_server_up gauge
lbhad_real_server_up{rs="rs1",vs="web"} 1
lbhad_real_server_up{rs="rs2",vs="web"} 0
# HELP lbhad_real_server_weight Weight of a real server: kind=configured from the config, kind=kernel in IPVS (absent when not in the table).
# TYPE lbhad_real_server_weight gauge
lbhad_real_server_weight{kind="configured",rs="rs1",vs="web"} 3
lbhad_real_server_weight{kind="configured",rs="rs2",vs="web"} 1
lbhad_real_server_weight{kind="kernel",rs="rs1",vs="web"} 3
# HELP lbhad_real_server_active_connections Active connections to a real server, from IPVS.
# TYPE lbhad_real_server_active_connections gauge
lbhad_real_server_active_connections{rs="rs1",vs="web"} 7
# HELP lbhad_real_server_connections_total Connections IPVS scheduled to a real server since it entered the table (ipvsadm --stats Conns; read at most every few seconds).
# TYPE lbhad_real_server_connections_total counter
lbhad_real_server_connections_total{rs="rs1",vs="web"} 12
# HELP lbhad_real_server_packets_total Packets IPVS forwarded for a real server since it entered the table, by direction (in: from clients, out: replies through the director).
# TYPE lbhad_real_server_packets_total counter
lbhad_real_server_packets_total{direction="in",rs="rs1",vs="web"} 120
lbhad_real_server_packets_total{direction="out",rs="rs1",vs="web"} 90
# HELP lbhad_real_server_bytes_total Bytes IPVS forwarded for a real server since it entered the table, by direction.
# TYPE lbhad_real_server_bytes_total counter
lbhad_real_server_bytes_total{direction="in",rs="rs1",vs="web"} 12000
lbhad_real_server_bytes_total{direction="out",rs="rs1",vs="web"} 180000
# HELP lbhad_virtual_server_connections_total Connections IPVS scheduled for a virtual server since it entered the table (ipvsadm --stats Conns; read at most every few seconds).
# TYPE lbhad_virtual_server_connections_total counter
lbhad_virtual_server_connections_total{vs="web"} 20
# HELP lbhad_virtual_server_packets_total Packets IPVS handled for a virtual server since it entered the table, by direction (in: from clients, out: replies through the director).
# TYPE lbhad_virtual_server_packets_total counter
lbhad_virtual_server_packets_total{direction="in",vs="web"} 200
lbhad_virtual_server_packets_total{direction="out",vs="web"} 150
# HELP lbhad_virtual_server_bytes_total Bytes IPVS handled for a virtual server since it entered the table, by direction.
# TYPE lbhad_virtual_server_bytes_total counter
lbhad_virtual_server_bytes_total{direction="in",vs="web"} 20000
lbhad_virtual_server_bytes_total{direction="out",vs="web"} 300000
# HELP lbhad_virtual_server_quorum_up 1 when the virtual server has quorum.
# TYPE lbhad_virtual_server_quorum_up gauge
lbhad_virtual_server_quorum_up{vs="web"} 1
# HELP lbhad_script_up 1 when a vrrp_script succeeds, 0 when it fails or has not run.
# TYPE lbhad_script_up gauge
lbhad_script_up{script="chk_nginx"} 1
# HELP lbhad_ipvs_table_readable 1 when the IPVS table could be read at its last read (at most a few seconds old).
# TYPE lbhad_ipvs_table_readable gauge
lbhad_ipvs_table_readable 1
# HELP lbhad_start_time_seconds When the daemon started, in seconds since the Unix epoch.
# TYPE lbhad_start_time_seconds gauge
lbhad_start_time_seconds 1.7e+09
# HELP lbhad_build_info Always 1; the labels say which lbhad runs: version (module version or (devel)), revision (VCS commit, with -dirty for a modified tree) and goversion.
# TYPE lbhad_build_info gauge
lbhad_build_info{goversion="go1.26.0",revision="0123abc-dirty",version="v1.2.3"} 1
`
	names := []string{"lbhad_vrrp_state", "lbhad_vrrp_priority", "lbhad_vrrp_adverts_sent_total",
		"lbhad_vrrp_adverts_received_total", "lbhad_vrrp_adverts_dropped_total", "lbhad_vrrp_became_master_total",
		"lbhad_real_server_up", "lbhad_real_server_weight", "lbhad_real_server_active_connections",
		"lbhad_virtual_server_quorum_up", "lbhad_script_up", "lbhad_ipvs_table_readable", "lbhad_start_time_seconds",
		"lbhad_vrrp_instance_waiting", "lbhad_real_server_connections_total", "lbhad_real_server_packets_total",
		"lbhad_real_server_bytes_total", "lbhad_virtual_server_connections_total", "lbhad_virtual_server_packets_total",
		"lbhad_virtual_server_bytes_total", "lbhad_build_info"}
	if err := testutil.CollectAndCompare(m, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	// Every metric passes the linter (names, units, help).
	problems, err := testutil.CollectAndLint(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
}

func TestObserve(t *testing.T) {
	m := New(nil)
	m.ObserveCheck("http_get", true, 20*time.Millisecond)
	m.ObserveCheck("http_get", false, 5*time.Second)
	m.ObserveCheck("tcp_check", true, time.Millisecond)
	m.ObserveIPVS(3, nil)
	m.ObserveIPVS(0, errors.New("netlink: no such file"))
	m.ObserveIPVS(0, nil)
	m.ObserveTransition("VI_1", 51, "MASTER")
	m.ObserveTransition("VI_1", 51, "MASTER")
	m.ObserveReload(true, time.Unix(1700000000, 500000000))
	m.ObserveReload(false, time.Unix(1700000500, 0))

	for _, tc := range []struct {
		c    prometheus.Collector
		want float64
	}{
		{m.checks.WithLabelValues("http_get", "ok"), 1},
		{m.checks.WithLabelValues("http_get", "fail"), 1},
		{m.checks.WithLabelValues("tcp_check", "ok"), 1},
		{m.ipvsOps, 3},
		{m.ipvsErrors, 1},
		{m.reloadOK, 0},
		{m.reloadTime, 1700000000.5}, // the failed reload keeps the last success
	} {
		if got := testutil.ToFloat64(tc.c); got != tc.want {
			t.Errorf("%v = %v, want %v", tc.c, got, tc.want)
		}
	}
	// The histogram has the two kinds with their counts and sums.
	if n := testutil.CollectAndCount(m.checkDuration, "lbhad_check_duration_seconds"); n != 2 {
		t.Errorf("check_duration series = %d, want 2", n)
	}
	reg, err := NewRegistry(m)
	if err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() != "lbhad_check_duration_seconds" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			if mt.GetLabel()[0].GetValue() != "http_get" {
				continue
			}
			found = true
			h := mt.GetHistogram()
			if h.GetSampleCount() != 2 || math.Abs(h.GetSampleSum()-5.02) > 1e-9 {
				t.Errorf("http_get histogram count %d sum %v, want 2 5.02", h.GetSampleCount(), h.GetSampleSum())
			}
		}
	}
	if !found {
		t.Error("no http_get series in lbhad_check_duration_seconds")
	}
}

// TestScrapeHasNoSecrets serves a registry over HTTP, as Prometheus
// sees it, and looks for every secret of the config in the page.
func TestScrapeHasNoSecrets(t *testing.T) {
	m := New(fakeSource{fixture(t)})
	m.SetNotificationSource(func() map[string]NotificationCounts {
		return map[string]NotificationCounts{"webhook:chat": {Delivered: 1}}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, ln, m) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeListener: %v", err)
		}
	}()
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	page := string(body)
	for _, want := range []string{`lbhad_vrrp_state{interface="eth0",state="MASTER",vrid="51",vrrp_instance="VI_1"} 1`, "go_goroutines", `lbhad_notifications_total{channel="webhook:chat",result="ok"} 1`} {
		if !strings.Contains(page, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	for _, s := range secrets {
		if strings.Contains(page, s) {
			t.Errorf("scrape contains secret %q", s)
		}
	}
}

func TestServeBadAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Serve(context.Background(), ln.Addr().String(), New(nil))
	if err == nil || !strings.Contains(err.Error(), "listen for metrics on") {
		t.Errorf("Serve on a taken port: %v", err)
	}
}

// TestNotificationCounts exports the notifier's own counters at scrape
// time, one series per channel and result.
func TestNotificationCounts(t *testing.T) {
	m := New(nil)
	m.SetNotificationSource(func() map[string]NotificationCounts {
		return map[string]NotificationCounts{"webhook:chat": {Delivered: 5, Failed: 2}, "email": {Dropped: 1}}
	})
	want := `
# HELP lbhad_notifications_total Notifications by channel (script, email, webhook:NAME) and result: ok delivered, error failed after retries, dropped (queue full or shut down).
# TYPE lbhad_notifications_total counter
lbhad_notifications_total{channel="email",result="dropped"} 1
lbhad_notifications_total{channel="email",result="error"} 0
lbhad_notifications_total{channel="email",result="ok"} 0
lbhad_notifications_total{channel="webhook:chat",result="dropped"} 0
lbhad_notifications_total{channel="webhook:chat",result="error"} 2
lbhad_notifications_total{channel="webhook:chat",result="ok"} 5
`
	if err := testutil.CollectAndCompare(m, strings.NewReader(want), "lbhad_notifications_total"); err != nil {
		t.Error(err)
	}
}

// A refused reload is counted by who refused it, clears the success
// gauge, and each degraded component is one series however many
// problems it has.
func TestReloadFailureAndDegraded(t *testing.T) {
	m := New(fakeSource{control.Snapshot{Degraded: []control.Problem{
		{Component: "ipvs", Error: "IPVS is not available"},
		{Component: "vrrp", Error: "VI_1 waits for eth9"},
		{Component: "vrrp", Error: "VI_2 waits for eth9"},
	}}})
	m.ObserveReload(true, time.Unix(1700000000, 0))
	m.ObserveReloadFailure("vrrp")
	m.ObserveReloadFailure("vrrp")
	m.ObserveReloadFailure("config")
	for _, tc := range []struct {
		c    prometheus.Collector
		want float64
	}{
		{m.reloadOK, 0},
		{m.reloadFails.WithLabelValues("vrrp"), 2},
		{m.reloadFails.WithLabelValues("config"), 1},
	} {
		if got := testutil.ToFloat64(tc.c); got != tc.want {
			t.Errorf("%v = %v, want %v", tc.c, got, tc.want)
		}
	}
	reg, err := NewRegistry(m)
	if err != nil {
		t.Fatal(err)
	}
	n, err := testutil.GatherAndCount(reg, "lbhad_component_degraded")
	if err != nil || n != 2 {
		t.Errorf("lbhad_component_degraded series = %d (%v), want 2", n, err)
	}
}

// TestBuildInfoFrom reads version, revision (dirty marked) and Go
// version from what the toolchain stamps, and survives their absence.
func TestBuildInfoFrom(t *testing.T) {
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want BuildInfo
	}{
		{"nil", nil, BuildInfo{"unknown", "unknown", "unknown"}},
		{"plain build", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			BuildInfo{"(devel)", "unknown", "go1.26.8"}},
		{"clean vcs", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.9.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "d606f7d"}, {Key: "vcs.modified", Value: "false"}}},
			BuildInfo{"v0.9.0", "d606f7d", "go1.26.8"}},
		{"dirty vcs", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.modified", Value: "true"}, {Key: "vcs.revision", Value: "d606f7d"}}},
			BuildInfo{"(devel)", "d606f7d-dirty", "go1.26.8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BuildInfoFrom(tt.bi); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	// The test binary has build info; its Go version is the runtime's.
	if got := ReadBuildInfo(); got.GoVersion != runtime.Version() {
		t.Errorf("ReadBuildInfo GoVersion = %q, want %q", got.GoVersion, runtime.Version())
	}
}

// The transitions counter keeps the CounterVec's exposition: one series
// per instance, VRID and state entered, from its first transition on.
func TestObserveTransition(t *testing.T) {
	m := New(nil)
	m.ObserveTransition("VI_1", 51, "MASTER")
	m.ObserveTransition("VI_1", 51, "MASTER")
	m.ObserveTransition("VI_1", 51, "BACKUP")
	m.ObserveTransition("VI_2", 52, "FAULT")
	m.ObserveTransition("VI_2", 7, "BACKUP") // same name, other VRID: its own series
	m.ObserveTransition("VI_3", 53, "State(9)")
	want := `
# HELP lbhad_vrrp_transitions_total VRRP state transitions of an instance, by the state entered.
# TYPE lbhad_vrrp_transitions_total counter
lbhad_vrrp_transitions_total{to="BACKUP",vrid="51",vrrp_instance="VI_1"} 1
lbhad_vrrp_transitions_total{to="MASTER",vrid="51",vrrp_instance="VI_1"} 2
lbhad_vrrp_transitions_total{to="FAULT",vrid="52",vrrp_instance="VI_2"} 1
lbhad_vrrp_transitions_total{to="BACKUP",vrid="7",vrrp_instance="VI_2"} 1
lbhad_vrrp_transitions_total{to="State(9)",vrid="53",vrrp_instance="VI_3"} 1
`
	if err := testutil.CollectAndCompare(m, strings.NewReader(want), "lbhad_vrrp_transitions_total"); err != nil {
		t.Error(err)
	}
	reg, err := NewRegistry(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Errorf("gather: %v", err)
	}
}

// Counting and scraping at once is safe (run with -race).
func TestObserveTransitionConcurrent(t *testing.T) {
	m := New(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 1000 {
			m.ObserveTransition("VI_1", 1, "MASTER")
		}
	}()
	for range 20 {
		testutil.CollectAndCount(m, "lbhad_vrrp_transitions_total")
	}
	<-done
	want := "# HELP lbhad_vrrp_transitions_total VRRP state transitions of an instance, by the state entered.\n# TYPE lbhad_vrrp_transitions_total counter\nlbhad_vrrp_transitions_total{to=\"MASTER\",vrid=\"1\",vrrp_instance=\"VI_1\"} 1000\n"
	if err := testutil.CollectAndCompare(m, strings.NewReader(want), "lbhad_vrrp_transitions_total"); err != nil {
		t.Error(err)
	}
}
