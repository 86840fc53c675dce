//go:build linux

package ipvssync

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
)

func cfgTable(h Health, mods ...func(*config.VirtualServer)) Table {
	var vss []*config.VirtualServer
	for _, m := range mods {
		vss = append(vss, vs(m))
	}
	return Desired(vss, h)
}

// observed drops what Read reports but Desired never sets.
func observed(t Table) Table {
	out := t.Clone()
	for k, e := range out {
		e.Service = e.Service.spec()
		for dk, d := range e.Dests {
			e.Dests[dk] = d.spec()
		}
		out[k] = e
	}
	return out
}

func TestReadApplyRoundTrip(t *testing.T) {
	v6 := netip.MustParseAddr("2001:db8::50")
	k6 := ServiceKey{Family: FamilyIPv6, Proto: ProtoUDP, Addr: v6, Port: 53}
	fw := ServiceKey{Family: FamilyIPv4, FWMark: 42}
	want := Table{
		key: entry(Service{Key: key, Scheduler: "sh", Flags: FlagPersistent, Timeout: 300, Netmask: 24},
			dest(rs1, 2, ForwardMasq), Destination{Addr: rs2, Port: 80, Weight: 0, Forward: ForwardDR, Upper: 9, Lower: 3}),
		k6: entry(Service{Key: k6, Scheduler: "rr", Flags: FlagPersistent, Timeout: 60, Netmask: 64},
			Destination{Addr: netip.MustParseAddr("2001:db8::7"), Port: 53, Weight: 1, Forward: ForwardTunnel}),
		fw: entry(Service{Key: fw, Scheduler: "wrr"}, Destination{Addr: rs3, Weight: 4, Forward: ForwardDR}),
	}
	k := NewFakeKernel()
	ops := Plan(Table{}, want, nil, nil)
	n, err := Apply(k, ops)
	if err != nil || n != len(ops) || k.Writes() != len(ops) {
		t.Fatalf("Apply = %d, %v; writes %d; want %d", n, err, k.Writes(), len(ops))
	}
	got, err := Read(k)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, observed(got), addrCmp); diff != "" {
		t.Errorf("Read after Apply (-want +got):\n%s", diff)
	}
	if ops := Plan(got, want, nil, nil); len(ops) != 0 {
		t.Errorf("re-plan after apply: %v", opStrings(ops))
	}
	// The raw kernel view: hashed flag set, the persistence netmask
	// passed as written (the adapter encodes it; TestMobyConversion).
	svcs, _ := k.GetServices()
	for _, s := range svcs {
		if s.Key == key {
			if s.Flags&FlagHashed == 0 {
				t.Error("fake does not report HASHED")
			}
			if s.Netmask != 24 {
				t.Errorf("netmask %d, want 24", s.Netmask)
			}
		}
	}
}

func TestApplyWrapsErrors(t *testing.T) {
	k := NewFakeKernel()
	k.Fail = func(op string, _ ServiceKey, d DestKey) error {
		if op == "NewDestination" && d.Addr == netip.MustParseAddr("192.0.2.8") {
			return syscall.EEXIST
		}
		return nil
	}
	n, err := Apply(k, Plan(Table{}, cfgTable(Health{}, nil), nil, nil))
	if n != 2 {
		t.Errorf("applied = %d, want 2 (service and first dest)", n)
	}
	if !errors.Is(err, syscall.EEXIST) || err.Error() != "add destination 192.0.2.8:80 to tcp 192.0.2.50:80: file exists" {
		t.Errorf("err = %v", err)
	}
}

func TestReconcilerSync(t *testing.T) {
	k := NewFakeKernel()
	r := NewReconciler(k, nil)
	all := cfgTable(Health{}, nil)
	if n, err := r.Sync(all); err != nil || n != 3 {
		t.Fatalf("first Sync = %d, %v; want 3 writes", n, err)
	}
	if n, err := r.Sync(all); err != nil || n != 0 {
		t.Errorf("unchanged Sync = %d, %v; want 0 writes", n, err)
	}
	if n, err := r.Sync(cfgTable(health(map[DestKey]RealState{k1: down}), nil)); err != nil || n != 1 {
		t.Errorf("one failure: Sync = %d, %v; want 1 write", n, err)
	}
	if n, err := r.Sync(all); err != nil || n != 1 {
		t.Errorf("recovery: Sync = %d, %v; want 1 write", n, err)
	}
	if k.Writes() != 5 {
		t.Errorf("kernel writes = %d, want 5", k.Writes())
	}
}

