package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTrackReverse: reverse on vrrp_script and track_file definitions is
// inherited by an instance entry without a weight; an entry with its own
// weight has its own reverse (default false), as in keepalived.
func TestTrackReverse(t *testing.T) {
	src := `
vrrp_script "chk" {
  script  = "/bin/true"
  weight  = -20
  reverse = true
}
track_file "f" {
  file    = "/run/lbhad-f"
  weight  = 2
  reverse = true
}
vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.50/24"]
  track_script "chk" {}
  track_file "f" {}
}
vrrp_instance "VI_2" {
  interface = "eth0"
  virtual_router_id = 52
  virtual_ipaddress = ["192.0.2.51/24"]
  track_script "chk" {
    weight = 30
  }
  track_file "f" {
    weight  = -3
    reverse = true
  }
}
`
	cfg, diags := Parse([]byte(src), "t.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := [][]any{
		{cfg.Instances[0].TrackScripts, cfg.Instances[0].TrackFiles},
		{cfg.Instances[1].TrackScripts, cfg.Instances[1].TrackFiles},
	}
	want := [][]any{
		{[]TrackScript{{Name: "chk", Weight: -20, Reverse: true}}, []TrackedFile{{Name: "f", Weight: 2, Reverse: true}}},
		{[]TrackScript{{Name: "chk", Weight: 30}}, []TrackedFile{{Name: "f", Weight: -3, Reverse: true}}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("-want +got:\n%s", d)
	}
}
