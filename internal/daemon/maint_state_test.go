package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/internal/control"
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
