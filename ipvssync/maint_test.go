package ipvssync

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
)

func TestDrainMaint(t *testing.T) {
	svc := ServiceKey{Family: FamilyIPv4, Proto: ProtoTCP, Addr: netip.MustParseAddr("192.0.2.50"), Port: 80}
	ka := RealKey{Service: svc, Dest: DestKey{Addr: netip.MustParseAddr("198.51.100.1"), Port: 80}}
	kb := RealKey{Service: svc, Dest: DestKey{Addr: netip.MustParseAddr("198.51.100.2"), Port: 80}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	table := func(conns int) Table {
		return Table{svc: {Dests: map[DestKey]Destination{
			ka.Dest: {Addr: ka.Dest.Addr, Port: 80, Weight: 0, ActiveConns: conns},
			kb.Dest: {Addr: kb.Dest.Addr, Port: 80, Weight: 1, ActiveConns: 9},
		}}}
	}
	with := func(h Health, out bool) Health {
		h.Maint = map[RealKey]Maint{ka: {Since: t0, Timeout: time.Minute, Out: out}}
		return h
	}
	up := Health{Real: map[RealKey]RealState{kb: {Alive: true}}}
	weighted := Health{Real: map[RealKey]RealState{ka: {Alive: true, Weight: 7, HasWeight: true}}}
	left := []MaintLeft{{Key: ka}}
	for _, tc := range []struct {
		name     string
		h        Health
		t        Table
		now      time.Duration
		want     RealState
		left     []MaintLeft
		draining int
	}{
		{"connections left: quiescent", with(up, false), table(3), time.Second, RealState{Alive: true, Drain: true}, nil, 1},
		{"keeps a dynamic weight while draining", with(weighted, false), table(3), time.Second, RealState{Alive: true, Weight: 7, HasWeight: true, Drain: true}, nil, 1},
		{"drained: leaves", with(up, false), table(0), time.Second, RealState{}, left, 0},
		// A connection in SYN_RECV is counted inactive: an idle-looking
		// server is held at weight 0 for the grace before it leaves.
		{"idle but just quiesced: held for the grace", with(up, false), table(0), QuiesceGrace / 2, RealState{Alive: true, Drain: true}, nil, 1},
		{"not in the table, just now: leaves", with(up, false), Table{}, 0, RealState{}, left, 0},
		{"not in the table: leaves", with(up, false), Table{}, time.Second, RealState{}, left, 0},
		{"timeout: leaves with connections", with(up, false), table(3), time.Minute, RealState{}, []MaintLeft{{Key: ka, TimedOut: true}}, 0},
		{"table unreadable: drains until timeout", with(up, false), nil, time.Second, RealState{Alive: true, Drain: true}, nil, 1},
		{"table unreadable at the timeout: leaves", with(up, false), nil, time.Minute, RealState{}, []MaintLeft{{Key: ka, TimedOut: true}}, 0},
		{"already out stays out, even when checks pass", with(up, true), table(3), time.Second, RealState{}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(tc.h.Real)
			got, left, draining := DrainMaint(tc.h, tc.t, t0.Add(tc.now))
			if d := cmp.Diff(tc.want, got.Real[ka]); d != "" {
				t.Errorf("state (-want +got):\n%s", d)
			}
			if st, ok := got.Real[kb]; ok && !st.Alive {
				t.Errorf("other real server touched: %+v", got.Real[kb])
			}
			if d := cmp.Diff(tc.left, left, addrCmp); d != "" || draining != tc.draining {
				t.Errorf("draining %d, want %d; left (-want +got):\n%s", draining, tc.draining, d)
			}
			if len(tc.h.Real) != before {
				t.Error("input health modified")
			}
		})
	}
	if h, left, dr := DrainMaint(up, nil, t0); len(h.Real) != 1 || left != nil || dr != 0 {
		t.Error("no maintenance changed something")
	}
}

// Through the Reconciler and the fake kernel: a real server in
// maintenance goes to weight 0, counts as draining while it has active
// connections, and is reported once as it leaves; then it stays out.
func TestSyncHealthMaint(t *testing.T) {
	// Incremental (resync an hour) or reading the whole table every time,
	// maintenance must behave the same.
	for _, resync := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprint("resync ", resync), func(t *testing.T) { testSyncHealthMaint(t, resync) })
	}
}

