package config

import "testing"

func TestStateFile(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"", ""}, // the daemon applies DefaultStateFile
		{`global { state_file = "/run/lbhad-test/state.json" }`, "/run/lbhad-test/state.json"},
	} {
		cfg, diags := Parse([]byte(tc.src), "x.hcl")
		if diags.HasErrors() {
			t.Fatalf("%q: %v", tc.src, diags)
		}
		if cfg.Global.StateFile != tc.want {
			t.Errorf("%q: state_file %q, want %q", tc.src, cfg.Global.StateFile, tc.want)
		}
	}
}
