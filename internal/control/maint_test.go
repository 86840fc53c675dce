package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseRealServerRef(t *testing.T) {
	for _, tc := range []struct {
		in, vs, rs string
		ok         bool
	}{
		{"web/rs1", "web", "rs1", true},
		{"web", "", "", false},
		{"/rs1", "", "", false},
		{"web/", "", "", false},
		{"a/b/c", "", "", false},
	} {
		vs, rs, err := ParseRealServerRef(tc.in)
		if (err == nil) != tc.ok || vs != tc.vs || rs != tc.rs {
			t.Errorf("ParseRealServerRef(%q) = %q, %q, %v", tc.in, vs, rs, err)
		}
		if err != nil && !errors.Is(err, ErrBadRealServerRef) {
			t.Errorf("%q: error %v does not wrap ErrBadRealServerRef", tc.in, err)
		}
	}
}

func TestDecodeMaintArgs(t *testing.T) {
	for _, tc := range []struct {
		args    string
		want    MaintArgs
		wantErr string
	}{
		{`{"target":"director","on":true}`, MaintArgs{Target: MaintDirector, On: true}, ""},
		{`{"target":"director","on":false,"instance":"VI_1"}`, MaintArgs{Target: MaintDirector, Instance: "VI_1"}, ""},
		{`{"target":"real-server","on":true,"virtual_server":"web","real_server":"a","drain_timeout":"30s"}`,
			MaintArgs{Target: MaintRealServer, On: true, VirtualServer: "web", RealServer: "a", DrainTimeout: Duration(30 * time.Second)}, ""},
		{``, MaintArgs{}, "needs arguments"},
		{`{"target":"toaster"}`, MaintArgs{Target: "toaster"}, "maint target"},
		{`{"target":"real-server","virtual_server":"web"}`, MaintArgs{Target: MaintRealServer, VirtualServer: "web"}, "VIRTUAL_SERVER/REAL_SERVER"},
		{`{"target":"director","real_server":"a"}`, MaintArgs{Target: MaintDirector, RealServer: "a"}, "takes no real server"},
		{`{"target":"real-server","virtual_server":"w","real_server":"a","drain_timeout":"-1s"}`,
			MaintArgs{Target: MaintRealServer, VirtualServer: "w", RealServer: "a", DrainTimeout: Duration(-time.Second)}, "negative"},
	} {
		got, err := DecodeMaintArgs(Command{Cmd: CmdMaint, Args: json.RawMessage(tc.args)})
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: error %v, want %q", tc.args, err, tc.wantErr)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.args, d)
		}
	}
}

func TestFormatMaint(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := Snapshot{Now: now, Instances: []InstanceStatus{{Name: "VI_1", State: "BACKUP", Maintenance: true}}}
	var empty bytes.Buffer
	if err := FormatStatus(&empty, s); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(empty.String(), "\nMaintenance") {
		t.Errorf("maintenance section without maintenance:\n%s", empty.String())
	}
	if !strings.Contains(empty.String(), "VI_1: ") || !strings.Contains(empty.String(), ", MAINTENANCE\n") {
		t.Errorf("instance line lacks MAINTENANCE:\n%s", empty.String())
	}
	s.Maintenance = &MaintStatus{StateFile: "/var/lib/lbhad/state.json",
		Directors:   []MaintDirectorSt{{Since: now.Add(-time.Minute), By: "uid 0 pid 7"}},
		RealServers: []MaintRealSt{{VirtualServer: "web", RealServer: "a", Since: now, By: "uid 0 pid 8", DrainTimeout: Duration(5 * time.Minute), Phase: "draining"}},
	}
	var b bytes.Buffer
	if err := FormatStatus(&b, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\nMaintenance (kept in /var/lib/lbhad/state.json)\n",
		"  director: all instances  since ",
		"by uid 0 pid 7\n",
		"  real server web/a: draining  since ",
		"drain timeout 5m0s\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, b.String())
		}
	}
}
