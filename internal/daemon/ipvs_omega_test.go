package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lbhad/lbhad/ipvssync"
)

// TestOmegaRunsDownScriptsOnStop runs the daemon as built for production
// on the fake IPVS kernel with two virtual servers, each with a live real
// server carrying notify_down and a quorum_down: when lbhad stops, the
// omega one's scripts run (keepalived's omega), the other's do not.
func TestOmegaRunsDownScriptsOnStop(t *testing.T) {
	dir := t.TempDir()
	mark := func(n string) string { return filepath.Join(dir, n) }
	conf := fmt.Sprintf(`
virtual_server "omega" {
  address     = "192.0.2.50:80"
  omega       = true
  quorum_down = "/bin/touch %[1]s"
  real_server "a" {
    address     = "127.0.0.1:80"
    notify_down = "/bin/touch %[2]s"
  }
}
virtual_server "plain" {
  address     = "192.0.2.51:80"
  quorum_down = "/bin/touch %[3]s"
  real_server "a" {
    address     = "127.0.0.1:80"
    notify_down = "/bin/touch %[4]s"
  }
}
`, mark("omega-quorum"), mark("omega-rs"), mark("plain-quorum"), mark("plain-rs"))
	path := filepath.Join(dir, "lbhad.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(StateFileEnv, filepath.Join(dir, "state.json"))
	kernel := ipvssync.NewFakeKernel()
	opts := Options{ConfigPath: path, Ports: fakeIPVS(kernel), Logger: zaptest.NewLogger(t)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, opts) }()
	eventually(t, "both real servers in the table", 10*time.Second, func() bool {
		tab, err := ipvssync.Read(kernel)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range tab {
			n += len(e.Dests)
		}
		return n == 2
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop")
	}
	exists := func(n string) bool { _, err := os.Stat(mark(n)); return err == nil }
	// Notification scripts run asynchronously but the notify part, last
	// to stop, delivers what was queued before it stopped.
	eventually(t, "omega's notify_down and quorum_down ran", 5*time.Second, func() bool {
		return exists("omega-rs") && exists("omega-quorum")
	})
	if exists("plain-rs") || exists("plain-quorum") {
		t.Errorf("scripts of the virtual server without omega ran on stop (rs %v, quorum %v)", exists("plain-rs"), exists("plain-quorum"))
	}
}