func TestReconcilerAdoptsAndLeavesForeignAlone(t *testing.T) {
	k := NewFakeKernel()
	// A previous lbhad (or an operator) made exactly our table, plus an
	// unrelated service.
	prev := cfgTable(Health{}, nil)
	foreignKey := ServiceKey{Family: FamilyIPv4, Proto: ProtoTCP, Addr: netip.MustParseAddr("203.0.113.9"), Port: 443}
	prev[foreignKey] = entry(Service{Key: foreignKey, Scheduler: "rr"}, dest(rs3, 1, ForwardMasq))
	if _, err := Apply(k, Plan(Table{}, prev, nil, nil)); err != nil {
		t.Fatal(err)
	}
	before, _ := Read(k)
	w0 := k.Writes()
	r := NewReconciler(k, nil)
	if n, err := r.Sync(cfgTable(Health{}, nil)); err != nil || n != 0 {
		t.Fatalf("adopting Sync = %d, %v; want 0 writes", n, err)
	}
	after, _ := Read(k)
	if diff := cmp.Diff(before, after, addrCmp); diff != "" || k.Writes() != w0 {
		t.Errorf("adoption changed the table:\n%s", diff)
	}
	// Scheduler change: updated in place, dests untouched.
	if n, err := r.Sync(cfgTable(Health{}, func(v *config.VirtualServer) { v.Scheduler = "rr" })); err != nil || n != 1 {
		t.Errorf("scheduler change: Sync = %d, %v; want 1 write", n, err)
	}
	// Stop removes what it owns and nothing else.
	if n, err := r.Stop(false); err != nil || n != 1 {
		t.Errorf("Stop = %d, %v; want 1 write", n, err)
	}
	left, _ := Read(k)
	if _, ok := left[foreignKey]; !ok || len(left) != 1 {
		t.Errorf("after Stop: %v, want only the foreign service", left.Keys())
	}
	if n, _ := r.Stop(false); n != 0 {
		t.Errorf("second Stop wrote %d", n)
	}
}

func TestReconcilerStopKeep(t *testing.T) {
	k := NewFakeKernel()
	r := NewReconciler(k, nil)
	r.Sync(cfgTable(Health{}, nil))
	if n, err := r.Stop(true); n != 0 || err != nil {
		t.Errorf("Stop(keep) = %d, %v", n, err)
	}
	if got, _ := Read(k); len(got) != 1 {
		t.Errorf("Stop(keep) left %d services", len(got))
	}
}

func TestReconcilerDrain(t *testing.T) {
	// Incremental (resync an hour) or reading the whole table every time,
	// draining must behave the same.
	for _, resync := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprint("resync ", resync), func(t *testing.T) { testReconcilerDrain(t, resync) })
	}
}

func testReconcilerDrain(t *testing.T, resync time.Duration) {
	k := NewFakeKernel()
	fake := clock.NewFake(time.Unix(1000, 0))
	r := NewReconciler(k, nil, WithClock(fake))
	r.SetResync(resync)
	r.SetDrainTimeout(30 * time.Second)
	r.Sync(cfgTable(Health{}, nil))
	k.SetConns(key, k1, 4, 1)
	oneGone := cfgTable(health(map[DestKey]RealState{k1: down}), nil)

	if n, _ := r.Sync(oneGone); n != 1 {
		t.Errorf("drain start wrote %d, want 1", n)
	}
	got, _ := Read(k)
	if d, ok := got[key].Dests[k1]; !ok || d.Weight != 0 {
		t.Fatalf("draining dest = %+v, %v; want present at weight 0", d, ok)
	}
	fake.Advance(10 * time.Second)
	if n, _ := r.Sync(oneGone); n != 0 {
		t.Errorf("still draining wrote %d", n)
	}
	k.SetConns(key, k1, 0, 3) // active connections ended
	if n, _ := r.Sync(oneGone); n != 1 {
		t.Errorf("drained wrote %d, want the delete", n)
	}

	// Idle (only inactive connections, which may be a handshake in
	// SYN_RECV): quiesced first, deleted only after the grace.
	r.Sync(cfgTable(Health{}, nil))
	k.SetConns(key, k1, 0, 1)
	if n, _ := r.Sync(oneGone); n != 1 || r.Draining() != 1 {
		t.Errorf("idle dest leaving wrote %d, draining %d; want the weight-0 write and 1 draining", n, r.Draining())
	}
	if got, _ := Read(k); got[key].Dests[k1].Weight != 0 || len(got[key].Dests) != 2 {
		t.Errorf("idle dest not quiesced: %+v", got[key].Dests)
	}
	fake.Advance(QuiesceGrace)
	if n, _ := r.Sync(oneGone); n != 1 {
		t.Errorf("after the grace wrote %d, want the delete", n)
	}

	// Timeout: connections never end.
	r.Sync(cfgTable(Health{}, nil))
	k.SetConns(key, k1, 9, 0)
	r.Sync(oneGone)
	fake.Advance(31 * time.Second)
	if n, _ := r.Sync(oneGone); n != 1 {
		t.Errorf("timed-out drain wrote %d, want the delete", n)
	}
	if got, _ := Read(k); len(got[key].Dests) != 1 {
		t.Errorf("dest still present after drain timeout")
	}
}

