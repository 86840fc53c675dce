package daemon

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/ipvssync"
	"github.com/lbhad/lbhad/vrrp"
)

// fakeSyncd models the kernel: one daemon per role, EEXIST/ESRCH-like
// errors, defaults filled in on start. ops records the calls.
type fakeSyncd struct {
	running map[ipvssync.DaemonState]ipvssync.DaemonInfo
	ops     []string
	closed  bool
}

func newFakeSyncd() *fakeSyncd {
	return &fakeSyncd{running: map[ipvssync.DaemonState]ipvssync.DaemonInfo{}}
}

func (f *fakeSyncd) Start(d ipvssync.DaemonInfo) error {
	if _, ok := f.running[d.State]; ok {
		return errors.New("file exists")
	}
	f.ops = append(f.ops, "start "+d.State.String())
	if d.Port == 0 {
		d.Port = 8848
	}
	f.running[d.State] = d
	return nil
}

func (f *fakeSyncd) Stop(s ipvssync.DaemonState) error {
	if _, ok := f.running[s]; !ok {
		return errors.New("no such process")
	}
	f.ops = append(f.ops, "stop "+s.String())
	delete(f.running, s)
	return nil
}

func (f *fakeSyncd) List() ([]ipvssync.DaemonInfo, error) {
	var ds []ipvssync.DaemonInfo
	for _, d := range f.running {
		ds = append(ds, d)
	}
	ipvssync.SortDaemons(ds)
	return ds, nil
}

func (f *fakeSyncd) Close() { f.closed = true }

func syncdCfg(d *config.LVSSyncDaemon) *config.Config {
	return &config.Config{Global: config.Global{LVSSyncDaemon: d}}
}

func TestSyncdFollowsVRRP(t *testing.T) {
	f := newFakeSyncd()
	c := NewSyncdComponent(nil, func() (SyncDaemonControl, error) { return f, nil })
	ctx := context.Background()
	cfg := &config.LVSSyncDaemon{Interface: "eth1", Instance: "VI_1", SyncID: 51}
	step := func(what string, fn func(), wantOps []string, wantRunning ...ipvssync.DaemonState) {
		t.Helper()
		f.ops = nil
		fn()
		if diff := cmp.Diff(wantOps, f.ops); diff != "" {
			t.Errorf("%s: kernel calls (-want +got):\n%s", what, diff)
		}
		ds, _ := c.Daemons()
		var got []ipvssync.DaemonState
		for _, d := range ds {
			got = append(got, d.State)
		}
		if diff := cmp.Diff(wantRunning, got); diff != "" {
			t.Errorf("%s: running (-want +got):\n%s", what, diff)
		}
	}
	change := func(inst string, to vrrp.State) func() {
		return func() { c.VRRPStateChange(vrrp.StateChange{Instance: inst, To: to}) }
	}
	apply := func(d *config.LVSSyncDaemon) func() {
		return func() {
			if err := c.Apply(ctx, syncdCfg(d)); err != nil {
				t.Fatal(err)
			}
		}
	}

	step("start", apply(cfg), []string{"start backup"}, ipvssync.DaemonBackup)
	step("reload unchanged", apply(cfg), nil, ipvssync.DaemonBackup)
	step("other instance master", change("VI_2", vrrp.StateMaster), nil, ipvssync.DaemonBackup)
	step("master", change("VI_1", vrrp.StateMaster), []string{"stop backup", "start master"}, ipvssync.DaemonMaster)
	step("still master", change("VI_1", vrrp.StateMaster), nil, ipvssync.DaemonMaster)
	step("fault", change("VI_1", vrrp.StateFault), []string{"stop master", "start backup"}, ipvssync.DaemonBackup)
	step("master again", change("VI_1", vrrp.StateMaster), []string{"stop backup", "start master"}, ipvssync.DaemonMaster)
	moved := *cfg
	moved.SyncID = 52
	step("syncid changed", apply(&moved), []string{"stop master", "start master"}, ipvssync.DaemonMaster)
	follow2 := moved
	follow2.Instance = "VI_2" // known to be MASTER from the earlier change
	step("follow another instance", apply(&follow2), nil, ipvssync.DaemonMaster)
	step("block removed", apply(nil), []string{"stop master"})
	if !f.closed {
		t.Error("socket not closed after the block was removed")
	}
	f.closed = false
	// VI_1's state is remembered while the block is gone.
	step("block back", apply(cfg), []string{"start master"}, ipvssync.DaemonMaster)
	f.running[ipvssync.DaemonBackup] = ipvssync.DaemonInfo{State: ipvssync.DaemonBackup, Interface: "eth9"} // made by hand
	step("stop", func() {
		if err := c.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}, []string{"stop master", "stop backup"})
}

func TestSyncdUnconfiguredTouchesNothing(t *testing.T) {
	opened := false
	c := NewSyncdComponent(nil, func() (SyncDaemonControl, error) { opened = true; return newFakeSyncd(), nil })
	if err := c.Apply(context.Background(), syncdCfg(nil)); err != nil {
		t.Fatal(err)
	}
	c.VRRPStateChange(vrrp.StateChange{Instance: "VI_1", To: vrrp.StateMaster})
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if opened {
		t.Error("opened the kernel without an lvs_sync_daemon block")
	}
	if ds, err := c.Daemons(); ds != nil || err != nil {
		t.Errorf("Daemons = %v, %v", ds, err)
	}
}

func TestSyncdOpenError(t *testing.T) {
	c := NewSyncdComponent(nil, func() (SyncDaemonControl, error) { return nil, ipvssync.ErrUnavailable })
	err := c.Apply(context.Background(), syncdCfg(&config.LVSSyncDaemon{Interface: "eth0", Instance: "VI_1"}))
	if !errors.Is(err, ipvssync.ErrUnavailable) {
		t.Errorf("Apply = %v, want ErrUnavailable", err)
	}
}

func TestSyncdWantCarriesSettings(t *testing.T) {
	f := newFakeSyncd()
	c := NewSyncdComponent(nil, func() (SyncDaemonControl, error) { return f, nil })
	d := &config.LVSSyncDaemon{Interface: "sync0", Instance: "VI_1", SyncID: 7, MaxLen: 1200,
		Group: netip.MustParseAddr("239.255.0.7"), Port: 9000, TTL: 3}
	if err := c.Apply(context.Background(), syncdCfg(d)); err != nil {
		t.Fatal(err)
	}
	want := []ipvssync.DaemonInfo{{State: ipvssync.DaemonBackup, Interface: "sync0", SyncID: 7, MaxLen: 1200,
		Group: netip.MustParseAddr("239.255.0.7"), Port: 9000, TTL: 3}}
	got, _ := c.Daemons()
	if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
