package config

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTrackFile(t *testing.T) {
	cfg, _, diags := LoadFile(filepath.Join("testdata", "good", "track_file.hcl"))
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", formatDiags(diags))
	}
	wantFiles := []*TrackFile{
		{Name: "maint", File: "/etc/lbhad/maint", Weight: 1, InitFile: true},
		{Name: "drain", File: "/run/lbhad/drain", Weight: -2},
	}
	if diff := cmp.Diff(wantFiles, cfg.TrackFiles, cmpOpts...); diff != "" {
		t.Errorf("track files (-want +got):\n%s", diff)
	}
	wantRefs := []TrackedFile{{Name: "maint", Weight: 1}, {Name: "drain", Weight: 0}}
	if diff := cmp.Diff(wantRefs, cfg.Instances[0].TrackFiles); diff != "" {
		t.Errorf("instance track files (-want +got):\n%s", diff)
	}
}
