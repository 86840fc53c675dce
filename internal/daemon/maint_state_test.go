package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/ipvssync"
	"github.com/lbhad/lbhad/notify"
	"go.uber.org/zap"
)

func TestMaintStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "state.json")
	st, err := loadMaintState(path)
	if err != nil || st.Director != nil || len(st.Instances)+len(st.RealServers) != 0 {
		t.Fatalf("missing file: %+v, %v", st, err)
	}
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	want := maintState{
		Version:   maintStateVersion,
		Director:  &maintMark{Since: since, By: "pid 1 uid 0 gid 0"},
		Instances: map[string]maintMark{"VI_2": {Since: since, By: "x"}},
		RealServers: map[string]maintRSMark{
			"web/a": {Since: since, By: "y", DrainTimeout: control.Duration(5 * time.Minute), Out: true},
		},
	}
	if err := saveMaintState(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := loadMaintState(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	// No temporary file is left behind, and the file is readable JSON
	// people can edit.
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("state directory holds %v", ents)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"drain_timeout": "5m0s"`) {
		t.Errorf("state file:\n%s", b)
	}
}

func TestMaintStateBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"garbage": "{not json",
		"version": `{"version": 9}`,
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := loadMaintState(p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A directory where the file should be cannot be written over.
	if err := saveMaintState(dir, maintState{}); err == nil {
		t.Error("saving over a directory succeeded")
	}
}

// TestMaintStateUnusableHoldsDirector: a state file that exists but
// cannot be used (garbage, truncated to nothing, an unknown version, a
// directory) puts the whole director in maintenance, announces it, and
// keeps a copy of the bad file; the next good save replaces it.
func TestMaintStateUnusableHoldsDirector(t *testing.T) {
	for name, create := range map[string]func(string) error{
		"garbage":   func(p string) error { return os.WriteFile(p, []byte("{\"version\":1,\"director\":{"), 0o644) },
		"empty":     func(p string) error { return os.WriteFile(p, nil, 0o644) },
		"version":   func(p string) error { return os.WriteFile(p, []byte(`{"version": 9}`), 0o644) },
		"directory": func(p string) error { return os.Mkdir(p, 0o755) },
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := create(path); err != nil {
				t.Fatal(err)
			}
			m, evs, _ := maintFixture(t, path)
			st := m.Status()
			if len(st.Directors) != 1 || st.Directors[0].Instance != "" || !strings.Contains(st.Directors[0].By, "state file unusable") {
				t.Fatalf("status: %+v", st)
			}
			if len(*evs) != 1 || (*evs)[0].Kind != notify.Maintenance || !strings.Contains((*evs)[0].Reason, "director held in maintenance") {
				t.Errorf("notifications: %+v", *evs)
			}
			if name != "directory" {
				if _, err := os.Stat(path + ".corrupt"); err != nil {
					t.Errorf("no copy of the bad file: %v", err)
				}
				// The operator turns it off: a good file replaces the bad one.
				if _, err := maintCmd(t, m, control.MaintArgs{Target: "director"}); err != nil {
					t.Fatal(err)
				}
				if _, err := loadMaintState(path); err != nil {
					t.Errorf("after off: %v", err)
				}
			}
		})
	}
}

// TestMaintSaveFailureChangesNothing: when the state cannot be written
// the command fails, says so, and neither memory nor disk changes.
func TestMaintSaveFailureChangesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	path := filepath.Join(dir, "state.json")
	m, evs, _ := maintFixture(t, path)
	if _, err := maintCmd(t, m, control.MaintArgs{Target: "director", On: true}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	// A path under a regular file makes every write fail without root
	// (the ENOSPC and read-only cases are in integration/).
	m.mu.Lock()
	m.path = filepath.Join(path, "x") // a path under a regular file
	m.mu.Unlock()
	statusBefore := m.Status()
	for _, a := range []control.MaintArgs{
		{Target: "director"},
		{Target: "real-server", On: true, VirtualServer: "web", RealServer: "a"},
	} {
		_, err := maintCmd(t, m, a)
		if err == nil || !strings.Contains(err.Error(), "maintenance not changed") {
			t.Errorf("%+v: error %v", a, err)
		}
	}
	if d := cmp.Diff(statusBefore, m.Status()); d != "" {
		t.Errorf("memory changed (-before +after):\n%s", d)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Errorf("disk changed:\n%s\n%s", before, after)
	}
	if len(*evs) != 1 {
		t.Errorf("failed commands announced: %+v", *evs)
	}
}

// FuzzDecodeMaintState: any bytes decode or fail without panic, and
// what decodes survives a save and a load unchanged.
func FuzzDecodeMaintState(f *testing.F) {
	f.Add([]byte(`{"version":1,"director":{"since":"2026-01-01T00:00:00Z","by":"x"}}`))
	f.Add([]byte(`{"version":1,"real_servers":{"web/a":{"since":"2026-01-01T00:00:00Z","by":"y","drain_timeout":"5m0s","out":true}}}`))
	f.Add([]byte(`{"version":1,"instances":{"VI_1":{}}}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(``))
	f.Add([]byte(`{"version":1,"instances":{}}`)) // found by fuzzing: empty map vs nil
	dir := fuzzDir(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeMaintState(b)
		if err != nil {
			return
		}
		path := filepath.Join(dir, "state.json")
		if err := saveMaintState(path, st); err != nil {
			t.Fatal(err)
		}
		back, err := loadMaintState(path)
		if err != nil {
			t.Fatalf("saved state does not load: %v", err)
		}
		if d := cmp.Diff(st, back, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); d != "" {
			t.Fatalf("round trip (-decoded +reloaded):\n%s", d)
		}
	})
}

