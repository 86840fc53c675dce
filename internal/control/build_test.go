package control

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/ipvssync"
	"github.com/lbhad/lbhad/vrrp"
)

func intp(v int) *int { return &v }

func TestBuild(t *testing.T) {
	got := Build(fixtureInput())
	want := Snapshot{
		RouterID: "lb1", ConfigPath: "/etc/lbhad/lbhad.hcl", StartedAt: tStart, Now: tNow,
		LastReload: &ReloadStatus{At: tReload, OK: true},
		Instances: []InstanceStatus{{
			Name: "VI_1", Interface: "eth0", VRID: 51, State: "MASTER", BasePriority: 150, EffectivePriority: 150,
			Master: "192.0.2.11", MasterPriority: 150, VIPs: []string{"192.0.2.50/24"}, LastTransition: tTrans,
			LastReason: "master down timer expired",
			Counters: Counters{AdvertsSent: 1234, AdvertsReceived: 7, BecameMaster: 1,
				Dropped: map[string]uint64{"auth": 2, "ttl": 1}},
		}},
		VirtualServers: []VSStatus{{
			Name: "web", Service: "tcp 192.0.2.50:80", Scheduler: "wrr", Kind: "dr", QuorumUp: true, InKernel: true,
			Traffic: &Traffic{Conns: 40, PacketsIn: 400, PacketsOut: 380, BytesIn: 40000, BytesOut: 90000},
			RealServers: []RSStatus{
				{Name: "rs1", Address: "192.0.2.7:80", Weight: 2, CurrentWeight: intp(2), Health: HealthUp, Check: "http_get",
					LastCheck: tCheck, Latency: 12345678, ActiveConns: 3, InactConns: 10,
					Traffic: &Traffic{Conns: 40, PacketsIn: 400, PacketsOut: 380, BytesIn: 40000, BytesOut: 90000}},
				{Name: "rs2", Address: "192.0.2.8:80", Weight: 1, Health: HealthDown, Check: "tcp_check",
					LastCheck: tCheck, Latency: Duration(300000), LastReason: "connection refused", Failures: 1},
				{Name: "rs3", Address: "192.0.2.9:80", Weight: 1, CurrentWeight: intp(1), Health: HealthUp, Traffic: &Traffic{}},
			},
		}},
		Checks: []CheckStatus{{Name: "chk_nginx", Kind: "vrrp_script", Health: HealthDown, LastCheck: tCheck,
			Latency: Duration(4200000), LastReason: "exit status 1", Failures: 3}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Build (-want +got):\n%s", d)
	}

	// JSON round trip keeps everything a client renders.
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var back Snapshot
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(got, back, cmp.Comparer(func(a, b Snapshot) bool {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return string(x) == string(y)
	})); d != "" {
		t.Errorf("json round trip (-want +got):\n%s", d)
	}
}

func TestBuildQuorumAndErrors(t *testing.T) {
	in := fixtureInput()
	// rs1 goes down too: rs3 (unchecked, weight 1) still meets quorum 1.
	in.Checks[1].State = checker.StateDown
	in.Table, in.TableErr = nil, errors.New("netlink: operation not permitted")
	s := Build(in)
	vs := s.VirtualServers[0]
	if !vs.QuorumUp || vs.InKernel {
		t.Errorf("QuorumUp %v InKernel %v, want true false", vs.QuorumUp, vs.InKernel)
	}
	if s.IPVSError == "" {
		t.Error("IPVSError empty with a table error")
	}
	for _, rs := range vs.RealServers {
		if rs.CurrentWeight != nil {
			t.Errorf("%s: kernel weight %d without a table", rs.Name, *rs.CurrentWeight)
		}
	}
	// Without rs3 the remaining weight is 0 < quorum 1.
	in.Config.VirtualServers[0].RealServers = in.Config.VirtualServers[0].RealServers[:2]
	if Build(in).VirtualServers[0].QuorumUp {
		t.Error("quorum up with every real server down")
	}
	// The reconciler's memory wins when given.
	in.QuorumUp = map[ipvssync.ServiceKey]bool{ipvssync.ServiceKeyOf(in.Config.VirtualServers[0]): true}
	if !Build(in).VirtualServers[0].QuorumUp {
		t.Error("QuorumUp ignored the reconciler's answer")
	}
}

func TestEmptyInput(t *testing.T) {
	b, err := json.Marshal(Build(Input{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{`"instances":[]`, `"virtual_servers":[]`, `"checks":[]`} {
		if !strings.Contains(string(b), f) {
			t.Errorf("empty snapshot %s lacks %s", b, f)
		}
	}
}

// Without a VRRP router (nil status) every configured instance is still
// listed, INIT and waiting "not running"; a router that runs but has not
// opened its instances yet (empty status) lists none, so no instance
// appears twice or as not running while it starts.
func TestBuildUnreportedInstances(t *testing.T) {
	in := fixtureInput()
	in.VRRP = nil
	got := Build(in).Instances
	want := []InstanceStatus{{Name: "VI_1", Interface: "eth0", VRID: 51, State: "INIT", BasePriority: 150, EffectivePriority: 150,
		VIPs: []string{"192.0.2.50/24"}, Waiting: "not running", Faults: []string{"waiting:not running"}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("router down (-want +got):\n%s", d)
	}
	in.VRRP = []vrrp.Status{}
	if got := Build(in).Instances; len(got) != 0 {
		t.Errorf("router starting: %+v, want none", got)
	}
	in = fixtureInput()
	in.VRRP[0].Waiting = "interface eth0 not found"
	if got := Build(in).Instances; len(got) != 1 || got[0].Waiting != "interface eth0 not found" {
		t.Errorf("waiting instance: %+v", got)
	}
}
