package vrrp

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
)

// fakeRoutes is a RouteManager holding a node's routes and rules in
// sets, and the order of its calls.
type fakeRoutes struct {
	mu     sync.Mutex
	routes map[VRoute]bool
	rules  map[VRule]bool
	calls  []string
	// failRoutes makes AddRoute fail, as the kernel does for a gateway
	// it cannot reach.
	failRoutes bool
}

func (f *fakeRoutes) do(call string, fn func()) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
	f.calls = append(f.calls, call)
	return nil
}

func (f *fakeRoutes) AddRoute(r VRoute) error {
	f.mu.Lock()
	fail := f.failRoutes
	f.mu.Unlock()
	if fail {
		return errors.New("add route: network is unreachable")
	}
	return f.do("add route "+r.Dst.String(), func() { f.routes[r] = true })
}

func (f *fakeRoutes) RemoveRoute(r VRoute) error {
	return f.do("remove route "+r.Dst.String(), func() { delete(f.routes, r) })
}

func (f *fakeRoutes) AddRule(r VRule) error {
	return f.do(fmt.Sprint("add rule ", r.Priority), func() { f.rules[r] = true })
}

func (f *fakeRoutes) RemoveRule(r VRule) error {
	return f.do(fmt.Sprint("remove rule ", r.Priority), func() { delete(f.rules, r) })
}

// held lists the routes and rules present, sorted.
func (f *fakeRoutes) held() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for r := range f.routes {
		out = append(out, "route "+r.Dst.String())
	}
	for r := range f.rules {
		out = append(out, fmt.Sprint("rule ", r.Priority))
	}
	sort.Strings(out)
	return out
}

var (
	testRoute  = VRoute{Dst: netip.MustParsePrefix("198.51.100.0/24"), Via: netip.MustParseAddr("192.0.2.254"), Dev: "eth0", Table: 100, Protocol: 18}
	testRoute2 = VRoute{Type: RouteBlackhole, Dst: netip.MustParsePrefix("203.0.113.0/24"), Protocol: 18}
	testRule   = VRule{From: netip.MustParsePrefix("192.0.2.50/32"), Table: 100, Priority: 100}
)

// TestRouterVirtualRoutes: the routes and rules follow mastership —
// present on the master only, added after the VIPs and removed before
// them (rules before routes), taken off on a graceful stop, and a
// reload while master adds and removes only what changed.
func TestRouterVirtualRoutes(t *testing.T) {
	s, a, b := electAB(t, func(ca, cb *InstanceConfig) {
		for _, c := range []*InstanceConfig{ca, cb} {
			c.VirtualRoutes = []VRoute{testRoute, testRoute2}
			c.VirtualRules = []VRule{testRule}
		}
	})
	want := []string{"route 198.51.100.0/24", "route 203.0.113.0/24", "rule 100"}
	if got := a.rts.held(); !slices.Equal(got, want) {
		t.Errorf("master A holds %v, want %v", got, want)
	}
	if got := b.rts.held(); len(got) != 0 {
		t.Errorf("backup B holds %v, want none", got)
	}
	// Order on becoming master: VIP first, then routes, then rules.
	a.rts.mu.Lock()
	calls := slices.Clone(a.rts.calls)
	a.rts.mu.Unlock()
	if i := slices.Index(calls, "add route 198.51.100.0/24"); i < 0 || slices.Index(calls, "add rule 100") < i {
		t.Errorf("A's calls %v: want routes added before rules", calls)
	}

	// Reload on the master: the blackhole goes, a new rule comes.
	c := inst("vi", "eth0", 51, 150, vipA)
	c.SrcAddr = ipA
	newRule := VRule{To: netip.MustParsePrefix("198.51.100.0/24"), Table: 100, Priority: 101}
	c.VirtualRoutes = []VRoute{testRoute}
	c.VirtualRules = []VRule{testRule, newRule}
	a.rts.mu.Lock()
	a.rts.calls = nil
	a.rts.mu.Unlock()
	if err := a.r.Reload(one(c)); err != nil {
		t.Fatal(err)
	}
	s.run(12 * time.Second)
	want = []string{"route 198.51.100.0/24", "rule 100", "rule 101"}
	if got := a.rts.held(); !slices.Equal(got, want) {
		t.Errorf("after reload A holds %v, want %v", got, want)
	}
	a.rts.mu.Lock()
	calls = slices.Clone(a.rts.calls)
	a.rts.mu.Unlock()
	if wantCalls := []string{"remove route 203.0.113.0/24", "add rule 101"}; !slices.Equal(calls, wantCalls) {
		t.Errorf("reload made calls %v, want only %v", calls, wantCalls)
	}

	// Graceful stop of A: its routes go, B takes them with the VIP.
	s.stop(a)
	s.run(20 * time.Second)
	if got := a.rts.held(); len(got) != 0 {
		t.Errorf("stopped A holds %v, want none", got)
	}
	a.rts.mu.Lock()
	calls = slices.Clone(a.rts.calls)
	a.rts.mu.Unlock()
	if i, j := slices.Index(calls, "remove rule 100"), slices.Index(calls, "remove route 198.51.100.0/24"); i < 0 || j < i {
		t.Errorf("A's calls on stop %v: want rules removed before routes", calls)
	}
	if st := b.status("vi"); st.State != StateMaster {
		t.Fatalf("B is %v after A stopped, want MASTER", st.State)
	}
	if got, want := b.rts.held(), []string{"route 198.51.100.0/24", "route 203.0.113.0/24", "rule 100"}; !slices.Equal(got, want) {
		t.Errorf("new master B holds %v, want %v", got, want)
	}
}

