package config

import (
	"bytes"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/*.golden from the current diagnostics")

func TestMain(m *testing.M) {
	// A fixed host name makes the router_id default testable.
	hostname = func() (string, error) { return "testhost", nil }
	os.Exit(m.Run())
}

var cmpOpts = []cmp.Option{
	cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{}, netip.AddrPort{}),
	cmpopts.IgnoreTypes(hcl.Range{}),
}

func mustAddr(s string) netip.Addr     { return netip.MustParseAddr(s) }
func mustAP(s string) netip.AddrPort   { return netip.MustParseAddrPort(s) }
func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func TestParseGood(t *testing.T) {
	want := map[string]*Config{
		"minimal.hcl": {
			Global: Global{RouterID: "testhost", ControlSocket: DefaultControlSocket, LVSResyncInterval: DefaultLVSResyncInterval, MaxScriptProcesses: DefaultMaxScriptProcesses, VRRPVersion: 2},
			Instances: []*Instance{{
				Name: "VI_1", Interface: "eth0", VRID: 51, Priority: 100, Version: 2,
				AdvertInterval: time.Second, State: StateBackup,
				VIPs:            []VIP{{Prefix: mustPrefix("192.0.2.50/32"), Dev: "eth0"}},
				GARPMasterDelay: 5 * time.Second, GARPMasterRepeat: 5,
				GARPMasterRefreshRepeat: 1, GARPLowerPrioRepeat: 5, GARPLowerPrioDelay: time.Second,
			}},
			VirtualServers: []*VirtualServer{{
				Name: "web", Address: mustAP("192.0.2.50:80"), Protocol: TCP, Scheduler: "wlc",
				Kind: KindNAT, Quorum: 1, DelayLoop: 60 * time.Second,
				RealServers: []*RealServer{{
					Name: "rs1", Address: mustAP("198.51.100.7:80"), Weight: 1, Kind: KindNAT,
					Checks: []*Check{{
						Kind: CheckHTTP, Interval: 60 * time.Second, ConnectTimeout: 5 * time.Second,
						Rise: 1, Fall: 1, DelayBeforeRetry: time.Second,
						HTTP: &HTTPCheck{URLs: []HTTPURL{{Path: "/", Status: []StatusRange{{200, 299}}}}},
					}},
				}},
			}},
		},
		"full.hcl": fullWant(),
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			cfg, _, diags := LoadFile(filepath.Join("testdata", "good", name))
			if len(diags) > 0 {
				t.Fatalf("unexpected diagnostics:\n%s", formatDiags(diags))
			}
			if diff := cmp.Diff(w, cfg, cmpOpts...); diff != "" {
				t.Errorf("config mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// Every good file must at least parse cleanly.
	files, _ := filepath.Glob(filepath.Join("testdata", "good", "*.hcl"))
	for _, f := range files {
		if _, _, diags := LoadFile(f); len(diags) > 0 {
			t.Errorf("%s: unexpected diagnostics:\n%s", f, formatDiags(diags))
		}
	}
}

func fullWant() *Config {
	script := &Script{
		Name: "chk_haproxy", Script: "/usr/bin/killall -0 haproxy", Interval: 2 * time.Second,
		Timeout: 1500 * time.Millisecond, Weight: -20, Rise: 2, Fall: 3, User: "nobody",
	}
	return &Config{
		Global: Global{
			VRRPVersion: 2,
			RouterID:    "lb1", ScriptUser: "lbhad_script", EnableScriptSecurity: true, MaxScriptProcesses: 16,
			ControlSocket: "/run/lbhad/ctl.sock", MetricsListen: "127.0.0.1:9469", LVSDrainTimeout: 2 * time.Minute, LVSKeepOnStop: true,
			LVSResyncInterval: 10 * time.Second,
			LVSTimeouts:       LVSTimeouts{TCP: 900 * time.Second, TCPFin: 120 * time.Second, UDP: 5 * time.Minute},
			Notification: Notification{
				Email: &Email{
					Server: "smtp.example.com:25", From: "lbhad@example.com",
					To: []string{"ops@example.com", "noc@example.com"}, StartTLS: true,
					Username: "lbhad", Password: "s3cret", ConnectTimeout: 10 * time.Second,
				},
				Webhooks: []*Webhook{{
					Name: "chat", URL: "https://hooks.example.com/lbhad", Secret: "k",
					Headers: map[string]string{"X-Team": "net"}, Timeout: 2 * time.Second,
					Retries: 5, QueueSize: 50,
				}},
			},
		},
		Scripts: []*Script{script},
		Instances: []*Instance{{
			Name: "VI_1", Interface: "eth0", VRID: 51, Priority: 150, AdvertInterval: 2 * time.Second, Version: 2,
			State: StateBackup, PreemptDelay: 30 * time.Second, AuthType: AuthPass, AuthPass: "pw12",
			VIPs: []VIP{
				{Prefix: mustPrefix("192.0.2.50/24"), Dev: "eth0"},
				{Prefix: mustPrefix("192.0.2.51/32"), Dev: "eth1", Label: "eth1:1"},
			},
			UnicastSrcIP: mustAddr("192.0.2.11"), UnicastPeers: []netip.Addr{mustAddr("192.0.2.12")},
			TrackInterfaces: []string{"eth1"}, TrackScripts: []TrackScript{{Name: "chk_haproxy", Weight: -20}},
			GARPMasterDelay: time.Second, GARPMasterRepeat: 3, GARPMasterRefresh: time.Minute,
			GARPMasterRefreshRepeat: 1, GARPLowerPrioRepeat: 3, GARPLowerPrioDelay: 2 * time.Second,
			Notify: NotifyScripts{
				Master: "/etc/lbhad/master.sh", Backup: "/etc/lbhad/backup.sh", Fault: "/etc/lbhad/fault.sh",
				Stop: "/etc/lbhad/stop.sh", Generic: "/etc/lbhad/notify.sh",
			},
			SMTPAlert: true,
		}, {
			Name: "VI_2", Interface: "eth1", VRID: 52, Priority: 100, AdvertInterval: time.Second, Version: 2,
			State: StateBackup, Nopreempt: true,
			VIPs:            []VIP{{Prefix: mustPrefix("198.51.100.1/24"), Dev: "eth1"}},
			TrackScripts:    []TrackScript{{Name: "chk_haproxy", Weight: -50}},
			GARPMasterDelay: 5 * time.Second, GARPMasterRepeat: 5,
			GARPMasterRefreshRepeat: 1, GARPLowerPrioRepeat: 5, GARPLowerPrioDelay: time.Second,
		}},
		SyncGroups: []*SyncGroup{{
			Name: "G1", Group: []string{"VI_1", "VI_2"},
			Notify:    NotifyScripts{Master: "/etc/lbhad/g-master.sh", Generic: "/etc/lbhad/g.sh"},
			SMTPAlert: true,
		}},
		VirtualServers: []*VirtualServer{{
			Name: "web", Address: mustAP("192.0.2.50:80"), Protocol: TCP, Scheduler: "wrr", Kind: KindDR,
			PersistenceTimeout: 300 * time.Second, PersistenceNetmask: mustAddr("255.255.255.0"),
			Quorum: 2, Hysteresis: 1, SorryServer: mustAP("127.0.0.1:80"), InhibitOnFailure: true,
			SorryKind: KindDR, // the virtual server's lb_kind
			DelayLoop: 10 * time.Second, QuorumUp: "/etc/lbhad/up.sh", QuorumDown: "/etc/lbhad/down.sh",
			RealServers: []*RealServer{{
				Name: "rs1", Address: mustAP("192.0.2.7:80"), Weight: 2, Kind: KindDR,
				UpperThreshold: 1000, LowerThreshold: 800, InhibitOnFailure: true,
				NotifyUp: "/etc/lbhad/rs-up.sh", NotifyDown: "/etc/lbhad/rs-down.sh",
				Checks: []*Check{{
					Kind: CheckSSL, Interval: 5 * time.Second, ConnectTimeout: 3 * time.Second,
					Rise: 2, Fall: 3, Retry: 1, DelayBeforeRetry: 500 * time.Millisecond,
					Warmup: 4 * time.Second, ConnectIP: mustAddr("192.0.2.70"), ConnectPort: 8443,
					BindTo: mustAddr("192.0.2.11"),
					HTTP: &HTTPCheck{
						URLs: []HTTPURL{{
							Path: "/health", Status: []StatusRange{{200, 200}, {300, 302}},
							BodyRegex: "^ok", Digest: "9e107d9d372bb6826bd81d3542a419d6",
						}},
						VirtualHost: "www.example.com",
						ServerName:  "www.example.com", CAFile: "/etc/ssl/ca.pem",
					},
				}},
			}, {
				Name: "rs2", Address: mustAP("192.0.2.8:80"), Weight: 1, Kind: KindDR,
				Checks: []*Check{{
					Kind: CheckTCP, Interval: 10 * time.Second, ConnectTimeout: 5 * time.Second,
					Rise: 1, Fall: 1, DelayBeforeRetry: time.Second,
					TCP: &TCPCheck{Send: "PING\r\n", Expect: "+PONG"},
				}},
			}},
		}, {
			Name: "dns", FWMark: 7, Protocol: UDP, Scheduler: "rr", Kind: KindTUN, Quorum: 1,
			SorryKind: KindTUN,
			DelayLoop: 60 * time.Second,
			RealServers: []*RealServer{{
				Name: "ns1", Address: mustAP("198.51.100.53:0"), Weight: 0, Kind: KindNAT,
				Checks: []*Check{{
					Kind: CheckMisc, Interval: 60 * time.Second, ConnectTimeout: 5 * time.Second,
					Rise: 1, Fall: 1, DelayBeforeRetry: time.Second,
					Misc: &MiscCheck{Path: "/usr/local/bin/check_dns 198.51.100.53", Timeout: 20 * time.Second, Dynamic: true, User: "nobody"},
				}},
			}},
		}},
	}
}

// formatDiags renders diagnostics one a line as
// file:line:col: severity: summary; detail, the golden file format.
func formatDiags(diags hcl.Diagnostics) string {
	var buf strings.Builder
	for _, d := range diags {
		pos := "-"
		if d.Subject != nil {
			pos = fmt.Sprintf("%s:%d:%d", filepath.ToSlash(d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column)
		}
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		fmt.Fprintf(&buf, "%s: %s: %s; %s\n", pos, sev, d.Summary, d.Detail)
	}
	return buf.String()
}

func TestParseBad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.hcl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad testdata: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, _, diags := LoadFile(f)
			if len(diags) == 0 {
				t.Fatal("no diagnostics for a bad file")
			}
			if diags.HasErrors() != (cfg == nil) {
				t.Errorf("HasErrors=%v but cfg nil=%v", diags.HasErrors(), cfg == nil)
			}
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic without a position: %s", d.Summary)
				}
			}
			got := formatDiags(diags)
			golden := strings.TrimSuffix(f, ".hcl") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("missing golden file (run go test ./config -update): %v", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("diagnostics mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteDiagnostics(t *testing.T) {
	_, files, diags := LoadFile(filepath.Join("testdata", "bad", "vrid.hcl"))
	var buf bytes.Buffer
	if err := WriteDiagnostics(&buf, files, diags, 0, false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{"Error: Invalid virtual_router_id", "testdata/bad/vrid.hcl line 3", "virtual_router_id = 0"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

func TestLoadFileMissing(t *testing.T) {
	cfg, files, diags := LoadFile(filepath.Join(t.TempDir(), "nope.hcl"))
	if cfg != nil || !diags.HasErrors() || files == nil {
		t.Fatalf("cfg=%v files=%v diags=%v", cfg, files, diags)
	}
	if !strings.Contains(diags[0].Detail, "nope.hcl") {
		t.Errorf("detail does not name the file: %s", diags[0].Detail)
	}
}

func TestParseSyntaxError(t *testing.T) {
	cfg, diags := Parse([]byte("vrrp_instance \"x\" {\n  priority = \n"), "x.hcl")
	if cfg != nil || !diags.HasErrors() {
		t.Fatalf("cfg=%v diags=%v", cfg, diags)
	}
	if d := diags[0]; d.Subject == nil || d.Subject.Filename != "x.hcl" {
		t.Errorf("diagnostic has no position in x.hcl: %v", d)
	}
}

// TestBadCoverage keeps every validation rule of the issue backed by at
// least one bad file: each summary below must appear in some golden file.
func TestBadCoverage(t *testing.T) {
	rules := []string{
		"Incorrect attribute value type", "Invalid duration",
		"Invalid virtual_router_id", "Invalid priority", "Invalid advert_int",
		"Duplicate virtual_router_id",
		"Duplicate vrrp_instance name", "Duplicate vrrp_script name", "Duplicate vrrp_sync_group name",
		"Duplicate virtual_server name", "Duplicate real_server name", "Duplicate webhook name",
		"Invalid virtual_ipaddress", "Duplicate virtual_ipaddress",
		"Unknown scheduler", "Unknown lb_kind", "Port mapping with DR", "Port mapping with TUN",
		"Conflicting address and fwmark", "Missing address or fwmark",
		"Unknown track_script", "Unknown instance in group", "Instance in two sync groups",
		"Invalid weight", "smtp_alert without email settings",
		"auth_pass too long", "Unsupported auth_type", "Invalid unicast_src_ip", "Invalid unicast_peer",
		"nopreempt with state MASTER is ignored", "preempt_delay with state MASTER is ignored",
		"preempt_delay with nopreempt is ignored", "nopreempt with priority 255 is ignored", "Invalid lower_threshold",
		"Unsupported argument", "Unsupported block type", "Missing required argument",
		"Invalid lvs_resync_interval", "ops needs a UDP service", "Flag of another scheduler", "Invalid protocol",
		"Mixed families in a group", "Invalid group address", "Invalid group fwmark", "Conflicting group and address", "Unknown virtual_server_group", "Duplicate virtual service",
		"Attribute beside url blocks", "Unknown DNS type", "Invalid DNS name", "Invalid payload",
		"Invalid require_reply", "Invalid reply lengths", "connect_port in ping_check", "Invalid helo_name",
		"Network setting in file_check",
		"Invalid vrrp_version", "Invalid version", "No authentication in VRRPv3", "IPv6 needs VRRPv3",
		"Mixed address families", "Unsupported no_accept", "Unsupported accept = false",
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.golden"))
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, r := range rules {
		if !strings.Contains(all.String(), ": "+r+"; ") {
			t.Errorf("no bad testdata case produces %q", r)
		}
	}
}

// TestMultipleErrorsAtOnce proves one run reports every problem of a file,
// from every block kind, not just the first.
func TestMultipleErrorsAtOnce(t *testing.T) {
	cfg, _, diags := LoadFile(filepath.Join("testdata", "bad", "multi.hcl"))
	if cfg != nil {
		t.Fatal("config returned despite errors")
	}
	errs := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs++
		}
	}
	if errs < 15 {
		t.Errorf("got %d errors, want at least 15:\n%s", errs, formatDiags(diags))
	}
}

func TestWarningKeepsConfig(t *testing.T) {
	cfg, _, diags := LoadFile(filepath.Join("testdata", "bad", "nopreempt_master.hcl"))
	if cfg == nil || diags.HasErrors() || len(diags) != 1 {
		t.Fatalf("cfg=%v diags:\n%s", cfg, formatDiags(diags))
	}
	// keepalived 2.2.7 clears nopreempt with state MASTER; so does lbhad.
	if in := cfg.Instances[0]; in.Nopreempt || in.State != StateMaster {
		t.Errorf("instance = %+v", in)
	}
}

func TestDurations(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{`2`, 2 * time.Second, true},
		{`0.5`, 500 * time.Millisecond, true},
		{`"300ms"`, 300 * time.Millisecond, true},
		{`"1m30s"`, 90 * time.Second, true},
		{`"4"`, 4 * time.Second, true},
		{`"-1s"`, 0, false},
		{`-1`, 0, false},
		{`"soon"`, 0, false},
		{`"inf"`, 0, false},
		{`1e30`, 0, false},
		{`true`, 0, false},
		{`["1s"]`, 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			src := fmt.Sprintf("virtual_server \"v\" {\n  address = \"192.0.2.1:80\"\n  delay_loop = %s\n}\n", tc.in)
			cfg, diags := Parse([]byte(src), "d.hcl")
			if tc.ok != !diags.HasErrors() {
				t.Fatalf("ok=%v, diags:\n%s", !diags.HasErrors(), formatDiags(diags))
			}
			if tc.ok && cfg.VirtualServers[0].DelayLoop != tc.want {
				t.Errorf("delay_loop = %v, want %v", cfg.VirtualServers[0].DelayLoop, tc.want)
			}
		})
	}
}

// lvs_resync_interval: 30 s when left out, 0 turns it off.
func TestLVSResyncInterval(t *testing.T) {
	for name, want := range map[string]time.Duration{
		"minimal.hcl": DefaultLVSResyncInterval, "full.hcl": 10 * time.Second, "lvs_resync_off.hcl": 0,
	} {
		cfg, _, diags := LoadFile(filepath.Join("testdata", "good", name))
		if len(diags) > 0 {
			t.Fatalf("%s: %s", name, formatDiags(diags))
		}
		if got := cfg.Global.LVSResyncInterval; got != want {
			t.Errorf("%s: LVSResyncInterval = %v, want %v", name, got, want)
		}
	}
}

// SCTP services, ops and the sh/mh flags reach the config; twos is
// accepted and warned about only where the host's kernel lacks it.
func TestSchedulerFlags(t *testing.T) {
	src := []byte(`
virtual_server "sctp" {
  address  = "192.0.2.50:3868"
  protocol = "sctp"
  lb_algo  = "sh"
  sh_fallback = true
  sh_port     = true
}
virtual_server "dns" {
  address  = "192.0.2.50:53"
  protocol = "udp"
  lb_algo  = "mh"
  ops      = true
  mh_port  = true
}
virtual_server "two" {
  address = "192.0.2.51:80"
  lb_algo = "twos"
}
`)
	cfg, diags := Parse(src, "flags.hcl")
	if diags.HasErrors() || len(diags) != 0 {
		t.Fatalf("diagnostics without a host: %v", diags)
	}
	got := map[string][5]any{}
	for _, vs := range cfg.VirtualServers {
		got[vs.Name] = [5]any{vs.Protocol.String(), vs.Scheduler, vs.OnePacket, vs.SchedFallback, vs.SchedPort}
	}
	want := map[string][5]any{
		"sctp": {"sctp", "sh", false, true, true},
		"dns":  {"udp", "mh", true, false, true},
		"two":  {"tcp", "twos", false, false, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("virtual servers (-want +got):\n%s", diff)
	}
	_, diags = ParseWith(src, "flags.hcl", Options{Host: fakeHost{}})
	if diags.HasErrors() || len(diags) != 1 || diags[0].Summary != "Scheduler missing from this kernel" || diags[0].Subject.Start.Line != 18 {
		t.Errorf("with a kernel lacking twos: %v, want one warning at line 18", diags)
	}
}

func TestHasModule(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "modules.builtin"), []byte("kernel/net/netfilter/ipvs/ip_vs.ko\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "modules.dep"), []byte("kernel/net/netfilter/ipvs/ip_vs_rr.ko.zst: kernel/net/netfilter/ipvs/ip_vs.ko\nkernel/net/netfilter/ipvs/ip_vs_rr_extra.ko:\n"), 0o644)
	for _, tc := range []struct {
		mod        string
		has, known bool
	}{
		{"ip_vs", true, true},
		{"ip_vs_rr", true, true},
		{"ip_vs_twos", false, true},
	} {
		if has, known := hasModule(dir, tc.mod); has != tc.has || known != tc.known {
			t.Errorf("hasModule(%s) = %v, %v; want %v, %v", tc.mod, has, known, tc.has, tc.known)
		}
	}
	if _, known := hasModule(filepath.Join(dir, "none"), "ip_vs_rr"); known {
		t.Error("a kernel without module lists is reported as known")
	}
}

// A group virtual server carries every member, ranges expanded, with the
// first as its address; the IPVS side makes one service per member.
func TestVirtualServerGroup(t *testing.T) {
	cfg, diags := Parse([]byte(`
virtual_server_group "web" {
  addresses = ["192.0.2.10-12:80", "192.0.2.20:443"]
  fwmarks   = [7]
}
virtual_server_group "v6" {
  addresses = ["[2001:db8::fe-101]:80"]
}
virtual_server "web" {
  group   = "web"
  lb_kind = "NAT"
  real_server "a" { address = "198.51.100.7:8080" }
}
virtual_server "v6" {
  group = "v6"
  lb_kind = "DR"
  real_server "a" { address = "[2001:db8:1::7]:80" }
}
`), "group.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var got []string
	for _, vs := range cfg.VirtualServers {
		for _, m := range vs.Members {
			if m.FWMark != 0 {
				got = append(got, fmt.Sprintf("%s fwmark %d", vs.Name, m.FWMark))
			} else {
				got = append(got, vs.Name+" "+m.Address.String())
			}
		}
		if vs.Group != vs.Name || vs.Address != vs.Members[0].Address {
			t.Errorf("%s: group %q address %v, want its group and first member", vs.Name, vs.Group, vs.Address)
		}
	}
	want := []string{"web 192.0.2.10:80", "web 192.0.2.11:80", "web 192.0.2.12:80", "web 192.0.2.20:443", "web fwmark 7",
		"v6 [2001:db8::fe]:80", "v6 [2001:db8::ff]:80", "v6 [2001:db8::100]:80", "v6 [2001:db8::101]:80"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if len(cfg.VirtualServerGroups) != 2 {
		t.Errorf("%d groups, want 2", len(cfg.VirtualServerGroups))
	}
}
