package ipvssync

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
)

// bigConfig is services virtual servers of dests real servers each, every
// service on its own address and port, like the benchmark's table.
func bigConfig(services, dests int) []*config.VirtualServer {
	vss := make([]*config.VirtualServer, 0, services)
	for i := range services {
		v := &config.VirtualServer{
			Name:     fmt.Sprintf("vs%d", i),
			Address:  netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + i%250)}), uint16(80+i/250)),
			Protocol: config.TCP, Scheduler: "wlc", Kind: config.KindNAT, Quorum: 1,
		}
		for j := range dests {
			v.RealServers = append(v.RealServers, &config.RealServer{
				Address: netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(1 + (i*7+j)%250)}), v.Address.Port()),
				Weight:  1 + j%5, Kind: config.KindNAT,
			})
		}
		vss = append(vss, v)
	}
	return vss
}

// counted is what one sync cost on the fake kernel.
type counted struct {
	writes int
	reads  Reads
}

func countSync(k *FakeKernel, sync func() error) (counted, error) {
	w, r := k.Writes(), k.Reads()
	err := sync()
	return counted{k.Writes() - w, k.Reads().Sub(r)}, err
}

// At 1,000 × 10 an incremental reconciler reads and writes only what a
// change touches: one real server failing or recovering is one write and
// one read (its service's destination dump), nothing changed is no read
// and no write, and the periodic resync reads the whole table.
func TestIncrementalCostAtScale(t *testing.T) {
	vss := bigConfig(1000, 10)
	k := NewFakeKernel()
	fake := clock.NewFake(time.Unix(1000, 0))
	r := NewReconciler(k, nil, WithClock(fake))
	r.SetResync(30 * time.Second)
	h := Health{Real: map[RealKey]RealState{}}
	victim := RealKeyOf(vss[517], vss[517].RealServers[3])
	other := RealKeyOf(vss[42], vss[42].RealServers[0])
	full := Reads{Dumps: 1, DestDumps: 1000}

	steps := []struct {
		name    string
		change  func()
		advance time.Duration
		want    counted
		full    bool
	}{
		{"converge from empty", nil, 0, counted{11000, Reads{Dumps: 1}}, true},
		{"unchanged", nil, time.Second, counted{}, false},
		{"one real server fails", func() { h.Real[victim] = down }, time.Second, counted{1, Reads{DestDumps: 1}}, false},
		{"unchanged while it is down", nil, time.Second, counted{}, false},
		{"it recovers", func() { h.Real[victim] = RealState{Alive: true} }, time.Second, counted{1, Reads{DestDumps: 1}}, false},
		{"two services change", func() {
			h.Real[victim] = RealState{Alive: true, Weight: 9, HasWeight: true}
			h.Real[other] = down
		}, time.Second, counted{2, Reads{DestDumps: 2}}, false},
		{"periodic resync due", nil, 30 * time.Second, counted{0, full}, true},
		{"unchanged after the resync", nil, time.Second, counted{}, false},
	}
	for _, st := range steps {
		if st.change != nil {
			st.change()
		}
		fake.Advance(st.advance)
		var res SyncResult
		got, err := countSync(k, func() (err error) {
			res, err = r.SyncHealth(vss, Health{Real: maps.Clone(h.Real), QuorumUp: h.QuorumUp})
			h.QuorumUp = res.QuorumUp
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want || res.Full != st.full {
			t.Errorf("%s: %d writes, reads %+v, full %v; want %d, %+v, %v", st.name, got.writes, got.reads, res.Full, st.want.writes, st.want.reads, st.full)
		}
	}
	tab, _ := Read(k)
	want := Desired(vss, h)
	if ops := Plan(tab, want, nil, nil); len(ops) != 0 {
		t.Errorf("kernel differs from desired: %d ops, first %s", len(ops), ops[0])
	}
}

// Sync (a table instead of a config) is incremental the same way.
func TestIncrementalSync(t *testing.T) {
	vss := bigConfig(100, 10)
	k := NewFakeKernel()
	r := NewReconciler(k, nil, WithClock(clock.NewFake(time.Unix(1000, 0))))
	r.SetResync(time.Minute)
	all := Desired(vss, Health{})
	if _, err := r.Sync(all); err != nil {
		t.Fatal(err)
	}
	failed := Desired(vss, Health{Real: map[RealKey]RealState{RealKeyOf(vss[5], vss[5].RealServers[0]): down}})
	for _, st := range []struct {
		name string
		t    Table
		want counted
	}{
		{"fail", failed, counted{1, Reads{DestDumps: 1}}},
		{"unchanged", failed, counted{}},
		{"recover", all, counted{1, Reads{DestDumps: 1}}},
		{"unchanged", all, counted{}},
	} {
		got, err := countSync(k, func() error { _, err := r.Sync(st.t); return err })
		if err != nil || got != st.want {
			t.Errorf("%s: %+v, %v; want %+v", st.name, got, err, st.want)
		}
	}
}

// syncedIncremental is a reconciler with a 30 s resync on a fake clock
// that has made the table of 20 virtual servers × 3 real servers.
func syncedIncremental(t *testing.T) ([]*config.VirtualServer, *FakeKernel, *clock.Fake, *Reconciler) {
	t.Helper()
	vss := bigConfig(20, 3)
	k := NewFakeKernel()
	fake := clock.NewFake(time.Unix(1000, 0))
	r := NewReconciler(k, nil, WithClock(fake))
	r.SetResync(30 * time.Second)
	if _, err := r.SyncHealth(vss, Health{}); err != nil {
		t.Fatal(err)
	}
	return vss, k, fake, r
}

// Between resyncs a change made by another program goes unseen unless a
// sync touches its service; the periodic resync repairs it, and a sync
// that touches the service repairs it there too.
func TestIncrementalDriftRepairedByResync(t *testing.T) {
	vss, k, fake, r := syncedIncremental(t)
	want := Desired(vss, Health{})
	gone, bumped := ServiceKeyOf(vss[3]), RealKeyOf(vss[7], vss[7].RealServers[1])
	if err := k.DelService(gone); err != nil { // ipvsadm -D
		t.Fatal(err)
	}
	d := want[bumped.Service].Dests[bumped.Dest]
	d.Weight = 77
	if err := k.UpdateDestination(bumped.Service, d); err != nil { // ipvsadm -e
		t.Fatal(err)
	}

	fake.Advance(10 * time.Second)
	if got, err := countSync(k, func() error { _, err := r.SyncHealth(vss, Health{}); return err }); err != nil || got != (counted{}) {
		t.Fatalf("unchanged sync before the resync: %+v, %v; want nothing read or written", got, err)
	}
	// A health change in the bumped service reads its destinations and
	// puts the weight back with the change.
	h := Health{Real: map[RealKey]RealState{RealKeyOf(vss[7], vss[7].RealServers[0]): down}}
	if got, err := countSync(k, func() error { _, err := r.SyncHealth(vss, h); return err }); err != nil || got.writes != 2 || got.reads != (Reads{DestDumps: 1}) {
		t.Fatalf("change in the drifted service: %+v, %v; want 2 writes (the change and the repair), its destination dump", got, err)
	}
	if tab, _ := Read(k); tab[bumped.Service].Dests[bumped.Dest].Weight != want[bumped.Service].Dests[bumped.Dest].Weight {
		t.Errorf("weight not put back by the sync that touched its service")
	}
	if tab, _ := Read(k); len(tab) != len(vss)-1 {
		t.Fatalf("deleted service back before the resync: %d services", len(tab))
	}

	fake.Advance(30 * time.Second)
	res, err := r.SyncHealth(vss, h)
	if err != nil || !res.Full || res.Writes != 1+3 {
		t.Fatalf("resync: %+v, %v; want a full read making the service and its 3 destinations", res, err)
	}
	tab, _ := Read(k)
	if ops := Plan(tab, Desired(vss, h), nil, nil); len(ops) != 0 {
		t.Errorf("drift left after the resync: %s", ops[0])
	}
}

// A service touched by a sync is read with its destination dump alone,
// its attributes taken as the reconciler wrote them. When another
// program deleted it, the dump comes back empty, a get says it is gone,
// and the sync makes it again at once; when another program changed its
// scheduler, that waits for the resync, as for any service no sync
// touches.
func TestIncrementalTouchedServiceChangedElsewhere(t *testing.T) {
	vss, k, fake, r := syncedIncremental(t)
	gone, edited := ServiceKeyOf(vss[3]), ServiceKeyOf(vss[8])
	if err := k.DelService(gone); err != nil { // ipvsadm -D
		t.Fatal(err)
	}
	svc, err := k.GetService(edited)
	if err != nil {
		t.Fatal(err)
	}
	svc.Scheduler = "lc"
	if err := k.UpdateService(svc); err != nil { // ipvsadm -E
		t.Fatal(err)
	}
	fake.Advance(10 * time.Second)
	h := Health{Real: map[RealKey]RealState{
		RealKeyOf(vss[3], vss[3].RealServers[0]): down,
		RealKeyOf(vss[8], vss[8].RealServers[0]): down,
	}}
	got, err := countSync(k, func() error { _, err := r.SyncHealth(vss, h); return err })
	if err != nil || got.reads != (Reads{Gets: 1, DestDumps: 2}) {
		t.Fatalf("sync touching both: %+v, %v; want two destination dumps and a get for the empty one", got, err)
	}
	tab, _ := Read(k)
	want := Desired(vss, h)
	if _, ok := tab[gone]; !ok || len(tab[gone].Dests) != len(want[gone].Dests) {
		t.Fatalf("deleted service not made again by the sync that touched it: %+v", tab[gone])
	}
	if tab[edited].Service.Scheduler != "lc" || len(tab[edited].Dests) != len(want[edited].Dests) {
		t.Fatalf("edited service: scheduler %q, %d destinations; want the edit kept until the resync and the failed server out",
			tab[edited].Service.Scheduler, len(tab[edited].Dests))
	}
	fake.Advance(30 * time.Second)
	if res, err := r.SyncHealth(vss, h); err != nil || !res.Full || res.Writes != 1 {
		t.Fatalf("resync: %+v, %v; want a full read and the scheduler put back", res, err)
	}
	tab, _ = Read(k)
	if ops := Plan(tab, want, nil, nil); len(ops) != 0 {
		t.Errorf("drift left after the resync: %s", ops[0])
	}
}

// failingReads fails one GetService or GetDestinations, as a read that
// times out would.
type failingReads struct {
	*FakeKernel
	fail int
}

func (f *failingReads) GetService(k ServiceKey) (Service, error) {
	if f.fail > 0 {
		f.fail--
		return Service{}, fmt.Errorf("get service: %w", ErrTimeout)
	}
	return f.FakeKernel.GetService(k)
}

// GetDestinations fails the same way: an incremental sync reads a
// service it wrote with this dump alone.
func (f *failingReads) GetDestinations(k ServiceKey) ([]Destination, error) {
	if f.fail > 0 {
		f.fail--
		return nil, fmt.Errorf("list destinations: %w", ErrTimeout)
	}
	return f.FakeKernel.GetDestinations(k)
}

// Anything that leaves the kernel's state in doubt — a write the kernel
// refused, a read that failed, a setting changed, the set of services
// changed — makes the next sync read the whole table, even with nothing
// changed in between, so a table half written cannot stay.
func TestIncrementalFallsBackToFullRead(t *testing.T) {
	vss := bigConfig(10, 3)
	down5 := Health{Real: map[RealKey]RealState{RealKeyOf(vss[5], vss[5].RealServers[0]): down}}
	for _, tc := range []struct {
		name string
		// doubt does something that puts the state in doubt, then the
		// sync that sees it; its error is expected when failing is set.
		doubt   func(t *testing.T, k *failingReads, r *Reconciler) (failing bool, err error)
		nextVSS []*config.VirtualServer
	}{
		{"apply error", func(t *testing.T, k *failingReads, r *Reconciler) (bool, error) {
			k.Fail = func(op string, _ ServiceKey, _ DestKey) error {
				if op == "DelDestination" {
					return syscall.ENOMEM
				}
				return nil
			}
			_, err := r.SyncHealth(vss, down5)
			k.Fail = nil
			return true, err
		}, vss},
		{"read error", func(t *testing.T, k *failingReads, r *Reconciler) (bool, error) {
			k.fail = 1
			_, err := r.SyncHealth(vss, down5)
			return true, err
		}, vss},
		{"drain timeout set (reload)", func(t *testing.T, k *failingReads, r *Reconciler) (bool, error) {
			r.SetDrainTimeout(time.Minute)
			return false, nil
		}, vss},
		{"a service added", func(t *testing.T, k *failingReads, r *Reconciler) (bool, error) {
			return false, nil
		}, append(bigConfig(11, 3)[10:], vss...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := &failingReads{FakeKernel: NewFakeKernel()}
			r := NewReconciler(k, nil, WithClock(clock.NewFake(time.Unix(1000, 0))))
			r.SetResync(time.Hour)
			if _, err := r.SyncHealth(vss, Health{}); err != nil {
				t.Fatal(err)
			}
			failing, err := tc.doubt(t, k, r)
			if failing && err == nil {
				t.Fatal("the sync that should fail did not")
			}
			before := k.Reads()
			res, err := r.SyncHealth(tc.nextVSS, down5)
			if err != nil || !res.Full || k.Reads().Sub(before).Dumps != 1 {
				t.Fatalf("next sync: %+v, %v, reads %+v; want a full read", res, err, k.Reads().Sub(before))
			}
			tab, _ := Read(k)
			if ops := Plan(tab, Desired(tc.nextVSS, down5), nil, nil); len(ops) != 0 {
				t.Errorf("table not right after the full read: %s", ops[0])
			}
			// And incremental again afterwards.
			got, err := countSync(k.FakeKernel, func() error { _, err := r.SyncHealth(tc.nextVSS, down5); return err })
			if err != nil || got != (counted{}) {
				t.Errorf("sync after: %+v, %v; want nothing read or written", got, err)
			}
		})
	}
}

// A reload that keeps the set of services and the settings but changes
// one virtual server's config reads and writes that service only; the
// same settings given again do not count as a change.
func TestIncrementalReloadOfOneService(t *testing.T) {
	vss := bigConfig(50, 4)
	k := NewFakeKernel()
	r := NewReconciler(k, nil, WithClock(clock.NewFake(time.Unix(1000, 0))))
	r.SetResync(time.Minute)
	r.SetDrainTimeout(time.Minute)
	if _, err := r.SyncHealth(vss, Health{}); err != nil {
		t.Fatal(err)
	}
	reloaded := bigConfig(50, 4)
	reloaded[9].RealServers[2].Weight = 42
	reloaded[9].Scheduler = "rr"
	r.SetResync(time.Minute) // what the daemon's Apply does on every reload
	r.SetDrainTimeout(time.Minute)
	var res SyncResult
	got, err := countSync(k, func() (err error) { res, err = r.SyncHealth(reloaded, Health{}); return err })
	if err != nil || res.Full || got != (counted{2, Reads{DestDumps: 1}}) {
		t.Errorf("reload of one service: %+v, full %v, %v; want 2 writes (service, destination) and its one read", got, res.Full, err)
	}
	tab, _ := Read(k)
	if ops := Plan(tab, Desired(reloaded, Health{}), nil, nil); len(ops) != 0 {
		t.Errorf("kernel differs from the reloaded config: %s", ops[0])
	}
}

// Without SetResync every sync reads the whole table, as before.
func TestNoResyncReadsEverything(t *testing.T) {
	vss := bigConfig(10, 3)
	k := NewFakeKernel()
	r := NewReconciler(k, nil)
	for i := range 3 {
		got, err := countSync(k, func() error { _, err := r.SyncHealth(vss, Health{}); return err })
		if err != nil || got.reads.Dumps != 1 {
			t.Errorf("sync %d: %+v, %v; want a full read", i, got, err)
		}
	}
}

// A missing service is ESRCH for GetService and an empty destination
// dump, and ReadServices leaves it out.
func TestReadServicesMissing(t *testing.T) {
	k := NewFakeKernel()
	Apply(k, Plan(Table{}, cfgTableAny(), nil, nil))
	other := ServiceKey{Family: FamilyIPv4, Proto: ProtoTCP, Addr: vip, Port: 81}
	if _, err := k.GetService(other); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("GetService of a missing service: %v, want ESRCH", err)
	}
	if ds, err := k.GetDestinations(other); err != nil || len(ds) != 0 {
		t.Errorf("GetDestinations of a missing service: %v, %v; want none, no error", ds, err)
	}
	tab, err := ReadServices(k, []ServiceKey{key, other})
	if err != nil || len(tab) != 1 || len(tab[key].Dests) != 2 || tab[key].Flags&FlagHashed != 0 {
		t.Errorf("ReadServices = %+v, %v; want the one service, two destinations, hashed flag masked", tab, err)
	}
}

func cfgTableAny() Table { return Desired([]*config.VirtualServer{vs(nil)}, Health{}) }
