package lab

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfsTrackFile(t *testing.T) {
	in := Instance{Priority: 150, TrackFiles: []TrackFile{{Name: "maint", Path: "/tmp/x/maint", Weight: 1}}}
	hcl := LBHADConf("d1", "/run/x.sock", in)
	for _, want := range []string{
		"track_file \"maint\" {\n  file = \"/tmp/x/maint\"\n  weight = 1\n}\n\nvrrp_instance",
		"  track_file \"maint\" {}\n}\n",
	} {
		if !strings.Contains(hcl, want) {
			t.Errorf("lbhad config lacks %q:\n%s", want, hcl)
		}
	}
	kc := KeepalivedConf("d1", in)
	for _, want := range []string{
		"vrrp_track_file maint {\n  file \"/tmp/x/maint\"\n  weight 1\n}\n\nvrrp_instance",
		"  track_file {\n    maint\n  }\n",
	} {
		if !strings.Contains(kc, want) {
			t.Errorf("keepalived config lacks %q:\n%s", want, kc)
		}
	}
	if diff := cmp.Diff(LBHADConf("d1", "/run/x.sock", Instance{Priority: 150}), strings.NewReplacer(
		"track_file \"maint\" {\n  file = \"/tmp/x/maint\"\n  weight = 1\n}\n\n", "",
		"  track_file \"maint\" {}\n", "").Replace(hcl)); diff != "" {
		t.Errorf("track files changed the rest of the config:\n%s", diff)
	}
}
