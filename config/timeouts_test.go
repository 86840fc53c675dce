package config

import (
	"path/filepath"
	"testing"
	"time"
)

// keepalived 2.2.7 accepts a vrrp_script timeout or a misc_timeout as
// long as or longer than the interval, and so does lbhad: the checker
// never starts a run while the previous one is going. The values are
// kept as written.
func TestTimeoutsNotShorterThanInterval(t *testing.T) {
	cfg, _, diags := LoadFile(filepath.Join("testdata", "good", "timeouts.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for i, want := range []struct{ interval, timeout time.Duration }{{2 * time.Second, 2 * time.Second}, {time.Second, 3 * time.Second}} {
		if s := cfg.Scripts[i]; s.Interval != want.interval || s.Timeout != want.timeout {
			t.Errorf("vrrp_script %s: interval %s timeout %s, want %s %s", s.Name, s.Interval, s.Timeout, want.interval, want.timeout)
		}
	}
	for i, want := range []struct{ interval, timeout time.Duration }{{10 * time.Second, 10 * time.Second}, {5 * time.Second, 6 * time.Second}} {
		c := cfg.VirtualServers[0].RealServers[i].Checks[0]
		if c.Interval != want.interval || c.Misc.Timeout != want.timeout {
			t.Errorf("misc_check %d: interval %s timeout %s, want %s %s", i, c.Interval, c.Misc.Timeout, want.interval, want.timeout)
		}
	}
}
