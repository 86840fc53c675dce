package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTrackInterface(t *testing.T) {
	tests := []struct {
		in      string
		want    TrackedInterface
		wantErr string
	}{
		{in: "eth1", want: TrackedInterface{Name: "eth1"}},
		{in: "eth2 weight -20", want: TrackedInterface{Name: "eth2", Weight: -20}},
		{in: "eth2 weight 10 reverse", want: TrackedInterface{Name: "eth2", Weight: 10, Reverse: true}},
		{in: "eth2 weight 0 reverse", want: TrackedInterface{Name: "eth2", Reverse: true}},
		{in: "eth2 weight 253 noreverse", want: TrackedInterface{Name: "eth2", Weight: 253}},
		{in: "  ", wantErr: "empty"},
		{in: "eth2 weight", wantErr: "without a value"},
		{in: "eth2 weight 254", wantErr: "-253 to 253"},
		{in: "eth2 weight x", wantErr: "-253 to 253"},
		{in: "eth2 weight 5 sideways", wantErr: "reverse"},
		{in: "eth2 prio 5", wantErr: "not an interface name"},
		{in: "an-interface-name-too-long", wantErr: "interface name"},
	}
	for _, tt := range tests {
		got, err := parseTrackInterface(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: error %v, want one with %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestTrackInterfaceWeightsInConfig: plain names keep their meaning (all
// names are in TrackInterfaces); weighted entries are listed apart too.
func TestTrackInterfaceWeightsInConfig(t *testing.T) {
	cfg, diags := Parse([]byte(`
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.50/24"]
  track_interface   = ["eth1", "eth2 weight -20", "eth3 weight 0 reverse"]
}
`), "t.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	in := cfg.Instances[0]
	if diff := cmp.Diff([]string{"eth1", "eth2", "eth3"}, in.TrackInterfaces); diff != "" {
		t.Errorf("TrackInterfaces (-want +got):\n%s", diff)
	}
	want := []TrackedInterface{{Name: "eth2", Weight: -20}, {Name: "eth3", Reverse: true}}
	if diff := cmp.Diff(want, in.TrackInterfaceWeights); diff != "" {
		t.Errorf("TrackInterfaceWeights (-want +got):\n%s", diff)
	}
	_, diags = Parse([]byte(`
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.50/24"]
  track_interface   = ["eth2 weight -300"]
}
`), "t.hcl")
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "Invalid track_interface") {
		t.Errorf("weight -300 accepted: %v", diags)
	}
}
