package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSyncGroupTracking: a sync group's track_interface, track_script and
// track_file reach every member; a member's own weighted entry for the
// same object gives way to the group's, an unweighted one stays.
func TestSyncGroupTracking(t *testing.T) {
	src := `
vrrp_script "chk" {
  script = "/bin/true"
  weight = -20
}
track_file "f" {
  file = "/run/lbhad-f"
}
vrrp_instance "A" {
  interface = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.50/24"]
  track_interface = ["eth2 weight -5", "eth3"]
  track_script "chk" {
    weight = 0
  }
}
vrrp_instance "B" {
  interface = "eth1"
  virtual_router_id = 52
  virtual_ipaddress = ["198.51.100.50/24"]
  track_file "f" {
    weight = 7
  }
}
vrrp_sync_group "G" {
  group = ["A", "B"]
  track_interface = ["eth2 weight -30", "eth3 weight 10 reverse", "eth4"]
  track_script "chk" {}
  track_file "f" {
    weight  = -2
    reverse = true
  }
}
`
	cfg, diags := Parse([]byte(src), "t.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	type view struct {
		Ifs      []string
		Weighted []TrackedInterface
		Scripts  []TrackScript
		Files    []TrackedFile
	}
	got := map[string]view{}
	for _, in := range cfg.Instances {
		got[in.Name] = view{in.TrackInterfaces, in.TrackInterfaceWeights, in.TrackScripts, in.TrackFiles}
	}
	want := map[string]view{
		"A": {
			Ifs:      []string{"eth2", "eth3", "eth4"},
			Weighted: []TrackedInterface{{Name: "eth2", Weight: -30}}, // eth3 stays unweighted
			Scripts:  []TrackScript{{Name: "chk", Weight: 0}},         // unweighted: stays
			Files:    []TrackedFile{{Name: "f", Weight: -2, Reverse: true}},
		},
		"B": {
			Ifs:      []string{"eth2", "eth3", "eth4"},
			Weighted: []TrackedInterface{{Name: "eth2", Weight: -30}, {Name: "eth3", Weight: 10, Reverse: true}},
			Scripts:  []TrackScript{{Name: "chk", Weight: -20}},
			Files:    []TrackedFile{{Name: "f", Weight: -2, Reverse: true}}, // the group's replaces weight 7
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("-want +got:\n%s", d)
	}

	bad := `
vrrp_instance "A" {
  interface = "eth0"
  virtual_router_id = 51
}
vrrp_sync_group "G" {
  group = ["A"]
  track_script "nope" {}
}
`
	_, diags = Parse([]byte(bad), "t.hcl")
	if !diags.HasErrors() || diags[0].Summary != "Unknown track_script" || diags[0].Subject.Start.Line != 8 {
		t.Errorf("unknown group track_script: %v", diags)
	}
}
