package config

import (
	"os"
	"testing"
	"time"
)

// TestPreemptRules: the settings keepalived 2.2.7 clears (measured with
// keepalived -t) are cleared, so the instance behaves as the warning says.
func TestPreemptRules(t *testing.T) {
	src, err := os.ReadFile("testdata/bad/preempt_rules.hcl")
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := Parse(src, "preempt_rules.hcl")
	if diags.HasErrors() || cfg == nil {
		t.Fatal(diags)
	}
	for _, tc := range []struct {
		name      string
		nopreempt bool
		delay     time.Duration
	}{
		{"VI_1", false, 0}, // state MASTER clears both
		{"VI_2", true, 0},  // nopreempt clears preempt_delay
		{"VI_3", false, 0}, // priority 255 clears nopreempt
	} {
		var in *Instance
		for _, i := range cfg.Instances {
			if i.Name == tc.name {
				in = i
			}
		}
		if in == nil || in.Nopreempt != tc.nopreempt || in.PreemptDelay != tc.delay {
			t.Errorf("%s: %+v, want nopreempt %v preempt_delay %v", tc.name, in, tc.nopreempt, tc.delay)
		}
	}
}
