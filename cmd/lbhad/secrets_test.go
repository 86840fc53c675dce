package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// The secrets of secretsConf; none may appear in anything lbhad prints.
var cliSecrets = []string{"APsec-5c1e", "SMTPpw-2b7d", "HOOKsec-81f0", "HDRtok-4e3a", "PATHtok-9d62", "QRYtok-06bb"}

// secretsConf is a config with every kind of secret. WEBHOOK is the
// test server's address, SOCK and STATE paths in the test's directory,
// METRICS the metrics address.
const secretsConf = `global {
  router_id      = "secrets-test"
  control_socket = "SOCK"
  state_file     = "STATE"
  metrics_listen = "METRICS"
  notification {
    email {
      server   = "127.0.0.1:1"
      from     = "lbhad@example.com"
      to       = ["ops@example.com"]
      username = "lbhad"
      password = "SMTPpw-2b7d"
    }
    webhook "chat" {
      url     = "http://WEBHOOK/services/PATHtok-9d62?token=QRYtok-06bb"
      secret  = "HOOKsec-81f0"
      headers = { "Authorization" = "Bearer HDRtok-4e3a" }
      retries = 0
    }
  }
}
`

// badSecretsConf has a problem on or next to each secret, so validate
// prints a snippet of each line.
const badSecretsConf = `vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 100
  virtual_ipaddress = ["192.0.2.50/24"]
  authentication {
    auth_type = "PASS"
    auth_pass = "APsec-5c1e-too-long"
  }
}
global {
  notification {
    email {
      server   = "smtp example com"
      from     = "lbhad@example.com"
      to       = ["ops@example.com"]
      password = "SMTPpw-2b7d"
    }
    webhook "chat" {
      url     = "ftp://hooks.example.com/services/PATHtok-9d62?token=QRYtok-06bb"
      secret  = ["HOOKsec-81f0"]
      headers = { "Authorization" = ["Bearer HDRtok-4e3a"] }
    }
  }
}
`

// TestNoSecretsInOutputs: validate's diagnostics, the daemon's log
// (including a failed webhook delivery and a failed reload), dump,
// status and the metrics carry none of the config's secrets.
func TestNoSecretsInOutputs(t *testing.T) {
	dir := t.TempDir()
	outputs := map[string]string{}

	bad := filepath.Join(dir, "bad.hcl")
	if err := os.WriteFile(bad, []byte(badSecretsConf), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binPath, "validate", "-c", bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "bad.hcl:8:") || !strings.Contains(string(out), "bad.hcl:20:") {
		t.Errorf("validate of a bad file: %v\n%s", err, out)
	}
	outputs["validate"] = string(out)
	out, err = exec.Command(binPath, "validate", "--format", "json", bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out), `"line": 8`) {
		t.Errorf("validate --format json of a bad file: %v\n%s", err, out)
	}
	outputs["validate --format json"] = string(out)

	var hits atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "no: "+r.URL.String(), http.StatusInternalServerError)
	}))
	defer hook.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	ln.Close()
	sock := filepath.Join(dir, "lbhad.sock")
	conf := strings.NewReplacer("SOCK", sock, "STATE", filepath.Join(dir, "state.json"), "METRICS", metricsAddr,
		"WEBHOOK", strings.TrimPrefix(hook.URL, "http://")).Replace(secretsConf)
	path := filepath.Join(dir, "lbhad.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	cmd := exec.Command(binPath, "run", "-c", path, "--log-level", "debug")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitFor(t, &log, "lbhad is running", 1)
	waitFor(t, &log, "notification failed", 1) // the start event's webhook got a 500
	if hits.Load() == 0 {
		t.Error("the webhook was never called")
	}

	for _, args := range [][]string{{"dump", "-c", path}, {"status", "-c", path, "--json"}} {
		out, err := exec.Command(binPath, args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "secrets-test") {
			t.Errorf("lbhad %v: %v\n%s", args, err, out)
		}
		outputs[strings.Join(args[:1], " ")] = string(out)
	}
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "lbhad_") {
		t.Errorf("metrics: %s", body)
	}
	outputs["metrics"] = string(body)

	// A reload with errors on the secret lines logs its diagnostics.
	if err := os.WriteFile(path, []byte(badSecretsConf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &log, "still running the previous config", 1)
	outputs["log"] = log.String()

	for name, out := range outputs {
		for _, s := range cliSecrets {
			if strings.Contains(out, s) {
				t.Errorf("%s carries secret %q:\n%s", name, s, out)
			}
		}
	}
}
