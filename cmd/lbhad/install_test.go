package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstallScript stages scripts/install.sh into a temporary DESTDIR:
// every file lands where the unit expects it, the installed binary
// validates the installed config, and a second run keeps an edited
// config. It installs the binary TestMain built (LBHAD_BIN): building
// it again with install.sh's own flags (static, -trimpath) recompiled
// every dependency and took most of this package's test time.
func TestInstallScript(t *testing.T) {
	dest := t.TempDir()
	run := func() string {
		t.Helper()
		cmd := exec.Command("bash", "../../scripts/install.sh")
		cmd.Env = append(os.Environ(), "DESTDIR="+dest, "LBHAD_BIN="+binPath)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("install.sh: %v\n%s", err, out)
		}
		return string(out)
	}
	run()
	for _, f := range []string{"usr/local/sbin/lbhad", "etc/systemd/system/lbhad.service", "etc/lbhad/lbhad.hcl.sample",
		"etc/modules-load.d/lbhad.conf", "usr/share/doc/lbhad/config.md"} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("not installed: %s", f)
		}
	}
	unit, _ := os.ReadFile(filepath.Join(dest, "etc/systemd/system/lbhad.service"))
	if !strings.Contains(string(unit), "ExecStart=/usr/local/sbin/lbhad run -c /etc/lbhad/lbhad.hcl") {
		t.Error("the unit does not start the installed binary with the installed config")
	}
	bin := filepath.Join(dest, "usr/local/sbin/lbhad")
	conf := filepath.Join(dest, "etc/lbhad/lbhad.hcl")
	// Never a live config: the unit's ConditionFileNotEmpty keeps the
	// service down until the operator writes one.
	if _, err := os.Stat(conf); !os.IsNotExist(err) {
		t.Errorf("install.sh wrote a live config %s (err %v); only the sample belongs there", conf, err)
	}
	if out, err := exec.Command(bin, "validate", "--offline", "-c", conf+".sample").CombinedOutput(); err != nil {
		t.Errorf("installed sample does not validate: %v\n%s", err, out)
	}
	if err := os.WriteFile(conf, []byte("# edited\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if out := run(); !strings.Contains(out, "kept the existing") {
		t.Errorf("second run did not say it kept the config:\n%s", out)
	}
	if b, _ := os.ReadFile(conf); string(b) != "# edited\n" {
		t.Error("second run overwrote an edited config")
	}
}
