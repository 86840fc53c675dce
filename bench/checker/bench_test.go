package checkerbench

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for the benchmark's re-executed
// backend processes.
func TestMain(m *testing.M) {
	BackendMain()
	os.Exit(m.Run())
}

// TestSmoke runs every phase with tiny numbers in the host namespace and
// checks that each produced results. It asserts nothing about speed.
func TestSmoke(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the checker benchmark runs on linux only")
	}
	var out bytes.Buffer
	r, err := Run(context.Background(), ShortConfig(), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []rateResult{r.tcp, r.tcpEach, r.pacer, r.raw, r.dialer, r.http, r.httpLoop} {
		if x.ok == 0 {
			t.Errorf("%s: no successful attempts (%d failed, first: %q)", x.name, x.fail, x.firstErr)
		}
	}
	for _, l := range []latResult{r.refused, r.hung} {
		if len(l.latencies) == 0 {
			t.Errorf("%s: no backend was reported down", l.name)
		}
	}
	// Bare connects run in the engine's connect loop, so a quiet moment
	// may show only a few goroutines.
	if r.mem.rssRunning <= 0 || r.mem.goroutines <= 0 {
		t.Errorf("memory not measured: %+v", r.mem)
	}
	if !bytes.Contains(out.Bytes(), []byte("| lbhad tcp_check engine")) {
		t.Errorf("report lacks the tcp_check row:\n%s", out.String())
	}
	t.Log("\n" + out.String())
}

// TestDaemonPhase runs the daemon phase on a small scale: lbhad, built
// here, checks 30 backends twice a second through the config the phase
// writes; its attempts are read back from its metrics.
func TestDaemonPhase(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the checker benchmark runs on linux only")
	}
	bin := filepath.Join(t.TempDir(), "lbhad")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/lbhad").CombinedOutput(); err != nil {
		t.Fatalf("build lbhad: %v\n%s", err, out)
	}
	c := ShortConfig()
	c.Checks, c.Interval, c.Timeout = 30, 500*time.Millisecond, time.Second
	c.Warmup, c.Duration, c.Lbhad = time.Second, 2*time.Second, bin
	var log bytes.Buffer
	d, err := daemonPhase(context.Background(), c, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	// 30 checks at 2 a second: about 60 attempts a second.
	if !d.ran || d.rate < 30 || d.rate > 90 || d.rss <= 0 || d.rssQuiet <= 0 || d.goroutines <= 0 {
		t.Fatalf("daemon phase: %+v\n%s", d, log.String())
	}
}