func testSyncHealthMaint(t *testing.T, resync time.Duration) {
	k := NewFakeKernel()
	fake := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r := NewReconciler(k, nil, WithClock(fake))
	r.SetResync(resync)
	vss := []*config.VirtualServer{vs(nil)}
	rk := RealKey{Service: key, Dest: k1}
	h := Health{}
	if res, err := r.SyncHealth(vss, h); err != nil || res.Writes != 3 || len(res.Left) != 0 {
		t.Fatalf("first sync: %+v, %v", res, err)
	}
	k.SetConns(key, k1, 2, 0)
	h.Maint = map[RealKey]Maint{rk: {Since: fake.Now(), Timeout: time.Minute}}
	fake.Advance(time.Second)
	res, err := r.SyncHealth(vss, h)
	tab, _ := Read(k)
	if err != nil || len(res.Left) != 0 || tab[key].Dests[k1].Weight != 0 || r.Draining() != 1 {
		t.Fatalf("busy: %+v, %v; weight %d, draining %d", res, err, tab[key].Dests[k1].Weight, r.Draining())
	}
	k.SetConns(key, k1, 0, 0)
	fake.Advance(QuiesceGrace)
	res, err = r.SyncHealth(vss, h)
	tab, _ = Read(k)
	if _, in := tab[key].Dests[k1]; err != nil || !cmp.Equal(res.Left, []MaintLeft{{Key: rk}}, addrCmp) || in || r.Draining() != 0 {
		t.Fatalf("idle: %+v, %v; in table %v, draining %d", res, err, in, r.Draining())
	}
	if res.QuorumUp[key] != true {
		t.Errorf("quorum memory %v, want up", res.QuorumUp)
	}
	h.Maint[rk] = Maint{Since: h.Maint[rk].Since, Timeout: time.Minute, Out: true}
	if res, err := r.SyncHealth(vss, h); err != nil || res.Writes != 0 || len(res.Left) != 0 {
		t.Errorf("after out: %+v, %v", res, err)
	}
}

// A group virtual server is one IPVS service per member sharing its real
// servers: a failed check takes the real server out of every member, and
// maintenance drains it while any member still counts connections on it.
func TestGroupServicesShareRealServers(t *testing.T) {
	for _, resync := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprintf("resync %v", resync), func(t *testing.T) { testGroupServices(t, resync) })
	}
}

// testGroupServices runs with every sync reading the whole table
// (resync 0) and with incremental syncs between resyncs.
func testGroupServices(t *testing.T, resync time.Duration) {
	k := NewFakeKernel()
	fake := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r := NewReconciler(k, nil, WithClock(fake))
	r.SetResync(resync)
	key2 := ServiceKey{Family: FamilyIPv4, Proto: ProtoTCP, Addr: netip.MustParseAddr("192.0.2.51"), Port: 80}
	mark := ServiceKey{Family: FamilyIPv4, FWMark: 7}
	g := vs(func(v *config.VirtualServer) {
		v.Group = "web"
		v.Members = []config.GroupMember{{Address: v.Address}, {Address: netip.AddrPortFrom(key2.Addr, 80)}, {FWMark: 7}}
	})
	vss := []*config.VirtualServer{g}
	if got := ServiceKeysOf(g); !cmp.Equal(got, []ServiceKey{key, key2, mark}, addrCmp) {
		t.Fatalf("ServiceKeysOf = %v", got)
	}
	if res, err := r.SyncHealth(vss, Health{}); err != nil || res.Writes != 9 {
		t.Fatalf("first sync: %+v, %v; want 3 services and 6 destinations", res, err)
	}
	rk := RealKey{Service: key, Dest: k1} // health is keyed by the first member
	h := Health{Real: map[RealKey]RealState{rk: down}}
	if _, err := r.SyncHealth(vss, h); err != nil {
		t.Fatal(err)
	}
	tab, _ := Read(k)
	for _, s := range []ServiceKey{key, key2, mark} {
		if _, in := tab[s].Dests[k1]; in || len(tab[s].Dests) != 1 {
			t.Errorf("%v after rs1 failed: %v, want only rs2", s, tab[s].Dests)
		}
	}
	h.Real[rk] = RealState{Alive: true}
	if _, err := r.SyncHealth(vss, h); err != nil {
		t.Fatal(err)
	}
	// rs1 has connections on the second member only.
	k.SetConns(key2, k1, 3, 0)
	h.Maint = map[RealKey]Maint{rk: {Since: fake.Now(), Timeout: time.Minute}}
	fake.Advance(QuiesceGrace + time.Second)
	res, err := r.SyncHealth(vss, h)
	tab, _ = Read(k)
	if err != nil || len(res.Left) != 0 || tab[key].Dests[k1].Weight != 0 || tab[key2].Dests[k1].Weight != 0 || r.Draining() != 1 {
		t.Fatalf("busy on one member: left %v, %v; weights %d/%d; draining %d", res.Left, err, tab[key].Dests[k1].Weight, tab[key2].Dests[k1].Weight, r.Draining())
	}
	k.SetConns(key2, k1, 0, 0)
	res, err = r.SyncHealth(vss, h)
	tab, _ = Read(k)
	if err != nil || !cmp.Equal(res.Left, []MaintLeft{{Key: rk}}, addrCmp) {
		t.Fatalf("idle: left %v, %v", res.Left, err)
	}
	for _, s := range []ServiceKey{key, key2, mark} {
		if _, in := tab[s].Dests[k1]; in {
			t.Errorf("%v still has rs1 after its drain", s)
		}
	}
}
