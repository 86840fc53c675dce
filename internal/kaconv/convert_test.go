package kaconv

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/lbhad/lbhad/config"
)

var update = flag.Bool("update", false, "rewrite the golden .hcl and .unsupported files in testdata")

// Each case is a realistic keepalived.conf; its conversion must match the
// golden .hcl file and pass lbhad's own validator, and the dropped
// options must be exactly the listed file:line entries.
func TestConvert(t *testing.T) {
	tests := []struct {
		name string
		want []string // "file:line: what", in report order
	}{
		{name: "haproxy_smtp"},
		{name: "dr_pair", want: []string{
			"testdata/dr_pair.conf:59: url { ... } (path /ready)",
		}},
		{name: "nat_sync", want: []string{
			"testdata/nat_sync.conf:15: smtp_alert",
			"testdata/nat_sync.conf:79: misc_timeout 10",
		}},
		{name: "fwmark"},
		{name: "vrrpv3"},
		{name: "sync_daemon"},
		{name: "include", want: []string{
			"testdata/include.conf:8: include include.d/missing-*.conf",
			"testdata/include.d/vs_api.conf:4: ha_suspend",
		}},
		{name: "unsupported", want: []string{
			"testdata/unsupported.conf:4: vrrp_garp_interval 0.001",
			"testdata/unsupported.conf:5: vrrp_skip_check_adv_addr",
			"testdata/unsupported.conf:6: vrrp_strict",
			"testdata/unsupported.conf:7: dynamic_interfaces",
			"testdata/unsupported.conf:8: notification_email { ... }",
			"testdata/unsupported.conf:11: smtp_server 192.0.2.25 2525",
			"testdata/unsupported.conf:17: timeout 5",
			"testdata/unsupported.conf:18: weight -20 reverse",
			"testdata/unsupported.conf:19: init_fail",
			"testdata/unsupported.conf:22: bfd_instance BFD_1 { ... }",
			"testdata/unsupported.conf:30: use_vmac vrrp51",
			"testdata/unsupported.conf:33: advert_int 0.5",
			"testdata/unsupported.conf:36: auth_pass (longer than 8 bytes)",
			"testdata/unsupported.conf:39: 192.0.2.50/24 dev eth0 brd 192.0.2.255 scope global",
			"testdata/unsupported.conf:40: 2001:db8::50/64",
			"testdata/unsupported.conf:42: virtual_ipaddress_excluded { ... }",
			"testdata/unsupported.conf:46: eth1 weight -10",
			"testdata/unsupported.conf:50: chk_missing",
			"testdata/unsupported.conf:52: track_bfd { ... }",
			"testdata/unsupported.conf:55: notify_master /etc/keepalived/master.sh root",
			"testdata/unsupported.conf:56: smtp_alert",
			"testdata/unsupported.conf:59: virtual_server_group HTTP_GROUP { ... }",
			"testdata/unsupported.conf:64: virtual_server group HTTP_GROUP { ... }",
			"testdata/unsupported.conf:73: ops",
			"testdata/unsupported.conf:74: alpha",
			"testdata/unsupported.conf:79: HTTP_GET { ... }",
			"testdata/unsupported.conf:84: SMTP_CHECK { ... }",
			"testdata/unsupported.conf:90: virtual_server 192.0.2.50 3868 { ... }",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join("testdata", tt.name+".conf")
			out, unsupported, err := Convert(src)
			if err != nil {
				t.Fatalf("Convert(%s): %v", src, err)
			}

			var got, report []string
			for _, u := range unsupported {
				got = append(got, u.File+":"+strconv.Itoa(u.Line)+": "+u.What)
				report = append(report, u.String())
				if u.Why == "" {
					t.Errorf("%s:%d %s: no reason given", u.File, u.Line, u.What)
				}
				// Every dropped option leaves a comment naming its position.
				if !strings.Contains(string(out), "not converted ("+u.File+":"+strconv.Itoa(u.Line)+")") && !strings.HasPrefix(u.What, "include ") {
					t.Errorf("no comment in the output for %s:%d %s", u.File, u.Line, u.What)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("unsupported options (-want +got):\n%s", diff)
			}

			golden(t, filepath.Join("testdata", tt.name+".hcl"), out)
			golden(t, filepath.Join("testdata", tt.name+".unsupported"), []byte(strings.Join(report, "\n")+"\n"))

			cfg, diags := config.Parse(out, tt.name+".hcl")
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					t.Errorf("converted output fails validation: %s", d.Error())
				}
			}
			if cfg == nil {
				t.Fatal("config.Parse returned no config")
			}
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; refresh with -update):\n%s", path, diff)
	}
}
