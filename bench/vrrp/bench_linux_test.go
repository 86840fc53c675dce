package vrrpbench

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// The smoke tests run the benchmark as small as it goes, lbhad alone (the
// keepalived side is the same code with another start function and costs
// as much again). They check that every part produced samples and
// tables, and assert nothing about speed. They need root (the lab's
// namespaces); without it they skip, except under CI=true.

// logWriter sends Run's progress to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// smoke builds cmd/lbhad and runs c with it, returning the result and the
// tables.
func smoke(t *testing.T, c Config) (*Result, string) {
	t.Helper()
	netnstest.RequireRoot(t)
	c.Lbhad = filepath.Join(t.TempDir(), "lbhad")
	build := exec.Command("go", "build", "-o", c.Lbhad, "./cmd/lbhad")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/lbhad: %v\n%s", err, out)
	}
	var out bytes.Buffer
	res, err := Run(context.Background(), c, &out, logWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	return res, out.String()
}

func wantTables(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("tables lack %q", w)
		}
	}
}

// TestSmoke is one many-instance run of 2 instances on one link, with a
// 1 s settle and a 1 s window: about 10 s.
func TestSmoke(t *testing.T) {
	res, out := smoke(t, Config{
		Only: "scale", Kinds: []string{"lbhad"}, ScaleRuns: 1,
		Links: 1, PerLink: 2, Settle: time.Second, Window: time.Second,
	})
	if res.Failovers != nil {
		t.Errorf("Only scale ran failovers: %v", res.Failovers)
	}
	s := res.Scales["lbhad"]
	if len(s) != 1 {
		t.Fatalf("%d many-instance samples, want 1", len(s))
	}
	if r := s[0]; r.AllOwned <= 0 || r.MasterVIPs != 2 || r.BackupVIPs != 0 || r.RSS[0] <= 0 || r.RSS[1] <= 0 || r.PSS[0] <= 0 {
		t.Errorf("many-instance run not measured: %+v", r)
	}
	wantTables(t, out, "### 2 VRRP instances", "| master CPU (% of one core) | ")
}

// TestSmokeFailover is one SIGKILL and one SIGTERM failover: about 30 s,
// most of it VRRP's own timers (two elections, a master-down interval),
// so -short skips it.
func TestSmokeFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: one failover per event takes about 30 s")
	}
	res, out := smoke(t, Config{Only: "failover", Kinds: []string{"lbhad"}, Runs: 1, AuthPass: "pw12"})
	for _, graceful := range []bool{false, true} {
		f := res.Failovers["lbhad"][graceful]
		if len(f) != 1 {
			t.Fatalf("graceful %v: %d failover samples, want 1", graceful, len(f))
		}
		if r := f[0]; r.Gap <= 0 || r.Takeover <= 0 || r.GARPs == 0 || r.Got == 0 {
			t.Errorf("graceful %v: failover not measured: %+v", graceful, r)
		}
	}
	wantTables(t, out, "### Failover", "| SIGKILL of master: client ping gap | ", "GARPs in the new master's first second, lbhad: ")
}

// TestSmokeFailoverV3 is one VRRPv3 failover per event at advert_int 0.1,
// over IPv4 and over IPv6, lbhad alone.
func TestSmokeFailoverV3(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: one failover per event takes about 20 s")
	}
	res, out := smoke(t, Config{Only: "failover3", Kinds: []string{"lbhad"}, Runs: 1, V3Advert: 100 * time.Millisecond})
	if res.Failovers != nil {
		t.Errorf("Only failover3 ran VRRPv2 failovers: %v", res.Failovers)
	}
	for fam, runs := range map[string]map[string]map[bool][]Failover{"IPv4": res.Failovers3, "IPv6": res.Failovers6} {
		for _, graceful := range []bool{false, true} {
			f := runs["lbhad"][graceful]
			if len(f) != 1 {
				t.Fatalf("%s graceful %v: %d failover samples, want 1", fam, graceful, len(f))
			}
			if r := f[0]; r.Gap <= 0 || r.Takeover <= 0 || r.Restore < r.Takeover || r.GARPs == 0 || r.Got == 0 {
				t.Errorf("%s graceful %v: failover not measured: %+v", fam, graceful, r)
			}
		}
	}
	wantTables(t, out, "### Failover, VRRPv3 (advert_int 0.1", "| SIGTERM: priority-0 advert → new master's first advert | ",
		"### Failover, VRRPv3 over IPv6 (advert_int 0.1", "| new master's first advert → first NA (after SIGKILL) | ", "NAs in the new master's first second, lbhad: ")
}
