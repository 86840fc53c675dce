package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/ipvssync"
	"github.com/lbhad/lbhad/notify"
)

const maintHCL = `
global { state_file = "STATE" }
vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 51
  priority = 100
  virtual_ipaddress = ["192.0.2.50/24"]
}
virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "a" { address = "198.51.100.1:80" }
  real_server "b" { address = "198.51.100.2:80" }
}
`

func maintFixture(t *testing.T, path string) (*maintComponent, *[]notify.Event, *config.Config) {
	t.Helper()
	cfg, diags := config.Parse([]byte(strings.Replace(maintHCL, "STATE", path, 1)), "m.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var evs []notify.Event
	m := newMaintComponent(zap.NewNop(), nil, maintLinks{announce: func(e notify.Event) { evs = append(evs, e) }})
	m.now = func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	if err := m.Apply(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return m, &evs, cfg
}

func maintCmd(t *testing.T, m *maintComponent, a control.MaintArgs) (control.MaintReply, error) {
	t.Helper()
	raw, _ := json.Marshal(a)
	peer := control.Peer{PID: 42, UID: 0, Known: true}
	r, err := control.RootOnly(m.handle)(context.Background(), peer, control.Command{Cmd: control.CmdMaint, Args: raw})
	if err != nil {
		return control.MaintReply{}, err
	}
	return r.(control.MaintReply), nil
}

func TestMaintCommands(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	m, evs, cfg := maintFixture(t, path)

	for _, tc := range []struct {
		args control.MaintArgs
		err  string
	}{
		{control.MaintArgs{Target: "director", On: true, Instance: "VI_9"}, `no vrrp_instance "VI_9"; this director has VI_1`},
		{control.MaintArgs{Target: "real-server", On: true, VirtualServer: "db", RealServer: "a"}, `no virtual_server "db"; this director has web`},
		{control.MaintArgs{Target: "real-server", On: true, VirtualServer: "web", RealServer: "z"}, `virtual_server "web" has no real_server "z"; it has a, b`},
	} {
		if _, err := maintCmd(t, m, tc.args); err == nil || err.Error() != tc.err {
			t.Errorf("%+v: error %v, want %q", tc.args, err, tc.err)
		}
	}
	// Root only.
	raw, _ := json.Marshal(control.MaintArgs{Target: "director", On: true})
	if _, err := control.RootOnly(m.handle)(context.Background(), control.Peer{UID: 1000, Known: true}, control.Command{Cmd: control.CmdMaint, Args: raw}); !errors.Is(err, os.ErrPermission) {
		t.Errorf("non-root: %v", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("failed commands wrote the state file")
	}

	if _, err := maintCmd(t, m, control.MaintArgs{Target: "director", On: true}); err != nil {
		t.Fatal(err)
	}
	r, err := maintCmd(t, m, control.MaintArgs{Target: "real-server", On: true, VirtualServer: "web", RealServer: "a", DrainTimeout: control.Duration(time.Minute)})
	if err != nil || !cmp.Equal(r.Applied, []string{"web/a"}) {
		t.Fatalf("rs on: %+v, %v", r, err)
	}
	if _, err := maintCmd(t, m, control.MaintArgs{Target: "director", On: false, Instance: "VI_1"}); err == nil || !strings.Contains(err.Error(), "without --instance") {
		t.Errorf("instance off while whole director is on: %v", err)
	}
	if len(*evs) != 2 || (*evs)[0].Kind != notify.Maintenance || !strings.Contains((*evs)[0].Reason, "asked by pid 42 uid 0") ||
		(*evs)[1].VirtualServer != "web" || (*evs)[1].RealServer != "a" {
		t.Errorf("notifications: %+v", *evs)
	}

	// A restart (a new component reading the same file) keeps it all.
	m2, evs2, _ := maintFixture(t, path)
	want := &control.MaintStatus{StateFile: path,
		Directors:   []control.MaintDirectorSt{{Since: m.now(), By: "pid 42 uid 0 gid 0"}},
		RealServers: []control.MaintRealSt{{VirtualServer: "web", RealServer: "a", Since: m.now(), By: "pid 42 uid 0 gid 0", DrainTimeout: control.Duration(time.Minute), Phase: "draining"}},
	}
	if d := cmp.Diff(want, m2.Status()); d != "" {
		t.Errorf("status after restart (-want +got):\n%s", d)
	}

	// The reconciler is told web/a is in maintenance since the command;
	// once it reports web/a left, that is in the state file.
	vs := cfg.VirtualServers[0]
	ka := ipvssync.RealKeyOf(vs, vs.RealServers[0])
	want2 := map[ipvssync.RealKey]ipvssync.Maint{ka: {Since: m.now(), Timeout: time.Minute}}
	if d := cmp.Diff(want2, m2.marks(cfg.VirtualServers)); d != "" {
		t.Errorf("marks (-want +got):\n%s", d)
	}
	m2.markOut(cfg.VirtualServers, []ipvssync.MaintLeft{{Key: ka}})
	if mk := m2.marks(cfg.VirtualServers)[ka]; !mk.Out {
		t.Errorf("after left: %+v", mk)
	}
	// A second report (a concurrent sync) changes and announces nothing.
	m2.markOut(cfg.VirtualServers, []ipvssync.MaintLeft{{Key: ka, TimedOut: true}})
	if len(*evs2) != 1 || (*evs2)[0].RealServer != "a" || !strings.HasSuffix((*evs2)[0].Reason, "left the table: its connections finished") {
		t.Errorf("left notifications: %+v", *evs2)
	}
	m3, _, _ := maintFixture(t, path)
	if st := m3.Status(); len(st.RealServers) != 1 || st.RealServers[0].Phase != "out" {
		t.Errorf("after drain and restart: %+v", st)
	}

	// Off clears and persists.
	for _, a := range []control.MaintArgs{{Target: "director"}, {Target: "real-server", VirtualServer: "web", RealServer: "a"}} {
		if _, err := maintCmd(t, m3, a); err != nil {
			t.Fatal(err)
		}
	}
	m4, _, _ := maintFixture(t, path)
	if st := m4.Status(); len(st.Directors)+len(st.RealServers) != 0 {
		t.Errorf("after off: %+v", st)
	}
}
