package config

import (
	"strings"
	"testing"
	"time"
)

func TestGARPSettings(t *testing.T) {
	type want struct {
		repeat  int
		delay   time.Duration
		refresh int
	}
	for _, tc := range []struct {
		name, global, inst string
		want               want
		err                string // substring of the only diagnostic's summary
	}{
		{"defaults follow garp_master_repeat and advert_int", "", "", want{5, time.Second, 1}, ""},
		{"default delay at advert_int 0.1", "", "version = 3\nadvert_int = 0.1\ngarp_master_repeat = 2", want{2, 100 * time.Millisecond, 1}, ""},
		{"instance values", "", "garp_lower_prio_repeat = 1\ngarp_lower_prio_delay = 10\ngarp_master_refresh_repeat = 2", want{1, 10 * time.Second, 2}, ""},
		{"globals", "vrrp_garp_lower_prio_repeat = 3\nvrrp_garp_lower_prio_delay = \"500ms\"", "", want{3, 500 * time.Millisecond, 1}, ""},
		{"instance beats global", "vrrp_garp_lower_prio_repeat = 3\nvrrp_garp_lower_prio_delay = 7", "garp_lower_prio_repeat = 0\ngarp_lower_prio_delay = 0", want{0, 0, 1}, ""},
		{"repeat out of range", "", "garp_lower_prio_repeat = 256", want{}, "Invalid garp_lower_prio_repeat"},
		{"global delay negative", "vrrp_garp_lower_prio_delay = -1", "", want{}, "Invalid duration"},
		{"refresh repeat 0", "", "garp_master_refresh_repeat = 0", want{}, "Invalid garp_master_refresh_repeat"},
		{"garp interval over 1 s", "vrrp_garp_interval = 2", "", want{}, "Invalid vrrp_garp_interval"},
		{"gna interval not a duration", "vrrp_gna_interval = \"soon\"", "", want{}, "Invalid duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "global {\n" + tc.global + "\n}\nvrrp_instance \"vi\" {\ninterface = \"eth0\"\nvirtual_router_id = 51\nvirtual_ipaddress = [\"192.0.2.50/24\"]\n" + tc.inst + "\n}\n"
			cfg, diags := Parse([]byte(src), "garp.hcl")
			if tc.err != "" {
				if len(diags) != 1 || !strings.Contains(diags[0].Summary, tc.err) {
					t.Fatalf("diagnostics %s, want one %q", formatDiags(diags), tc.err)
				}
				return
			}
			if len(diags) > 0 {
				t.Fatalf("unexpected diagnostics:\n%s", formatDiags(diags))
			}
			in := cfg.Instances[0]
			got := want{in.GARPLowerPrioRepeat, in.GARPLowerPrioDelay, in.GARPMasterRefreshRepeat}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestGARPIntervals(t *testing.T) {
	src := "global {\nvrrp_garp_interval = 0.001\nvrrp_gna_interval = \"1us\"\n}\n"
	cfg, diags := Parse([]byte(src), "garp.hcl")
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", formatDiags(diags))
	}
	if g := cfg.Global.GARP; g.Interval != time.Millisecond || g.NAInterval != time.Microsecond {
		t.Errorf("intervals %v / %v, want 1ms / 1µs", g.Interval, g.NAInterval)
	}
	cfg, _ = Parse([]byte("global {}\n"), "garp.hcl")
	if g := cfg.Global.GARP; g.Interval != 0 || g.NAInterval != 0 {
		t.Errorf("default intervals %v / %v, want 0 (back to back, as keepalived)", g.Interval, g.NAInterval)
	}
}
