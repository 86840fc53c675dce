package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/config"
)

const goodConf = `
global {
  router_id = "t1"
  control_socket = "SOCK"
}
vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 51
  priority = 150
  virtual_ipaddress = ["192.0.2.50/24"]
}
`

const changedConf = `
global {
  router_id = "t1"
  control_socket = "SOCK"
}
vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 51
  priority = 120
  virtual_ipaddress = ["192.0.2.50/24"]
}
`

const badConf = `
vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 300
  priority = 120
}
`

// recorder is a fake Component and ServiceManager that remembers every call.
type recorder struct {
	mu      sync.Mutex
	applied []uint8 // priority of VI_1 in each applied config
	stopped bool
	notes   []string
	applyCh chan struct{}
	noteCh  chan string
	// reject makes Check refuse; applyErr makes Apply fail.
	reject, applyErr error
	name             string // default "recorder"
}

func newRecorder() *recorder {
	return &recorder{applyCh: make(chan struct{}, 10), noteCh: make(chan string, 100)}
}

func (r *recorder) Name() string {
	if r.name != "" {
		return r.name
	}
	return "recorder"
}
func (r *recorder) Check(*config.Config) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reject
}
func (r *recorder) Apply(_ context.Context, cfg *config.Config) error {
	var prio uint8
	if len(cfg.Instances) > 0 {
		prio = cfg.Instances[0].Priority
	}
	r.mu.Lock()
	r.applied = append(r.applied, prio)
	r.mu.Unlock()
	r.applyCh <- struct{}{}
	return r.applyErr
}
func (r *recorder) Stop(context.Context) error {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	return nil
}
func (r *recorder) Notify(s string) {
	r.mu.Lock()
	r.notes = append(r.notes, s)
	r.mu.Unlock()
	r.noteCh <- s
}

// waitNote waits until the daemon notifies a state starting with prefix.
func (r *recorder) waitNote(t *testing.T, prefix string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case s := <-r.noteCh:
			if strings.HasPrefix(s, prefix) {
				return
			}
		case <-timeout:
			t.Fatalf("no sd_notify %q", prefix)
		}
	}
}
func (r *recorder) WatchdogInterval() time.Duration { return 0 }

func (r *recorder) snapshot() ([]uint8, bool, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint8(nil), r.applied...), r.stopped, append([]string(nil), r.notes...)
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	body = strings.ReplaceAll(body, "SOCK", filepath.Join(filepath.Dir(path), "lbhad.sock"))
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRunRefusesInvalidConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lbhad.hcl")
	writeFile(t, path, badConf)
	rec := newRecorder()
	err := Run(context.Background(), Options{ConfigPath: path, Ports: Ports{ServiceManager: rec},
		Components: func(Env) []Component { return []Component{rec} }})
	var cerr *ConfigError
	if !errors.As(err, &cerr) {
		t.Fatalf("Run = %v, want *ConfigError", err)
	}
	if applied, _, notes := rec.snapshot(); len(applied) != 0 || len(notes) != 0 {
		t.Errorf("invalid config started something: applied %v, notified %v", applied, notes)
	}
}

func TestRunReloadAndStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lbhad.hcl")
	writeFile(t, path, goodConf)
	rec := newRecorder()
	reload := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{ConfigPath: path, Ports: Ports{ServiceManager: rec}, Reload: reload,
			Components: func(Env) []Component { return []Component{rec} }})
	}()
	waitApply := func() {
		t.Helper()
		select {
		case <-rec.applyCh:
		case <-time.After(10 * time.Second):
			t.Fatal("component was not applied")
		}
	}
	waitApply()

	// An invalid file is not applied; the loop must go on serving.
	writeFile(t, path, badConf)
	reload <- struct{}{}
	rec.waitNote(t, "STATUS=reload failed")
	// A valid changed file is applied.
	writeFile(t, path, changedConf)
	reload <- struct{}{}
	waitApply()

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	applied, stopped, notes := rec.snapshot()
	if diff := cmp.Diff([]uint8{150, 120}, applied); diff != "" {
		t.Errorf("applied priorities (-want +got):\n%s", diff)
	}
	if !stopped {
		t.Error("component was not stopped")
	}
	want := []string{
		"READY=1", "STATUS=running: 1 VRRP instance; 0 virtual servers",
		"RELOADING=1", "STATUS=reload failed (1 problems), still running the previous config", "READY=1",
		"RELOADING=1", "STATUS=running: 1 VRRP instance; 0 virtual servers", "READY=1",
		"STOPPING=1",
	}
	if diff := cmp.Diff(want, notes); diff != "" {
		t.Errorf("sd_notify sequence (-want +got):\n%s", diff)
	}
}
