package config

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestExamples parses every examples/*.hcl: each must load without any
// diagnostic, and must have a check of its key values here, so a new
// example cannot go untested.
func TestExamples(t *testing.T) {
	checks := map[string]func(t *testing.T, c *Config){
		"dual-stack-v3.hcl": func(t *testing.T, c *Config) {
			if len(c.Instances) != 2 || len(c.SyncGroups) != 1 {
				t.Fatalf("%d instances, %d sync groups", len(c.Instances), len(c.SyncGroups))
			}
			for i, v6 := range []bool{false, true} {
				in := c.Instances[i]
				if in.Version != 3 || in.IPv6 != v6 || in.AdvertInterval != 100*time.Millisecond || in.VRID != 51 {
					t.Errorf("instance %s = %+v", in.Name, in)
				}
			}
		},
		"dr-pair.hcl": func(t *testing.T, c *Config) {
			in := c.Instances[0]
			if in.Interface != "eth0" || in.VRID != 51 || in.Priority != 150 || in.VIPs[0].Prefix.Addr().String() != "172.16.100.1" {
				t.Errorf("instance = %+v", in)
			}
			vs := c.VirtualServers[0]
			if vs.Address.String() != "172.16.100.1:80" || vs.Kind != KindDR || vs.Scheduler != "wlc" {
				t.Errorf("virtual server = %+v", vs)
			}
			want := map[string]int{"172.16.100.7:80": 2, "172.16.100.8:80": 5}
			for _, rs := range vs.RealServers {
				if want[rs.Address.String()] != rs.Weight || len(rs.Checks) != 1 || rs.Checks[0].Kind != CheckHTTP || rs.Kind != KindDR {
					t.Errorf("real server %s = %+v", rs.Name, rs)
				}
			}
			if len(vs.RealServers) != 2 {
				t.Errorf("%d real servers", len(vs.RealServers))
			}
		},
		"nat-sync-group.hcl": func(t *testing.T, c *Config) {
			vs := c.VirtualServers[0]
			if vs.Kind != KindNAT || vs.Scheduler != "wrr" || vs.Address.Port() != 80 {
				t.Errorf("virtual server = %+v", vs)
			}
			if a, w := vs.RealServers[0].Address.String(), vs.RealServers[0].Weight; a != "192.168.10.8:8080" || w != 3 {
				t.Errorf("rs1 = %s weight %d", a, w)
			}
			if a, w := vs.RealServers[1].Address.String(), vs.RealServers[1].Weight; a != "192.168.10.9:8080" || w != 1 {
				t.Errorf("rs2 = %s weight %d", a, w)
			}
			g := c.SyncGroups[0]
			if !slices.Equal(g.Group, []string{"VI_EXT", "VI_INT"}) {
				t.Errorf("group = %v", g.Group)
			}
			dip := c.Instances[1].VIPs[0]
			if dip.Prefix.String() != "192.168.10.1/24" || dip.Dev != "eth1" {
				t.Errorf("DIP = %+v", dip)
			}
		},
		"fwmark-persistence.hcl": func(t *testing.T, c *Config) {
			vs := c.VirtualServers[0]
			if vs.FWMark != 10 || vs.Address.IsValid() || vs.PersistenceTimeout != 600*time.Second {
				t.Errorf("virtual server = %+v", vs)
			}
			for _, rs := range vs.RealServers {
				if rs.Address.Port() != 0 || len(rs.Checks) != 1 || rs.Checks[0].ConnectPort != 443 || rs.Checks[0].Kind != CheckSSL {
					t.Errorf("real server %s = %+v checks %+v", rs.Name, rs, rs.Checks)
				}
			}
		},
		"sorry-server.hcl": func(t *testing.T, c *Config) {
			vs := c.VirtualServers[0]
			if vs.SorryServer.String() != "127.0.0.1:80" || !vs.InhibitOnFailure {
				t.Errorf("virtual server = %+v", vs)
			}
			for _, rs := range vs.RealServers {
				if !rs.InhibitOnFailure {
					t.Errorf("real server %s does not inherit inhibit_on_failure", rs.Name)
				}
			}
		},
		"track-script-email.hcl": func(t *testing.T, c *Config) {
			s := c.Scripts[0]
			want := Script{Name: "chk_haproxy", Script: "killall -0 haproxy", Interval: 2 * time.Second,
				Timeout: 2 * time.Second, Weight: -2, Rise: 1, Fall: 2}
			s.Range = want.Range
			if *s != want {
				t.Errorf("script = %+v, want %+v", *s, want)
			}
			in := c.Instances[0]
			if !in.SMTPAlert || len(in.TrackScripts) != 1 || in.TrackScripts[0].Weight != -2 {
				t.Errorf("instance = %+v", in)
			}
			if e := c.Global.Notification.Email; e == nil || e.Server != "smtp.example.com:587" || !e.StartTLS {
				t.Errorf("email = %+v", e)
			}
		},
		"bgp-ecmp.hcl": func(t *testing.T, c *Config) {
			b := c.BGP
			if b == nil || b.ASN != 64512 || len(b.Neighbors) != 1 || b.Neighbors[0].HoldTime != 9*time.Second || b.Neighbors[0].Password == "" {
				t.Errorf("bgp = %+v", b)
			}
			if vs := c.VirtualServers[0]; !vs.Announce || vs.Scheduler != "mh" || vs.Kind != KindDR {
				t.Errorf("virtual server = %+v", vs)
			}
		},
	}
	files, err := filepath.Glob(filepath.Join("..", "examples", "*.hcl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			cfg, _, diags := LoadFile(f)
			if len(diags) > 0 {
				t.Fatalf("diagnostics:\n%s", formatDiags(diags))
			}
			check, ok := checks[name]
			if !ok {
				t.Fatalf("no key-value check for this example in examples_test.go")
			}
			check(t, cfg)
		})
	}
	for name := range checks {
		if !slices.Contains(files, filepath.Join("..", "examples", name)) {
			t.Errorf("example %s is checked but missing", name)
		}
	}
}

// TestServiceUnit checks that the systemd unit keeps the settings lbhad
// relies on: sd_notify readiness and watchdog, reload by SIGHUP, the
// lbhad user with exactly the two network capabilities, the sandbox
// (tested in integration/sandbox_test.go) and its writable paths, and
// no start without a config.
func TestServiceUnit(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "scripts", "packaging", "lbhad.service"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]string{}
	var reload []string // ExecReload= may repeat; systemd runs them in order
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = line
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf("malformed line %q", line)
				continue
			}
			got[section+k] = v
			if section+k == "[Service]ExecReload" {
				reload = append(reload, v)
			}
		}
	}
	// A reload validates before it signals, so a bad file fails
	// `systemctl reload` instead of being only logged.
	wantReload := []string{"/usr/sbin/lbhad validate -c /etc/lbhad/lbhad.hcl", "/bin/kill -HUP $MAINPID"}
	if !slices.Equal(reload, wantReload) {
		t.Errorf("ExecReload = %q, want %q", reload, wantReload)
	}
	want := map[string]string{
		"[Service]Type":                    "notify",
		"[Service]ExecStart":               "/usr/sbin/lbhad run -c /etc/lbhad/lbhad.hcl $LBHAD_OPTS",
		"[Unit]ConditionFileNotEmpty":      "/etc/lbhad/lbhad.hcl",
		"[Service]EnvironmentFile":         "-/etc/default/lbhad",
		"[Service]User":                    "lbhad",
		"[Service]Group":                   "lbhad",
		"[Service]AmbientCapabilities":     "CAP_NET_ADMIN CAP_NET_RAW",
		"[Service]CapabilityBoundingSet":   "CAP_NET_ADMIN CAP_NET_RAW",
		"[Service]ProtectKernelTunables":   "yes",
		"[Service]MemoryDenyWriteExecute":  "yes",
		"[Service]PrivateMounts":           "yes",
		"[Service]TasksMax":                "1024",
		"[Service]ExecReload":              "/bin/kill -HUP $MAINPID",
		"[Service]WatchdogSec":             "10s",
		"[Service]Restart":                 "on-failure",
		"[Service]NoNewPrivileges":         "yes",
		"[Service]ProtectSystem":           "strict",
		"[Service]ReadWritePaths":          "/run/lbhad /var/lib/lbhad",
		"[Service]ProtectHome":             "yes",
		"[Service]PrivateTmp":              "yes",
		"[Service]RuntimeDirectory":        "lbhad",
		"[Service]StateDirectory":          "lbhad",
		"[Service]RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET",
		"[Install]WantedBy":                "multi-user.target",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, k := range []string{"[Service]AmbientCapabilities", "[Service]CapabilityBoundingSet"} {
		caps := strings.Fields(got[k])
		for _, c := range []string{"CAP_NET_ADMIN", "CAP_NET_RAW"} {
			if !slices.Contains(caps, c) {
				t.Errorf("%s lacks %s: %q", k, c, got[k])
			}
		}
		if slices.Contains(caps, "CAP_SYS_MODULE") {
			t.Errorf("%s grants CAP_SYS_MODULE; load ip_vs with modules-load.d instead", k)
		}
	}
}