// A destination named by SetNoDrain (a real server that failed its
// checks) is deleted at once even with active connections.
func TestReconcilerNoDrain(t *testing.T) {
	k := NewFakeKernel()
	r := NewReconciler(k, nil)
	r.SetDrainTimeout(30 * time.Second)
	r.Sync(cfgTable(Health{}, nil))
	k.SetConns(key, k1, 4, 1)
	r.SetNoDrain(DrainSet{RealKey{key, k1}: {}})
	if n, _ := r.Sync(cfgTable(health(map[DestKey]RealState{k1: down}), nil)); n != 1 {
		t.Errorf("wrote %d, want the one delete", n)
	}
	if got, _ := Read(k); len(got[key].Dests) != 1 {
		t.Errorf("failed dest kept: %+v", got[key].Dests)
	}
	if r.Draining() != 0 {
		t.Errorf("Draining() = %d, want 0", r.Draining())
	}
}

func TestActiveConns(t *testing.T) {
	k := NewFakeKernel()
	Apply(k, Plan(Table{}, cfgTable(Health{}, nil), nil, nil))
	k.SetConns(key, k2, 7, 2)
	a, i, err := ActiveConns(k, key, k2)
	if a != 7 || i != 2 || err != nil {
		t.Errorf("ActiveConns = %d, %d, %v", a, i, err)
	}
	if _, _, err := ActiveConns(k, key, k3); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing dest: err = %v", err)
	}
}

func TestSetTimeouts(t *testing.T) {
	k := NewFakeKernel()
	if err := SetTimeouts(k, 60*time.Second, 0, 45*time.Second); err != nil {
		t.Fatal(err)
	}
	tcp, fin, udp, err := Timeouts(k)
	if err != nil || tcp != 60*time.Second || fin != 120*time.Second || udp != 45*time.Second {
		t.Errorf("Timeouts = %v %v %v %v", tcp, fin, udp, err)
	}
}

func TestOpenFailsClearlyWithoutModule(t *testing.T) {
	defer func(l func() bool, m func() error, n func() (Handle, error)) {
		ipvsLoaded, loadModule, newHandle = l, m, n
	}(ipvsLoaded, loadModule, newHandle)
	made := false
	ipvsLoaded = func() bool { return false }
	loadModule = func() error { return errors.New("modprobe ip_vs: exit status 1: module ip_vs not found") }
	newHandle = func() (Handle, error) { made = true; return nil, errors.New("unreachable") }
	_, err := Open()
	if !errors.Is(err, ErrUnavailable) || !strings.HasPrefix(err.Error(), "IPVS is not available: ") ||
		!strings.Contains(err.Error(), "module ip_vs not found") {
		t.Errorf("Open = %v", err)
	}
	if made {
		t.Error("Open made an ipvs handle before the module was there")
	}
}

// On a kernel without IPVS (the development and CI hosts) the real Open
// must fail with ErrUnavailable rather than return a handle that fails
// later.
func TestOpenOnHost(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for netlink and modprobe")
	}
	h, err := Open()
	if err == nil {
		defer h.Close()
		if _, err := Read(h); err != nil {
			t.Errorf("Open succeeded but Read fails: %v", err)
		}
		return
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Open = %v, want ErrUnavailable", err)
	}
	t.Logf("no IPVS here: %v", err)
}
