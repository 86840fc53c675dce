package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lbhad-cli-test-")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "lbhad")
	args := []string{"build", "-o", binPath}
	if raceBuild {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const validConf = "global {\n  router_id = \"cli-test\"\n  control_socket = \"/tmp/lbhad-cli-test.sock\"\n  state_file = \"/tmp/lbhad-cli-test-state.json\"\n}\n"

const invalidConf = `vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 0
  priority = 150
}
`

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.hcl")
	bad := filepath.Join(dir, "bad.hcl")
	if err := os.WriteFile(good, []byte(validConf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(invalidConf), 0o644); err != nil {
		t.Fatal(err)
	}
	insecure := filepath.Join(dir, "insecure.hcl")
	script := filepath.Join(dir, "notify.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(script, 0o777); err != nil { // world-writable, despite umask
		t.Fatal(err)
	}
	secure := "global {\n  enable_script_security = true\n}\n" +
		"vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  virtual_router_id = 51\n  virtual_ipaddress = [\"192.0.2.50\"]\n  notify_master = \"" + script + "\"\n}\n"
	if err := os.WriteFile(insecure, []byte(secure), 0o644); err != nil {
		t.Fatal(err)
	}
	// A user this host lacks, and a CA file that exists but holds no
	// certificate: both pass parsing, the daemon would refuse both, so
	// validate does (unless told the file is for another machine).
	noUser := filepath.Join(dir, "nouser.hcl")
	if err := os.WriteFile(noUser, []byte("global {\n  script_user = \"no-such-user-lbhad\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	junkCA := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junkCA, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badCA := filepath.Join(dir, "badca.hcl")
	badCAConf := "virtual_server \"web\" {\n  address = \"192.0.2.10:443\"\n  real_server \"a\" {\n    address = \"192.0.2.7:443\"\n    ssl_get {\n      ca_file = \"" + junkCA + "\"\n    }\n  }\n}\n"
	if err := os.WriteFile(badCA, []byte(badCAConf), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		code       int
		wantStdout string
		wantStderr string
	}{
		{"unknown user", []string{"validate", "-c", noUser}, 1, "", "nouser.hcl:2:17: error: Unknown user"},
		{"unknown user offline", []string{"validate", "--offline", "-c", noUser}, 0, "valid", ""},
		{"ca file without certificate", []string{"validate", "-c", badCA}, 1, "", "checker rejects the config"},
		{"run with a config a component refuses", []string{"run", "-c", badCA}, 1, "", "checker rejects the config"},
		{"valid", []string{"validate", "-c", good}, 0, "valid", ""},
		{"keepalived -t", []string{"-t", "-c", good}, 0, "valid", ""},
		{"invalid", []string{"validate", "-c", bad}, 1, "", "bad.hcl:3:"},
		{"world-writable script", []string{"validate", "-c", insecure}, 1, "", "notify.sh"},
		{"missing file", []string{"validate", "-c", filepath.Join(dir, "none.hcl")}, 1, "", "none.hcl"},
		{"run with invalid", []string{"run", "-c", bad}, 1, "", "not starting"},
		{"status without daemon", []string{"status", "-s", filepath.Join(dir, "none.sock")}, 1, "", "is it running?"},
		{"no command", nil, 2, "", "Usage:"},
		{"unknown command", []string{"frobnicate"}, 2, "", "unknown command"},
		{"bad flag", []string{"validate", "--nope"}, 2, "", "unknown flag: --nope"},
		{"single-dash long flag", []string{"validate", "-offline", "-c", good}, 2, "", "unknown shorthand flag"},
		{"validate the argument", []string{"validate", bad}, 1, "", "bad.hcl:3:"},
		{"validate argument and flag after it", []string{"validate", noUser, "--offline"}, 0, "nouser.hcl: valid", ""},
		{"validate stray argument", []string{"validate", "-c", good, "extra"}, 2, "", "give the file as the argument or with -c, not both"},
		{"validate two files", []string{"validate", good, bad}, 2, "", "accepts at most 1 arg"},
		{"keepalived -t -f", []string{"-t", "-f", good}, 0, "valid", ""},
		{"keepalived --use-file", []string{"validate", "--use-file", good}, 0, "valid", ""},
		{"validate json", []string{"validate", "--format", "json", bad}, 1, `"line": 3`, ""},
		{"validate json valid", []string{"validate", "--format", "json", good}, 0, `"valid": true`, ""},
		{"validate bad format", []string{"validate", "--format", "yaml", good}, 2, "", "--format is text or json"},
		{"run stray argument", []string{"run", good}, 2, "", "unknown command"},
		{"run -h", []string{"run", "-h"}, 0, "--log-format", ""},
		{"dump --json rejected", []string{"dump", "--json"}, 2, "", "unknown flag: --json"},
		{"status stray argument", []string{"status", "now"}, 2, "", "unknown command"},
		{"convert flag after file", []string{"convert", "../../internal/kaconv/testdata/haproxy_smtp.conf", "-o", filepath.Join(dir, "out.hcl")}, 0, "", ""},
		{"convert two files", []string{"convert", "a.conf", "b.conf"}, 2, "", "accepts 1 arg"},
		{"version flag", []string{"--version"}, 0, "  go:       go1.", ""},
		{"bad log format", []string{"run", "-c", good, "--log-format", "xml"}, 2, "", "log-format"},
		{"convert clean", []string{"convert", "../../internal/kaconv/testdata/haproxy_smtp.conf"}, 0, "vrrp_script \"chk_haproxy\"", ""},
		{"convert with drops", []string{"convert", "../../internal/kaconv/testdata/unsupported.conf"}, 1, "vrrp_instance", "not converted: "},
		{"validate a directory", []string{"validate", "--offline", "-c", "../../config/testdata/dir/good"}, 0, "valid", ""},
		{"validate a directory with errors", []string{"validate", "--offline", "-c", "../../config/testdata/dir/bad"}, 1, "", "30-range.hcl:4:"},
		{"run with an invalid directory", []string{"run", "-c", "../../config/testdata/dir/bad"}, 1, "", "30-range.hcl:4:"},
		{"convert flags after the file", []string{"convert", "../../internal/kaconv/testdata/conditional.conf", "-i", "lb2"}, 0, "priority          = 100", ""},
		{"convert explain", []string{"convert", "--explain", "../../internal/kaconv/testdata/fidelity.conf"}, 1, "persistence_timeout = 360", "explain: ../../internal/kaconv/testdata/fidelity.conf:33: persistence_timeout: as persistence_timeout"},
		{"convert config id", []string{"convert", "-i", "lb2", "--explain", "../../internal/kaconv/testdata/conditional.conf"}, 0, "priority          = 100", "conditional.conf:7: priority 100"},
		{"convert usage", []string{"convert"}, 2, "", "accepts 1 arg(s), received 0"},
		{"convert two files", []string{"convert", "a.conf", "b.conf"}, 2, "", "accepts 1 arg(s), received 2"},
		{"version", []string{"version"}, 0, "lbhad ", ""},
		{"help", []string{"help"}, 0, "lbhad validate", ""},
		{"help of a subcommand", []string{"help", "validate"}, 0, "--offline", ""},
	}
	// Most rows run the command line in-process through run, which main
	// hands to os.Exit unchanged; a race binary's start costs close to a
	// second on a loaded machine. The daemon's rows and a few others go
	// through the built binary, so main's plumbing is exercised too.
	viaBinary := map[string]bool{"no command": true, "keepalived -t": true, "version flag": true,
		"validate json": true, "bad flag": true, "unknown user": true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := 0
			if viaBinary[tt.name] || len(tt.args) > 0 && tt.args[0] == "run" {
				cmd := exec.Command(binPath, tt.args...)
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
			} else {
				code = run(tt.args, &stdout, &stderr)
			}
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout %q does not contain %q", stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe to read while the child writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls the daemon's log until it holds n copies of want.
func waitFor(t *testing.T, log *syncBuffer, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Count(log.String(), want) >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("daemon log never said %q %d times; log:\n%s", want, n, log.String())
}

// TestRunLifecycle runs the built binary: it starts, keeps the old config
// when SIGHUP brings an invalid file, takes a valid one, and stops on
// SIGTERM with exit status 0.
func TestRunLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lbhad.hcl")
	if err := os.WriteFile(path, []byte(validConf), 0o644); err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	cmd := exec.Command(binPath, "run", "-c", path, "--log-format", "json")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitFor(t, &log, "lbhad is running", 1)

	// status and dump reach it over the control socket named in the config.
	for _, args := range [][]string{{"status", "-c", path}, {"status", "-c", path, "--json"}, {"dump", "-c", path}} {
		out, err := exec.Command(binPath, args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "cli-test") {
			t.Errorf("lbhad %v: %v\n%s", args, err, out)
		}
	}

	if err := os.WriteFile(path, []byte(invalidConf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &log, "still running the previous config", 1)
	if !strings.Contains(log.String(), "lbhad.hcl:3:") {
		t.Errorf("reload error does not name file:line; log:\n%s", log.String())
	}

	if err := os.WriteFile(path, []byte(validConf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &log, `"reloaded"`, 1)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("daemon exited with %v; log:\n%s", err, log.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("daemon did not stop on SIGTERM; log:\n%s", log.String())
	}
	if !strings.Contains(log.String(), `"stopped"`) {
		t.Errorf("no orderly stop in log:\n%s", log.String())
	}
}
