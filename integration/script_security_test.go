//go:build integration

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// countLines is the number of lines in path, 0 when it does not exist.
func countLines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}

// TestScriptSecurityRefuses (fault matrix P12): a real lbhad in a
// namespace, with enable_script_security, a world-writable vrrp_script
// and a world-writable misc_check (in a world-writable directory), and a
// safe misc_check that counts its runs. The insecure scripts never run
// and their refusal is logged; the safe one runs, and once made
// world-writable while lbhad runs it is refused at its next run and never
// runs again.
func TestScriptSecurityRefuses(t *testing.T) {
	b := newBed(t)
	open := filepath.Join(b.l.Dir, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	safeDir := filepath.Join(b.l.Dir, "safe")
	if err := os.Mkdir(safeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(path, body string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	trackRan := filepath.Join(b.l.Dir, "track-ran")
	miscRan := filepath.Join(b.l.Dir, "misc-ran")
	safeRuns := filepath.Join(b.l.Dir, "safe-runs")
	track := filepath.Join(open, "track.sh")
	misc := filepath.Join(open, "misc.sh")
	safe := filepath.Join(safeDir, "safe.sh")
	write(track, "touch "+trackRan, 0o777)
	write(misc, "touch "+miscRan, 0o777)
	write(safe, "echo run >> "+safeRuns, 0o755)

	in := lab.Instance{Priority: 150, AuthPass: "pw12",
		Script:      &lab.Script{Command: track, Interval: 1, Weight: -60},
		LBHADGlobal: "  enable_script_security = true\n"}
	conf := lab.LBHADConf(b.l.D1.Name, b.l.ControlSocket(b.l.D1), in) + fmt.Sprintf(`
virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "insecure" {
    address = "192.0.2.101:80"
    misc_check {
      path       = %q
      delay_loop = 1
    }
  }
  real_server "safe" {
    address = "192.0.2.102:80"
    misc_check {
      path       = %q
      delay_loop = 1
    }
  }
}
`, misc, safe)
	path := filepath.Join(b.l.Dir, "security.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := b.l.Start(b.l.D1.NS, "d1-lbhad-security", lbhadBin(t), "run", "-c", path)
	if err != nil {
		t.Fatal(err)
	}
	if !lab.Eventually(15*time.Second, func() bool { return countLines(safeRuns) >= 3 }) {
		t.Fatalf("the safe misc_check never ran 3 times; log:\n%s", p.Output())
	}
	log := p.Output()
	for _, where := range []string{`vrrp_script \"chk\" script`, `virtual_server \"web\" real_server \"insecure\" misc_check`} {
		if !logHas(log, "script refused: it will not run", where) {
			t.Errorf("log lacks the refusal of %s:\n%s", where, log)
		}
	}
	for _, m := range []string{trackRan, miscRan} {
		if _, err := os.Stat(m); err == nil {
			t.Errorf("%s exists: an insecure script ran", filepath.Base(m))
		}
	}

	// Made world-writable while lbhad runs: refused at the next run.
	if err := os.Chmod(safe, 0o777); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // an attempt already started may finish
	n := countLines(safeRuns)
	time.Sleep(4 * time.Second) // four more intervals
	if m := countLines(safeRuns); m != n {
		t.Errorf("the misc_check made world-writable ran %d more times", m-n)
	}
	if !strings.Contains(p.Output(), "insecure script") {
		t.Errorf("no refusal logged after the chmod:\n%s", p.Output())
	}
	for _, m := range []string{trackRan, miscRan} {
		if _, err := os.Stat(m); err == nil {
			t.Errorf("%s exists: an insecure script ran", filepath.Base(m))
		}
	}
	if p.Exited() {
		t.Errorf("lbhad exited; log:\n%s", p.Output())
	}
}

// logHas reports whether one line of log contains every part.
func logHas(log string, parts ...string) bool {
	for _, line := range strings.Split(log, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}
