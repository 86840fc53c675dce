package daemon

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/internal/metrics"
)

// A component that refuses the first config starts nothing: no
// component is applied, no READY is sent.
func TestRunStartRejected(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lbhad.hcl")
	writeFile(t, path, goodConf)
	ok, no := newRecorder(), newRecorder()
	no.name, no.reject = "vrrp", errors.New("more than 255 vips")
	err := Run(context.Background(), Options{ConfigPath: path, Ports: Ports{ServiceManager: ok},
		Components: func(Env) []Component { return []Component{ok, no} }})
	var rej *RejectedError
	if !errors.As(err, &rej) || rej.Component != "vrrp" {
		t.Fatalf("Run = %v, want a RejectedError from vrrp", err)
	}
	if applied, _, notes := ok.snapshot(); len(applied) != 0 || len(notes) != 0 {
		t.Errorf("a rejected start applied %v and notified %v", applied, notes)
	}
	if applied, _, _ := no.snapshot(); len(applied) != 0 {
		t.Errorf("the rejecting component was applied %v", applied)
	}
}

// newTestDaemon is a daemon running cfg on comps, without Run's loop,
// for stepping reload by hand.
func newTestDaemon(t *testing.T, path string, n ServiceManager, comps ...Component) *daemon {
	t.Helper()
	cfg, _, diags := config.LoadFile(path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	d := &daemon{log: zap.NewNop(), n: n, path: path, clock: clock.Real(), host: config.OSHost{}, cfg: cfg, parts: &Parts{}, comps: comps}
	d.metrics = metrics.New(d)
	return d
}

// One component refusing a reload rejects it for all: nobody is
// applied, the old config stays, and STATUS=, status and the metrics
// say which component refused and why.
func TestReloadRejectedByOneComponent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lbhad.hcl")
	writeFile(t, path, goodConf)
	first, second := newRecorder(), newRecorder()
	second.name = "vrrp"
	d := newTestDaemon(t, path, first, first, second)
	old := d.cfg

	writeFile(t, path, changedConf)
	second.mu.Lock()
	second.reject = errors.New("instance VI_1: more than 255 vips")
	second.mu.Unlock()
	d.reload(context.Background())

	for _, r := range []*recorder{first, second} {
		if applied, _, _ := r.snapshot(); len(applied) != 0 {
			t.Errorf("%s applied %v of a rejected reload", r.Name(), applied)
		}
	}
	if d.cfg != old {
		t.Error("the rejected config replaced the running one")
	}
	_, _, notes := first.snapshot()
	want := []string{"RELOADING=1", "STATUS=reload failed (vrrp rejects the config: instance VI_1: more than 255 vips), still running the previous config", "READY=1"}
	if diff := cmp.Diff(want, notes); diff != "" {
		t.Errorf("sd_notify (-want +got):\n%s", diff)
	}
	snap := d.Snapshot()
	wantReload := &control.ReloadStatus{At: snap.LastReload.At, Component: "vrrp", Error: "instance VI_1: more than 255 vips"}
	if diff := cmp.Diff(wantReload, snap.LastReload); diff != "" {
		t.Errorf("status last reload (-want +got):\n%s", diff)
	}

	// Once the component accepts, the same file goes through.
	second.mu.Lock()
	second.reject = nil
	second.mu.Unlock()
	d.reload(context.Background())
	if applied, _, _ := second.snapshot(); !cmp.Equal(applied, []uint8{120}) {
		t.Errorf("accepted reload applied %v, want [120]", applied)
	}
	if s := d.Snapshot(); s.LastReload == nil || !s.LastReload.OK {
		t.Errorf("last reload %+v, want OK", s.LastReload)
	}
}

// A component that takes the config but cannot run it yet makes the
// daemon "degraded" with the reason, in STATUS= and status, never
// "running".
func TestReloadDegraded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lbhad.hcl")
	writeFile(t, path, goodConf)
	rec, ipvs := newRecorder(), newRecorder()
	ipvs.name, ipvs.applyErr = "ipvs", errors.New("IPVS is not available")
	d := newTestDaemon(t, path, rec, rec, ipvs)
	d.reload(context.Background())
	_, _, notes := rec.snapshot()
	want := []string{"RELOADING=1", "STATUS=degraded: 1 VRRP instance; ipvs: IPVS is not available; 0 virtual servers", "READY=1"}
	if diff := cmp.Diff(want, notes); diff != "" {
		t.Errorf("sd_notify (-want +got):\n%s", diff)
	}
	wantDeg := []control.Problem{{Component: "ipvs", Error: "IPVS is not available"}}
	if diff := cmp.Diff(wantDeg, d.Snapshot().Degraded); diff != "" {
		t.Errorf("status degraded (-want +got):\n%s", diff)
	}
}

// Every shipped example passes the components' checks, so `lbhad
// validate` on a stock machine accepts what the docs show.
func TestExamplesPassComponentChecks(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.hcl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, _, diags := config.LoadFile(f)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if err := CheckConfig(cfg); err != nil {
				t.Error(err)
			}
		})
	}
}
