package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	vcs := &debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-12-01T23:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		name                  string
		bi                    *debug.BuildInfo
		version, rev, revTime string
		want                  []string
	}{
		{"plain build", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "", "", "",
			[]string{"lbhad (devel)\n", "revision: unknown (built without VCS information)\n"}},
		{"no build info", nil, "", "", "", []string{"lbhad (devel)\n"}},
		{"VCS stamped by go build", vcs, "", "", "",
			[]string{"lbhad v0.3.0\n", "revision: 0123abcd (modified)\n", "time:     2026-12-01T23:00:00Z\n"}},
		{"ldflags version wins", vcs, "1.2.3", "", "", []string{"lbhad 1.2.3\n", "revision: 0123abcd (modified)\n"}},
		{"ldflags revision where VCS info lacks", &debug.BuildInfo{}, "1.2.3", "feedbeef", "2026-12-02T00:00:00Z",
			[]string{"lbhad 1.2.3\n", "revision: feedbeef\n", "time:     2026-12-02T00:00:00Z\n"}},
	} {
		got := buildInfoFrom(tc.bi, tc.version, tc.rev, tc.revTime).text()
		for _, w := range append(tc.want, "go:       "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+"\n") {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tc.name, got, w)
			}
		}
		if !strings.HasPrefix(got, "lbhad ") {
			t.Errorf("%s: first line %q is not \"lbhad VERSION\"", tc.name, got)
		}
	}
}