// TestRouterExcludedVIPs: virtual_ipaddress_excluded addresses are put on
// and taken off with the VIPs, may be of the other family, and stay out
// of the adverts, so a peer without them still accepts ours.
func TestRouterExcludedVIPs(t *testing.T) {
	ex := []VIPAddr{{Prefix: netip.MustParsePrefix("198.51.100.7/32")}, {Prefix: netip.MustParsePrefix("2001:db8::7/128"), Dev: "eth1"}}
	s, a, b := electAB(t, func(ca, _ *InstanceConfig) { ca.ExcludedVIPs = ex })
	want := []string{"192.0.2.50/24@eth0", "198.51.100.7/32@eth0", "2001:db8::7/128@eth1"}
	if got := a.addrs.list(); !slices.Equal(got, want) {
		t.Errorf("master A holds %v, want %v", got, want)
	}
	if n := len(a.r.byName["vi"].advert.Addresses); n != 1 {
		t.Errorf("A's advert carries %d addresses, want 1 (the excluded ones left out)", n)
	}
	if st := b.status("vi"); st.State != StateBackup || st.Counters.Dropped[DropAddresses] != 0 || st.Counters.AdvertsReceived == 0 {
		t.Errorf("B: %v with %d address-list mismatches, want BACKUP accepting A's adverts", st.State, st.Counters.Dropped[DropAddresses])
	}
	s.stop(a)
	s.run(20 * time.Second)
	if got := a.addrs.list(); len(got) != 0 {
		t.Errorf("stopped A holds %v", got)
	}
}

// TestRouterRouteFailureKeepsMaster: a route the kernel refuses is
// logged and left out, as keepalived does; the master keeps its VIPs,
// rules and mastership (no fault), and the next transition tries again.
func TestRouterRouteFailureKeepsMaster(t *testing.T) {
	s := newSim(t)
	ca, cb := inst("vi", "eth0", 51, 150, vipA), inst("vi", "eth0", 51, 100, vipA)
	for _, c := range []*InstanceConfig{&ca, &cb} {
		c.VirtualRoutes = []VRoute{testRoute}
		c.VirtualRules = []VRule{testRule}
	}
	a := s.newNode("A", ipA, one(ca), nil)
	b := s.newNode("B", ipB, one(cb), nil)
	a.rts.failRoutes = true
	s.start(a)
	s.start(b)
	s.run(10 * time.Second)
	if st := a.status("vi"); st.State != StateMaster || len(st.Faults) != 0 {
		t.Fatalf("A: %v faults %v, want MASTER without faults", st.State, st.Faults)
	}
	if got, want := a.rts.held(), []string{"rule 100"}; !slices.Equal(got, want) {
		t.Errorf("A holds %v, want %v (the route refused, the rule added)", got, want)
	}
	if got := a.addrs.list(); len(got) != 1 {
		t.Errorf("A's VIPs %v, want the VIP", got)
	}
	// The next time A becomes master the route goes in.
	a.rts.mu.Lock()
	a.rts.failRoutes = false
	a.rts.mu.Unlock()
	s.stop(a)
	s.run(15 * time.Second)
	a2 := s.newNode("A", ipA, one(ca), nil)
	s.start(a2)
	s.run(30 * time.Second)
	if got, want := a2.rts.held(), []string{"route 198.51.100.0/24", "rule 100"}; !slices.Equal(got, want) {
		t.Errorf("restarted A holds %v, want %v", got, want)
	}
	if got := b.rts.held(); len(got) != 0 {
		t.Errorf("B holds %v after A preempted back", got)
	}
}
