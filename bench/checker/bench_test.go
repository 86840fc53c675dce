package checkerbench

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"testing"
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
	for _, x := range []rateResult{r.tcp, r.pacer, r.raw, r.dialer, r.http, r.httpLoop} {
		if x.ok == 0 {
			t.Errorf("%s: no successful attempts (%d failed, first: %q)", x.name, x.fail, x.firstErr)
		}
	}
	for _, l := range []latResult{r.refused, r.hung} {
		if len(l.latencies) == 0 {
			t.Errorf("%s: no backend was reported down", l.name)
		}
	}
	// The engine starts a goroutine per attempt in flight (up to its
	// worker limit), so a quiet moment may show only a few.
	if r.mem.rssRunning <= 0 || r.mem.goroutines <= 0 {
		t.Errorf("memory not measured: %+v", r.mem)
	}
	if !bytes.Contains(out.Bytes(), []byte("| lbhad tcp_check engine")) {
		t.Errorf("report lacks the tcp_check row:\n%s", out.String())
	}
	t.Log("\n" + out.String())
}