// FuzzMaintHandler sends arbitrary "maint" requests (argument decoding
// in internal/control, then the handler) to a maintenance component
// with a real state file. Whatever is accepted or refused, memory and
// disk agree afterwards: a restart reading the file sees what the
// running daemon reports.
func FuzzMaintHandler(f *testing.F) {
	for _, seed := range []string{
		`{"target":"director","on":true}`,
		`{"target":"director","on":true,"instance":"VI_1"}`,
		`{"target":"director","on":false,"instance":"VI_1"}`,
		`{"target":"real-server","on":true,"virtual_server":"web","real_server":"a","drain_timeout":"1m"}`,
		`{"target":"real-server","on":false,"virtual_server":"web","real_server":"b"}`,
		`{"target":"real-server","on":true,"virtual_server":"web","real_server":"a","drain_timeout":"-1s"}`,
		`{"target":"x"}`, `null`, `[]`, ``,
	} {
		f.Add([]byte(seed), []byte(`{"target":"director","on":true}`))
	}
	base, diags := config.Parse([]byte(strings.Replace(maintHCL, "STATE", "/unused", 1)), "m.hcl")
	if diags.HasErrors() {
		f.Fatal(diags)
	}
	dir := fuzzDir(f)
	n := 0
	start := func(path string) *maintComponent {
		cfg := *base
		cfg.Global.StateFile = path
		m := newMaintComponent(zap.NewNop(), nil, maintLinks{})
		m.now = func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
		if err := m.Apply(context.Background(), &cfg); err != nil {
			f.Fatal(err)
		}
		return m
	}
	f.Fuzz(func(t *testing.T, first, second []byte) {
		n++
		path := filepath.Join(dir, fmt.Sprintf("state-%d.json", n))
		defer os.Remove(path)
		m := start(path)
		peer := control.Peer{PID: 1, UID: 0, Known: true}
		for _, args := range [][]byte{first, second} {
			_, _ = control.RootOnly(m.handle)(context.Background(), peer, control.Command{Cmd: control.CmdMaint, Args: args})
		}
		running := m.Status()
		if _, err := os.Stat(path); err != nil {
			if len(running.Directors)+len(running.RealServers) != 0 {
				t.Fatalf("no state file, but in memory: %+v", running)
			}
			return
		}
		if _, err := loadMaintState(path); err != nil {
			t.Fatalf("state file does not load: %v", err)
		}
		again := start(path)
		if d := cmp.Diff(running, again.Status()); d != "" {
			t.Fatalf("memory and disk differ (-running +restarted):\n%s", d)
		}
	})
}

// fuzzDir is a directory for state files written while fuzzing. Every
// save syncs the file and its directory; on a busy disk that is most of
// each run, so it is in memory when the system has /dev/shm.
func fuzzDir(f *testing.F) string {
	if d, err := os.MkdirTemp("/dev/shm", "lbhad-fuzz"); err == nil {
		f.Cleanup(func() { os.RemoveAll(d) })
		return d
	}
	return f.TempDir()
}

// TestMaintLeftSaveFailure: when the "left the table" mark cannot be
// saved, memory keeps what the disk has, and the next report saves it.
func TestMaintLeftSaveFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	m, _, cfg := maintFixture(t, path)
	if _, err := maintCmd(t, m, control.MaintArgs{Target: "real-server", On: true, VirtualServer: "web", RealServer: "a"}); err != nil {
		t.Fatal(err)
	}
	vs := cfg.VirtualServers[0]
	left := []ipvssync.MaintLeft{{Key: ipvssync.RealKeyOf(vs, vs.RealServers[0])}}
	phase := func() string { return m.Status().RealServers[0].Phase }

	m.mu.Lock()
	m.path = filepath.Join(path, "x") // under a regular file: every save fails
	m.mu.Unlock()
	m.markOut(cfg.VirtualServers, left)
	if p := phase(); p != "draining" {
		t.Errorf("after a failed save: phase %s, want draining (as on disk)", p)
	}
	m.mu.Lock()
	m.path = path
	m.mu.Unlock()
	m.markOut(cfg.VirtualServers, left)
	if p := phase(); p != "out" {
		t.Errorf("after a good save: phase %s, want out", p)
	}
	if st, err := loadMaintState(path); err != nil || !st.RealServers[vs.Name+"/"+vs.RealServers[0].Name].Out {
		t.Errorf("disk: %+v, %v", st, err)
	}
}
