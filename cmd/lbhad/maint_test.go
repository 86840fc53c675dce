package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/internal/control"
)

func TestMaintArgs(t *testing.T) {
	for _, tc := range []struct {
		pos     []string
		inst    string
		drain   time.Duration
		want    control.MaintArgs
		wantErr string
	}{
		{[]string{"director", "on"}, "", 0, control.MaintArgs{Target: "director", On: true}, ""},
		{[]string{"director", "off"}, "VI_1", 0, control.MaintArgs{Target: "director", Instance: "VI_1"}, ""},
		{[]string{"real-server", "web/a", "on"}, "", time.Minute, control.MaintArgs{Target: "real-server", On: true, VirtualServer: "web", RealServer: "a", DrainTimeout: control.Duration(time.Minute)}, ""},
		{[]string{"director", "maybe"}, "", 0, control.MaintArgs{Target: "director"}, "want on or off"},
		{[]string{"director", "on"}, "", time.Second, control.MaintArgs{}, "--drain-timeout is for real servers"},
		{[]string{"real-server", "web", "on"}, "", 0, control.MaintArgs{Target: "real-server", DrainTimeout: 0}, "VIRTUAL_SERVER/REAL_SERVER"},
		{[]string{"real-server", "web/a", "on"}, "VI_1", 0, control.MaintArgs{}, "--instance is for the director"},
		{[]string{"toaster"}, "", 0, control.MaintArgs{}, "want \"director on|off\""},
	} {
		got, err := maintArgs(tc.pos, tc.inst, tc.drain)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%v: error %v, want %q", tc.pos, err, tc.wantErr)
			continue
		}
		if tc.wantErr == "" {
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("%v (-want +got):\n%s", tc.pos, d)
			}
		}
	}
}

func TestMaintCLIFlagsAfterArgs(t *testing.T) {
	var out, errb strings.Builder
	// Nothing listens on this socket: the arguments parse, the request
	// fails to connect (exit 1, not the usage exit 2).
	code := run([]string{"maint", "director", "on", "--instance", "VI_1", "-s", t.TempDir() + "/none.sock"}, &out, &errb)
	if code != exitFailed || !strings.Contains(errb.String(), "is it running?") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	if code := run([]string{"maint", "director"}, &out, &errb); code != exitUsage {
		t.Errorf("incomplete command: exit %d", code)
	}
}
