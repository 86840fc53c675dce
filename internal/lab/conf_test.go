package lab

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfs(t *testing.T) {
	in := Instance{Priority: 150, Nopreempt: true, AuthPass: "pw12",
		TrackInterfaces: []string{"eth0"},
		Script:          &Script{Command: "/bin/test -f /tmp/x/ok", Weight: -60, Fall: 2},
		UnicastSrc:      netip.MustParseAddr("192.0.2.11"),
		UnicastPeers:    []netip.Addr{netip.MustParseAddr("192.0.2.12")},
	}
	wantHCL := `global {
  router_id = "d1"
  control_socket = "/run/x.sock"
  state_file = "/run/x.state.json"
}

vrrp_script "chk" {
  script = "/bin/test -f /tmp/x/ok"
  interval = 1
  weight = -60
  fall = 2
  rise = 1
}

vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 51
  priority = 150
  advert_int = 1
  state = "BACKUP"
  nopreempt = true
  authentication {
    auth_type = "PASS"
    auth_pass = "pw12"
  }
  virtual_ipaddress = ["192.0.2.50/24"]
  track_interface = ["eth0"]
  track_script "chk" {}
  unicast_src_ip = "192.0.2.11"
  unicast_peer = ["192.0.2.12"]
}
`
	if diff := cmp.Diff(wantHCL, LBHADConf("d1", "/run/x.sock", in)); diff != "" {
		t.Errorf("LBHADConf mismatch (-want +got):\n%s", diff)
	}
	wantKA := `global_defs {
  router_id d1
  enable_script_security
  script_user root
}

vrrp_script chk {
  script "/bin/test -f /tmp/x/ok"
  interval 1
  weight -60
  fall 2
  rise 1
}

vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  nopreempt
  authentication {
    auth_type PASS
    auth_pass pw12
  }
  virtual_ipaddress {
    192.0.2.50/24
  }
  track_interface {
    eth0
  }
  track_script {
    chk
  }
  unicast_src_ip 192.0.2.11
  unicast_peer {
    192.0.2.12
  }
}
`
	if diff := cmp.Diff(wantKA, KeepalivedConf("d1", in)); diff != "" {
		t.Errorf("KeepalivedConf mismatch (-want +got):\n%s", diff)
	}
}

func TestRunIDOf(t *testing.T) {
	for _, tt := range []struct {
		ns, id string
		ok     bool
	}{
		{"lbt-a1b2c3-d1", "a1b2c3", true},
		{"lbt-a1b2c3-br", "a1b2c3", true},
		{"lbtx-a1b2c3-d1", "", false},
		{"lbt-", "", false},
		{"other", "", false},
	} {
		id, ok := runIDOf("lbt", tt.ns)
		if id != tt.id || ok != tt.ok {
			t.Errorf("runIDOf(%q) = %q, %v; want %q, %v", tt.ns, id, ok, tt.id, tt.ok)
		}
	}
}
