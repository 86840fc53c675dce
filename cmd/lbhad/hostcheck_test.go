package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/config"
)

// fakeProbe is a host with the interfaces named in ifaces and the
// directories named in dirs writable.
type fakeProbe struct {
	ifaces map[string]bool
	dirs   map[string]bool
}

func (f fakeProbe) Interface(name string) error {
	if !f.ifaces[name] {
		return errors.New("no such network interface")
	}
	return nil
}

func (f fakeProbe) Creatable(path string) error {
	if !f.dirs[filepath.Dir(path)] {
		return errors.New("permission denied")
	}
	return nil
}

func TestHostDiags(t *testing.T) {
	const conf = `global {
  state_file     = "/var/lib/lbhad/state.json"
  control_socket = "/run/lbhad/lbhad.sock"
%s
}
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.50/24", "192.0.2.51/24 dev %s"]
  track_interface   = ["%s"]
}
`
	host := fakeProbe{
		ifaces: map[string]bool{"eth0": true, "eth1": true},
		dirs:   map[string]bool{"/var/lib/lbhad": true, "/run/lbhad": true},
	}
	for _, tc := range []struct {
		name, syncd, vipDev, track string
		dirs                       map[string]bool
		want                       []string // "summary@line"
	}{
		{"all there", "", "eth1", "eth1", nil, nil},
		{"typo'd track_interface", "", "eth1", "eht1", nil, []string{"Unknown interface@6"}},
		{"typo'd vip dev", "", "eth9", "eth1", nil, []string{"Unknown interface@6"}},
		{"sync daemon interface", `  lvs_sync_daemon {
    interface     = "bond7"
    instance      = "VI_1"
  }`, "eth1", "eth1", nil, []string{"Unknown interface@4"}},
		{"state dir not writable", "", "eth1", "eth1", map[string]bool{"/run/lbhad": true}, []string{"Unwritable state_file@0"}},
		{"socket dir not writable", "", "eth1", "eth1", map[string]bool{"/var/lib/lbhad": true}, []string{"Unwritable control_socket@0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(strings.Replace(strings.Replace(conf, "%s", tc.syncd, 1), "%s", tc.vipDev, 1), "%s", tc.track, 1)
			cfg, diags := config.Parse([]byte(src), "t.hcl")
			if diags.HasErrors() {
				t.Fatalf("config: %v", diags)
			}
			h := host
			if tc.dirs != nil {
				h.dirs = tc.dirs
			}
			var got []string
			for _, d := range hostDiags(cfg, h) {
				line := 0
				if d.Subject != nil {
					line = d.Subject.Start.Line
				}
				got = append(got, d.Summary+"@"+strconv.Itoa(line))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestValidateHost runs validate (in-process) against the real host:
// what the daemon would trip on fails validate, --offline lets it pass.
func TestValidateHost(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	global := "global {\n  state_file = \"" + dir + "/state.json\"\n  control_socket = \"" + dir + "/lbhad.sock\"\n}\n"
	inst := func(iface string) string {
		return "vrrp_instance \"VI_1\" {\n  interface = \"" + iface + "\"\n  virtual_router_id = 51\n  virtual_ipaddress = [\"192.0.2.50\"]\n}\n"
	}
	file := write("a-file", "")
	for _, tc := range []struct {
		name, conf string
		offline    int // exit status with --offline
		host       int // exit status without
		want       string
	}{
		{"interface there", global + inst("lo"), 0, 0, ""},
		{"typo'd interface", global + inst("lo-typo0"), 0, 1, "Unknown interface"},
		{"missing script", global + "vrrp_script \"chk\" {\n  script = \"" + dir + "/no-such-script\"\n}\n", 0, 1, "no-such-script"},
		{"script not executable", global + "vrrp_script \"chk\" {\n  script = \"" + file + "\"\n}\n", 0, 1, "not an executable file"},
		{"state file under a file", "global {\n  state_file = \"" + file + "/state.json\"\n  control_socket = \"" + dir + "/s.sock\"\n}\n", 0, 1, "is not a directory"},
		{"unsplittable script offline too", global + "vrrp_script \"chk\" {\n  script = \"/bin/true 'oops\"\n}\n", 1, 1, "Unusable script"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := write(strings.ReplaceAll(tc.name, " ", "_")+".hcl", tc.conf)
			for _, offline := range []bool{true, false} {
				args := []string{"validate", conf, "--format", "json"}
				want := tc.host
				if offline {
					args, want = append(args, "--offline"), tc.offline
				}
				code, stdout, stderr := runIn(args...)
				out := stdout + stderr
				if code != want {
					t.Errorf("offline=%v: exit %d, want %d:\n%s", offline, code, want, out)
				}
				if want != 0 && !strings.Contains(out, tc.want) {
					t.Errorf("offline=%v: output lacks %q:\n%s", offline, tc.want, out)
				}
			}
		})
	}
}
