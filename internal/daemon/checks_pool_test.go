package daemon

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/lbhad/lbhad/config"
)

// poolConfig is a config with one vrrp_script (a world-writable one when
// insecure) and n real servers, each with a TCP check.
func poolConfig(t *testing.T, n int, security bool, scriptPath string) *config.Config {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "global {\n  enable_script_security = %v\n  max_script_processes = 8\n}\n", security)
	fmt.Fprintf(&b, "vrrp_script \"chk\" {\n  script = %q\n  interval = 60\n}\n", scriptPath)
	b.WriteString("virtual_server \"web\" {\n  address = \"192.0.2.50:80\"\n")
	for i := range n {
		fmt.Fprintf(&b, "  real_server \"r%d\" {\n    address = \"127.0.0.1:%d\"\n    tcp_check {\n      delay_loop = 60\n      connect_timeout = 30\n    }\n  }\n", i, 40000+i)
	}
	b.WriteString("}\n")
	cfg, diags := config.Parse([]byte(b.String()), "pool.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}

// TestChecksPoolsFollowConfig: vrrp_scripts and real server checks run
// in separate engines, and the real checks' pool is resized by a reload
// that adds checks (it used to be sized once at start).
func TestChecksPoolsFollowConfig(t *testing.T) {
	c := newChecksComponent(zap.NewNop(), nil, nil, nil, nil, nil)
	defer func() { _ = c.Stop(context.Background()) }()
	if err := c.Apply(context.Background(), poolConfig(t, 10, false, "/bin/true")); err != nil {
		t.Fatal(err)
	}
	if c.scripts == nil || c.reals == nil || c.scripts == c.reals {
		t.Fatal("vrrp_scripts and real server checks do not have engines of their own")
	}
	if got := c.scripts.e.Workers(); got != 1 {
		t.Errorf("script workers = %d, want 1 (one per vrrp_script)", got)
	}
	small := c.reals.e.Workers()
	if err := c.Apply(context.Background(), poolConfig(t, 2000, false, "/bin/true")); err != nil {
		t.Fatal(err)
	}
	// 2000 checks that may each hang 30 s of every 60 s need ~1000.
	if big := c.reals.e.Workers(); big <= small || big < 1000 {
		t.Errorf("after a reload to 2000 checks the pool is %d (was %d), want >= 1000", big, small)
	}
	if s, r := len(c.Scripts()), len(c.reals.e.Statuses()); s != 1 || r != 2000 {
		t.Errorf("%d script and %d real server statuses, want 1 and 2000", s, r)
	}
}

// TestAuditScripts: at load, a refused script is logged under script
// security, and scripts run as root without it get one SECURITY
// VIOLATION warning.
func TestAuditScripts(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/chk.sh"
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o777); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	auditScripts(zap.New(core), poolConfig(t, 0, true, p))
	if got := logs.FilterMessageSnippet("script refused").Len(); got != 1 {
		t.Errorf("%d refusals logged for a world-writable vrrp_script, want 1: %v", got, logs.All())
	}

	core, logs = observer.New(zap.InfoLevel)
	auditScripts(zap.New(core), poolConfig(t, 0, false, p))
	want := 0
	if os.Geteuid() == 0 {
		want = 1
	}
	if got := logs.FilterMessageSnippet("SECURITY VIOLATION").Len(); got != want {
		t.Errorf("%d SECURITY VIOLATION warnings as euid %d, want %d", got, os.Geteuid(), want)
	}
}
