package vrrp

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lbhad/lbhad/internal/clock"
)

// The driver tests run whole Routers against each other on fake LANs in a
// discrete-event simulation: packets are delivered with no delay, and the
// clock jumps from one deadline to the next, so the times asserted are
// exact and nothing depends on the speed of the machine.

type node struct {
	name  string
	src   netip.Addr
	r     *Router
	addrs *fakeAddrs
	rts   *fakeRoutes
	mu    sync.Mutex
	ports map[string]*fakePort
	chg   []StateChange
	dead  bool
}

func (n *node) changes() []StateChange {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]StateChange(nil), n.chg...)
}

func (n *node) status(name string) Status {
	for _, s := range n.r.Status() {
		if s.Name == name {
			return s
		}
	}
	return Status{}
}

type sim struct {
	t     *testing.T
	clock *clock.Fake
	log   *eventLog
	mu    sync.Mutex
	lans  map[string]*fakeLAN
	nodes []*node
}

func newSim(t *testing.T) *sim {
	return &sim{t: t, clock: clock.NewFake(t0), log: &eventLog{}, lans: map[string]*fakeLAN{}}
}

func (s *sim) lan(name string) *fakeLAN {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.lans[name]
	if !ok {
		l = &fakeLAN{name: name, clock: s.clock, log: s.log}
		s.lans[name] = l
	}
	return l
}

func (s *sim) at(d time.Duration) time.Time { return t0.Add(d) }

// newNode builds a Router whose instances all use src as their address.
func (s *sim) newNode(name string, src netip.Addr, cfg Config, links LinkWatcher) *node {
	s.t.Helper()
	n := &node{name: name, src: src, ports: map[string]*fakePort{},
		addrs: &fakeAddrs{node: name, clock: s.clock, log: s.log, have: map[VIPAddr]bool{}},
		rts:   &fakeRoutes{routes: map[VRoute]bool{}, rules: map[VRule]bool{}}}
	for i := range cfg.Instances {
		cfg.Instances[i].SrcAddr = src
	}
	r, err := NewRouter(cfg, Deps{
		OpenTransport: func(ifname string) (Transport, error) {
			p := s.lan(ifname).port(name, src)
			n.mu.Lock()
			n.ports[ifname] = p
			n.mu.Unlock()
			return p, nil
		},
		OpenAnnouncer: func(dev string) (Announcer, error) {
			return &fakeAnnouncer{node: name, dev: dev, clock: s.clock, log: s.log}, nil
		},
		Addrs:  n.addrs,
		Routes: n.rts,
		Links:  links,
		Clock:  s.clock,
		OnStateChange: func(sc StateChange) {
			n.mu.Lock()
			n.chg = append(n.chg, sc)
			n.mu.Unlock()
		},
	})
	if err != nil {
		s.t.Fatalf("NewRouter(%s): %v", name, err)
	}
	n.r = r
	return n
}

// start runs the synchronous start of Run (no goroutines) at the current
// simulated time.
func (s *sim) start(n *node) {
	s.t.Helper()
	if err := n.r.open(); err != nil {
		s.t.Fatalf("start %s: %v", n.name, err)
	}
	n.r.dispatch()
	s.nodes = append(s.nodes, n)
}

// stop is a graceful stop at the current simulated time.
func (s *sim) stop(n *node) { n.r.shutdown(); n.dead = true }

// crash silences n without a word: no priority-0 advert, VIPs left.
func (s *sim) crash(n *node) {
	n.dead = true
	for _, p := range n.ports {
		p.Close()
	}
}

func (s *sim) deliver() bool {
	moved := false
	for _, n := range s.nodes {
		if n.dead {
			continue
		}
		for ifname, p := range n.ports {
		drain:
			for {
				select {
				case pkt := <-p.in:
					n.r.mu.Lock()
					if l := n.r.links[ifname]; l != nil && !l.closed {
						n.r.receiveLocked(s.clock.Now(), l, pkt.b, pkt.meta)
					}
					n.r.mu.Unlock()
					n.r.dispatch()
					moved = true
				default:
					break drain
				}
			}
		}
	}
	return moved
}

// run simulates until the given offset from t0.
func (s *sim) run(until time.Duration) {
	s.t.Helper()
	end := s.at(until)
	for i := 0; ; i++ {
		if i > 1e6 {
			s.t.Fatal("simulation does not settle")
		}
		if s.deliver() {
			continue
		}
		var next time.Time
		for _, n := range s.nodes {
			if n.dead {
				continue
			}
			n.r.mu.Lock()
			d := n.r.nextDeadlineLocked()
			n.r.mu.Unlock()
			if !d.IsZero() && (next.IsZero() || d.Before(next)) {
				next = d
			}
		}
		if next.IsZero() || next.After(end) {
			s.clock.Set(end)
			return
		}
		s.clock.Set(next)
		for _, n := range s.nodes {
			if n.dead {
				continue
			}
			n.r.mu.Lock()
			n.r.fireLocked(next)
			n.r.mu.Unlock()
			n.r.dispatch()
		}
	}
}

var (
	ipA  = netip.MustParseAddr("192.0.2.11")
	ipB  = netip.MustParseAddr("192.0.2.12")
	vipA = netip.MustParsePrefix("192.0.2.50/24")
	vipB = netip.MustParsePrefix("192.0.2.51/24")
	vipC = netip.MustParsePrefix("192.0.2.52/24")
)

func inst(name, iface string, vrid, prio uint8, vips ...netip.Prefix) InstanceConfig {
	c := InstanceConfig{Name: name, Interface: iface, VRID: vrid, Priority: prio, AdvertInterval: time.Second,
		AuthType: AuthSimple, AuthPass: "pw12", GARPMasterDelay: 5 * time.Second, GARPMasterRepeat: 5}
	for _, v := range vips {
		c.VIPs = append(c.VIPs, VIPAddr{Prefix: v})
	}
	return c
}

func one(c InstanceConfig) Config { return Config{Instances: []InstanceConfig{c}} }

type change struct {
	At       time.Duration
	From, To State
	Reason   Reason
}

func summarize(cs []StateChange) []change {
	var out []change
	for _, c := range cs {
		out = append(out, change{c.At.Sub(t0), c.From, c.To, c.Reason})
	}
	return out
}

func (s *sim) wantChanges(n *node, want []change) {
	s.t.Helper()
	if d := cmp.Diff(want, summarize(n.changes())); d != "" {
		s.t.Errorf("%s transitions (-want +got):\n%s", n.name, d)
	}
}

func (s *sim) adverts(node string) []event {
	return s.log.filter(func(e event) bool { return e.Kind == "advert" && e.Node == node })
}

// electAB starts A (priority 150) and B (100) together and runs 10 s.
func electAB(t *testing.T, mutate func(a, b *InstanceConfig)) (*sim, *node, *node) {
	s := newSim(t)
	ca, cb := inst("vi", "eth0", 51, 150, vipA), inst("vi", "eth0", 51, 100, vipA)
	if mutate != nil {
		mutate(&ca, &cb)
	}
	a := s.newNode("A", ipA, one(ca), nil)
	b := s.newNode("B", ipB, one(cb), nil)
	s.start(a)
	s.start(b)
	s.run(10 * time.Second)
	return s, a, b
}

func TestRouterElectsHigherPriority(t *testing.T) {
	s, a, b := electAB(t, nil)
	s.wantChanges(a, []change{
		{0, StateInit, StateBackup, ReasonStartup},
		{mdi(150), StateBackup, StateMaster, ReasonMasterDown},
	})
	s.wantChanges(b, []change{{0, StateInit, StateBackup, ReasonStartup}})
	if got := a.addrs.list(); !cmp.Equal(got, []string{"192.0.2.50/24@eth0"}) {
		t.Errorf("A holds %v", got)
	}
	if got := b.addrs.list(); len(got) != 0 {
		t.Errorf("B holds %v", got)
	}
	adv := s.adverts("A")
	for i, e := range adv {
		if want := s.at(mdi(150) + time.Duration(i)*time.Second); !e.At.Equal(want) || e.Prio != 150 {
			t.Errorf("advert %d: %v prio %d, want %v prio 150", i, e.At.Sub(t0), e.Prio, want.Sub(t0))
		}
	}
	if len(adv) != 7 {
		t.Errorf("A sent %d adverts in 10 s, want 7", len(adv))
	}
	if n := len(s.adverts("B")); n != 0 {
		t.Errorf("backup B sent %d adverts", n)
	}
	sa, sb := a.status("vi"), b.status("vi")
	if sa.State != StateMaster || sa.Master != ipA || sa.Counters.AdvertsSent != 7 || sa.Counters.BecameMaster != 1 {
		t.Errorf("A status %+v", sa)
	}
	if sb.State != StateBackup || sb.Master != ipA || sb.MasterPriority != 150 || sb.Counters.AdvertsReceived != 7 {
		t.Errorf("B status %+v", sb)
	}
	if !cmp.Equal(sb.VIPs, []netip.Prefix{vipA}, cmpopts.EquateComparable(netip.Prefix{})) {
		t.Errorf("B status VIPs %v", sb.VIPs)
	}
}

func TestRouterGracefulStopTakeoverAfterSkew(t *testing.T) {
	s, a, b := electAB(t, nil)
	s.stop(a)
	s.run(20 * time.Second)
	s.wantChanges(a, []change{
		{0, StateInit, StateBackup, ReasonStartup},
		{mdi(150), StateBackup, StateMaster, ReasonMasterDown},
		{10 * time.Second, StateMaster, StateStopped, ReasonShutdown},
	})
	s.wantChanges(b, []change{
		{0, StateInit, StateBackup, ReasonStartup},
		{10*time.Second + SkewTime(100), StateBackup, StateMaster, ReasonMasterDown},
	})
	last := s.adverts("A")
	if e := last[len(last)-1]; e.Prio != 0 || e.At != s.at(10*time.Second) {
		t.Errorf("A's last advert %+v, want priority 0 at 10s", e)
	}
	if got := a.addrs.list(); len(got) != 0 {
		t.Errorf("stopped A still holds %v", got)
	}
	if got := b.addrs.list(); len(got) != 1 {
		t.Errorf("B holds %v", got)
	}
}

func TestRouterCrashTakeoverAfterMasterDown(t *testing.T) {
	s, a, b := electAB(t, nil)
	s.crash(a)
	s.run(20 * time.Second)
	adv := s.adverts("A")
	lastSeen := adv[len(adv)-1].At.Sub(t0)
	s.wantChanges(b, []change{
		{0, StateInit, StateBackup, ReasonStartup},
		// keepalived facts: exactly 3.61 s after the last advert.
		{lastSeen + mdi(100), StateBackup, StateMaster, ReasonMasterDown},
	})
}

func TestRouterRestartedHigherPriorityPreempts(t *testing.T) {
	for _, nopreempt := range []bool{false, true} {
		s := newSim(t)
		ca := inst("vi", "eth0", 51, 150, vipA)
		ca.Nopreempt = nopreempt
		b := s.newNode("B", ipB, one(inst("vi", "eth0", 51, 100, vipA)), nil)
		s.start(b)
		s.run(20 * time.Second)
		a := s.newNode("A", ipA, one(ca), nil)
		s.start(a)
		s.run(60 * time.Second)
		if nopreempt {
			s.wantChanges(a, []change{{20 * time.Second, StateInit, StateBackup, ReasonStartup}})
			continue
		}
		// Like keepalived: the restarted node waits its own master-down
		// interval, then B hears the higher priority and steps down.
		s.wantChanges(a, []change{
			{20 * time.Second, StateInit, StateBackup, ReasonStartup},
			{20*time.Second + mdi(150), StateBackup, StateMaster, ReasonMasterDown},
		})
		s.wantChanges(b, []change{
			{0, StateInit, StateBackup, ReasonStartup},
			{mdi(100), StateBackup, StateMaster, ReasonMasterDown},
			{20*time.Second + mdi(150), StateMaster, StateBackup, ReasonHigherPriority},
		})
	}
}

func TestRouterGARPSchedule(t *testing.T) {
	for _, tc := range []struct {
		name          string
		delay         time.Duration
		refresh       time.Duration
		refreshRepeat int
		want          []time.Duration // burst times after becoming master
		wantPerBurst  []int
	}{
		{"keepalived defaults", 5 * time.Second, 0, 0, []time.Duration{0, 5 * time.Second}, []int{10, 10}},
		{"no second burst", 0, 0, 0, []time.Duration{0}, []int{10}},
		{"refresh", 5 * time.Second, 10 * time.Second, 2,
			[]time.Duration{0, 5 * time.Second, 15 * time.Second, 25 * time.Second, 35 * time.Second},
			[]int{10, 10, 4, 4, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t)
			c := inst("vi", "eth0", 51, 255, vipA, vipB)
			c.GARPMasterDelay, c.GARPMasterRefresh, c.GARPRefreshRepeat = tc.delay, tc.refresh, tc.refreshRepeat
			a := s.newNode("A", ipA, one(c), nil)
			s.start(a) // owner: master at once
			s.run(40 * time.Second)
			bursts := map[time.Duration]int{}
			var times []time.Duration
			for _, e := range s.log.filter(func(e event) bool { return e.Kind == "garp" }) {
				d := e.At.Sub(t0)
				if bursts[d] == 0 {
					times = append(times, d)
				}
				bursts[d]++
			}
			var per []int
			for _, d := range times {
				per = append(per, bursts[d])
			}
			if d := cmp.Diff(tc.want, times); d != "" {
				t.Errorf("burst times (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantPerBurst, per); d != "" {
				t.Errorf("frames per burst (-want +got):\n%s", d)
			}
			// Order on becoming master: VIPs added, advert, then GARP.
			var kinds []string
			for _, e := range s.log.filter(func(e event) bool { return e.At.Equal(t0) }) {
				kinds = append(kinds, e.Kind)
			}
			if len(kinds) < 4 || kinds[0] != "add" || kinds[1] != "add" || kinds[2] != "advert" || kinds[3] != "garp" {
				t.Errorf("order at startup: %v", kinds)
			}
		})
	}
}

func TestRouterGARPStopsWhenLeavingMaster(t *testing.T) {
	s, a, _ := electAB(t, nil) // A master at 3.41 s; second burst due at 8.41 s
	s.run(5 * time.Second)
	s.stop(a)
	s.run(30 * time.Second)
	if n := len(s.log.filter(func(e event) bool { return e.Kind == "garp" && e.Node == "A" })); n != 10 {
		t.Errorf("A sent %d GARPs, want 10 (two bursts before stopping)", n)
	}
}

func TestRouterDropsMalformed(t *testing.T) {
	s, a, b := electAB(t, nil)
	s.crash(a)
	adv := s.adverts("A")
	lastSeen := adv[len(adv)-1].At.Sub(t0)
	good := Advertisement{VRID: 51, Priority: 200, AuthType: AuthSimple, AdvertInt: 1,
		Addresses: []netip.Addr{vipA.Addr()}, AuthData: AuthPassword("pw12")}
	enc := func(f func(a *Advertisement)) []byte {
		x := good
		f(&x)
		p, err := x.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	meta := RecvMeta{Src: ipA, TTL: 255}
	bad := []struct {
		b    []byte
		meta RecvMeta
	}{
		{enc(func(*Advertisement) {}), RecvMeta{Src: ipA, TTL: 64}},
		{func() []byte { p := enc(func(*Advertisement) {}); p[9]++; return p }(), meta},
		{[]byte{0x21, 51, 200}, meta},
		{enc(func(x *Advertisement) { x.VRID = 52 }), meta},
		{enc(func(x *Advertisement) { x.AuthData = AuthPassword("nope") }), meta},
		{enc(func(x *Advertisement) { x.AdvertInt = 3 }), meta},
		{enc(func(x *Advertisement) { x.Addresses = nil }), meta},
		{enc(func(*Advertisement) {}), RecvMeta{Src: ipB, TTL: 255}}, // our own
	}
	// Each would reset B's master-down timer (priority 200) if accepted.
	for i, p := range bad {
		s.run(lastSeen + time.Duration(i+1)*300*time.Millisecond)
		b.ports["eth0"].inject(p.b, p.meta)
	}
	s.run(20 * time.Second)
	s.wantChanges(b, []change{
		{0, StateInit, StateBackup, ReasonStartup},
		{lastSeen + mdi(100), StateBackup, StateMaster, ReasonMasterDown},
	})
	var wantIf, wantInst [NumDropReasons]uint64
	wantIf[DropTTL], wantIf[DropChecksum], wantIf[DropTooShort], wantIf[DropUnknownVRID] = 1, 1, 1, 1
	wantInst[DropAuth], wantInst[DropInterval], wantInst[DropAddresses], wantInst[DropOwnPacket] = 1, 1, 1, 1
	if got := b.r.InterfaceCounters()["eth0"].Dropped; got != wantIf {
		t.Errorf("interface drops %v, want %v", got, wantIf)
	}
	st := b.status("vi")
	if st.Counters.Dropped != wantInst {
		t.Errorf("instance drops %v, want %v", st.Counters.Dropped, wantInst)
	}
	if st.Counters.AdvertsReceived != uint64(len(adv)) {
		t.Errorf("accepted %d adverts, want %d", st.Counters.AdvertsReceived, len(adv))
	}
}

func TestRouterTrackScriptLowersPriority(t *testing.T) {
	s, a, b := electAB(t, func(ca, _ *InstanceConfig) {
		ca.TrackScripts = []TrackScript{{Name: "chk", Weight: -60}}
	})
	a.r.SetTrackScript("chk", false)
	s.run(30 * time.Second)
	adv := s.adverts("A")
	var lastFull time.Duration
	for _, e := range adv {
		if e.Prio == 150 {
			lastFull = e.At.Sub(t0)
		}
	}
	var at10 []uint8
	for _, e := range adv {
		if e.At == s.at(10*time.Second) {
			at10 = append(at10, e.Prio)
		}
	}
	if !cmp.Equal(at10, []uint8{90}) {
		t.Errorf("adverts at the failure: %v, want one with priority 90", at10)
	}
	// B ignores the lower-priority master (preempt) and takes over when
	// its timer, last reset by a priority-150 advert, runs out; A steps
	// down on hearing it. No moment without a master.
	takeover := lastFull + mdi(100)
	s.wantChanges(b, []change{
		{0, StateInit, StateBackup, ReasonStartup},
		{takeover, StateBackup, StateMaster, ReasonMasterDown},
	})
	s.wantChanges(a, []change{
		{0, StateInit, StateBackup, ReasonStartup},
		{mdi(150), StateBackup, StateMaster, ReasonMasterDown},
		{takeover, StateMaster, StateBackup, ReasonHigherPriority},
	})
	if st := a.status("vi"); st.BasePriority != 150 || st.EffectivePriority != 90 {
		t.Errorf("A priorities base %d effective %d", st.BasePriority, st.EffectivePriority)
	}
	// Recovery: A's priority is back to 150 and it preempts B.
	a.r.SetTrackScript("chk", true)
	s.run(40 * time.Second)
	if st := a.status("vi"); st.State != StateMaster || st.EffectivePriority != 150 {
		t.Errorf("A after recovery: %v prio %d", st.State, st.EffectivePriority)
	}
}

func TestRouterFaults(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fail, heal func(a *node)
		wantFaults []string
	}{
		{"own interface down", func(a *node) { a.r.SetLink("eth0", false) }, func(a *node) { a.r.SetLink("eth0", true) }, []string{"link:eth0"}},
		{"tracked interface down", func(a *node) { a.r.SetLink("eth9", false) }, func(a *node) { a.r.SetLink("eth9", true) }, []string{"link:eth9"}},
		{"weight-0 script fails", func(a *node) { a.r.SetTrackScript("chk", false) }, func(a *node) { a.r.SetTrackScript("chk", true) }, []string{"script:chk"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, a, b := electAB(t, func(ca, _ *InstanceConfig) {
				ca.TrackInterfaces = []string{"eth9"}
				ca.TrackScripts = []TrackScript{{Name: "chk"}}
			})
			a.r.SetLink("eth9", true) // an "up" report changes nothing
			tc.fail(a)
			s.run(20 * time.Second)
			if got := a.status("vi").Faults; !cmp.Equal(got, tc.wantFaults) {
				t.Errorf("faults %v, want %v", got, tc.wantFaults)
			}
			tc.heal(a)
			s.run(40 * time.Second)
			s.wantChanges(a, []change{
				{0, StateInit, StateBackup, ReasonStartup},
				{mdi(150), StateBackup, StateMaster, ReasonMasterDown},
				{10 * time.Second, StateMaster, StateFault, ReasonFault},
				{20 * time.Second, StateFault, StateBackup, ReasonFaultCleared},
				{20*time.Second + mdi(150), StateBackup, StateMaster, ReasonMasterDown},
			})
			s.wantChanges(b, []change{
				{0, StateInit, StateBackup, ReasonStartup},
				{10*time.Second + SkewTime(100), StateBackup, StateMaster, ReasonMasterDown},
				{20*time.Second + mdi(150), StateMaster, StateBackup, ReasonHigherPriority},
			})
			if len(a.status("vi").Faults) != 0 {
				t.Errorf("faults after healing: %v", a.status("vi").Faults)
			}
		})
	}
}

func TestRouterSyncGroupFault(t *testing.T) {
	s := newSim(t)
	group := func(prio uint8) Config {
		return Config{
			Instances:  []InstanceConfig{inst("ext", "eth0", 1, prio, vipA), inst("int", "eth1", 2, prio, vipB)},
			SyncGroups: []SyncGroupConfig{{Name: "g", Members: []string{"ext", "int"}}},
		}
	}
	a := s.newNode("A", ipA, group(150), nil)
	b := s.newNode("B", ipB, group(100), nil)
	s.start(a)
	s.start(b)
	s.run(10 * time.Second)
	a.r.SetLink("eth1", false)
	s.run(20 * time.Second)
	for _, name := range []string{"ext", "int"} {
		if st := a.status(name); st.State != StateFault {
			t.Errorf("A %s: %v, want FAULT", name, st.State)
		}
		if st := b.status(name); st.State != StateMaster || st.LastTransition != s.at(10*time.Second+SkewTime(100)) {
			t.Errorf("B %s: %v since %v", name, st.State, st.LastTransition.Sub(t0))
		}
	}
	if got := a.status("ext").Faults; !cmp.Equal(got, []string{"group:g"}) {
		t.Errorf("ext faults %v", got)
	}
	if got := a.status("int").Faults; !cmp.Equal(got, []string{"link:eth1"}) {
		t.Errorf("int faults %v", got)
	}
	for _, c := range a.changes() {
		if c.SyncGroup != "g" {
			t.Errorf("change %+v lacks the group", c)
		}
	}
}

func TestRouterSyncGroupForces(t *testing.T) {
	// A's ext would win (150 over B's 100) but A's int has the lowest
	// priority on its LAN (50): int obeys B's int, so the group holds ext
	// in Backup when its timer runs out (keepalived's
	// vrrp_sync_can_goto_master) and B masters both. Before, ext took
	// Master, forced int along, and int's step-down dragged ext back: a
	// flap of both VIPs every time the peer's int was heard.
	s := newSim(t)
	a := s.newNode("A", ipA, Config{
		Instances:  []InstanceConfig{inst("ext", "eth0", 1, 150, vipA), inst("int", "eth1", 2, 50, vipB)},
		SyncGroups: []SyncGroupConfig{{Name: "g", Members: []string{"ext", "int"}}},
	}, nil)
	b := s.newNode("B", ipB, Config{Instances: []InstanceConfig{inst("ext", "eth0", 1, 100, vipA), inst("int", "eth1", 2, 100, vipB)}}, nil)
	s.start(a)
	s.start(b)
	s.run(3 * mdi(100))
	var got []string
	for _, c := range a.changes() {
		got = append(got, c.At.Sub(t0).String()+" "+c.Instance+" "+c.From.String()+">"+c.To.String()+" "+string(c.Reason))
	}
	want := []string{
		"0s ext INIT>BACKUP startup",
		"0s int INIT>BACKUP startup",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("A transitions (-want +got):\n%s", d)
	}
	for _, name := range []string{"ext", "int"} {
		if st := b.status(name); st.State != StateMaster {
			t.Errorf("B %s: %v, want MASTER (A's group yields both)", name, st.State)
		}
	}
}

// TestRouterSyncGroupTakesOverTogether: when every member's timer runs
// out (the peer is gone), the hold does not keep the group in Backup:
// the first member waits for the second, which then takes the group to
// Master.
func TestRouterSyncGroupTakesOverTogether(t *testing.T) {
	s := newSim(t)
	a := s.newNode("A", ipA, Config{
		Instances:  []InstanceConfig{inst("ext", "eth0", 1, 150, vipA), inst("int", "eth1", 2, 50, vipB)},
		SyncGroups: []SyncGroupConfig{{Name: "g", Members: []string{"ext", "int"}}},
	}, nil)
	s.start(a)
	s.run(3 * mdi(50))
	for _, name := range []string{"ext", "int"} {
		if st := a.status(name); st.State != StateMaster {
			t.Errorf("A %s: %v, want MASTER with no peer", name, st.State)
		}
	}
}

// TestRouterSyncGroupAnnouncesTogether: a group taking over puts every
// member's addresses on before its first gratuitous ARP, then announces
// round by round, the service address (the virtual server's) last in
// each round. The outside member of a NAT pair moving first, announced at
// once, drew the old master's queued client packets before the inside
// address had moved, and the real servers answered through the old
// master.
func TestRouterSyncGroupAnnouncesTogether(t *testing.T) {
	for _, stop := range []bool{true, false} {
		t.Run(fmt.Sprintf("stop=%v", stop), func(t *testing.T) {
			s := newSim(t)
			group := func(prio uint8) Config {
				return Config{
					Instances:    []InstanceConfig{inst("ext", "eth0", 1, prio, vipA), inst("int", "eth1", 2, prio, vipB)},
					SyncGroups:   []SyncGroupConfig{{Name: "g", Members: []string{"ext", "int"}}},
					ServiceAddrs: []netip.Addr{vipA.Addr()},
				}
			}
			a := s.newNode("A", ipA, group(150), nil)
			b := s.newNode("B", ipB, group(100), nil)
			s.start(a)
			s.start(b)
			s.run(10 * time.Second)
			if stop {
				s.stop(a)
			} else {
				s.crash(a)
			}
			s.run(15 * time.Second)
			var got []string
			for _, e := range s.log.filter(func(e event) bool { return e.Node == "B" && e.At.After(s.at(10*time.Second)) }) {
				if e.Kind == "advert" {
					got = append(got, fmt.Sprintf("advert vrid %d", e.VRID))
				} else {
					got = append(got, e.Kind+" "+e.Addr.Addr().String())
				}
				if len(got) == 14 {
					break // the garp_master_delay burst follows
				}
			}
			// Either member may be the one whose timer moves the group:
			// it adds its address and advertises first.
			ext := []string{"add 192.0.2.50", "advert vrid 1"}
			in := []string{"add 192.0.2.51", "advert vrid 2"}
			want := slices.Concat(ext, in)
			if len(got) > 0 && got[0] == in[0] {
				want = slices.Concat(in, ext)
			}
			for range 5 {
				want = append(want, "garp 192.0.2.51", "garp 192.0.2.50")
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("B's takeover (-want +got):\n%s", d)
			}
		})
	}
}

// TestRouterAnnouncesServiceAddrsLast: one instance carrying a NAT
// director's outside and inside addresses announces the inside one
// first, whatever the config's order.
func TestRouterAnnouncesServiceAddrsLast(t *testing.T) {
	s := newSim(t)
	cfg := one(inst("vi", "eth0", 1, 150, vipA, vipB))
	cfg.ServiceAddrs = []netip.Addr{vipA.Addr(), netip.MustParseAddr("203.0.113.9")}
	a := s.newNode("A", ipA, cfg, nil)
	s.start(a)
	s.run(mdi(150))
	var got []string
	for _, e := range s.log.filter(func(e event) bool { return e.Kind == "garp" }) {
		got = append(got, e.Addr.Addr().String())
	}
	var want []string
	for range 5 {
		want = append(want, "192.0.2.51", "192.0.2.50")
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("gratuitous ARPs (-want +got):\n%s", d)
	}
}

func TestRouterReload(t *testing.T) {
	s, a, _ := electAB(t, func(ca, _ *InstanceConfig) { ca.VIPs = append(ca.VIPs, VIPAddr{Prefix: vipB}) })
	base := inst("vi", "eth0", 51, 150, vipA, vipB)
	base.SrcAddr = ipA
	at := func(d time.Duration) []string {
		var out []string
		for _, e := range s.log.filter(func(e event) bool { return e.Node == "A" && e.At == s.at(d) }) {
			s := e.Kind
			if e.Kind == "advert" {
				s += " " + string(rune('0'+e.Prio/100)) + string(rune('0'+e.Prio/10%10)) + string(rune('0'+e.Prio%10))
			} else {
				s += " " + e.Addr.String()
			}
			out = append(out, s)
		}
		return out
	}
	step := func(d time.Duration, c InstanceConfig, want []string) {
		t.Helper()
		s.run(d)
		if err := a.r.Reload(one(c)); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, at(d)); diff != "" {
			t.Errorf("reload at %v (-want +got):\n%s", d, diff)
		}
	}
	// Unchanged: nothing happens (10.5 s is between two adverts).
	step(10500*time.Millisecond, base, nil)
	// New priority: advertised at once.
	c := base
	c.Priority = 120
	step(11500*time.Millisecond, c, []string{"advert 120"})
	// New VIP list: only the difference, the new VIP announced.
	c.VIPs = []VIPAddr{{Prefix: vipB}, {Prefix: vipC}}
	step(12200*time.Millisecond, c, []string{
		"add 192.0.2.52/24",
		"remove 192.0.2.50/24",
		"garp 192.0.2.52/32", "garp 192.0.2.52/32", "garp 192.0.2.52/32", "garp 192.0.2.52/32", "garp 192.0.2.52/32",
		"advert 120",
	})
	if got := a.addrs.list(); !cmp.Equal(got, []string{"192.0.2.51/24@eth0", "192.0.2.52/24@eth0"}) {
		t.Errorf("A holds %v", got)
	}
	// Removed instance: stopped as on shutdown.
	c2 := inst("other", "eth0", 52, 100, vipA)
	c2.SrcAddr = ipA
	s.run(13700 * time.Millisecond)
	if err := a.r.Reload(one(c2)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"advert 000", "remove 192.0.2.51/24", "remove 192.0.2.52/24", "remove 192.0.2.50/24"}, at(13700*time.Millisecond)); diff != "" {
		t.Errorf("instance swap (-want +got):\n%s", diff)
	}
	if st := a.r.Status(); len(st) != 1 || st[0].Name != "other" || st[0].State != StateBackup {
		t.Errorf("status after swap %+v", st)
	}
	// A bad config is refused and changes nothing.
	bad := c2
	bad.AdvertInterval = 1500 * time.Millisecond
	if err := a.r.Reload(one(bad)); err == nil {
		t.Error("reload with a fractional advert interval accepted")
	}
}

func TestNewRouterRejects(t *testing.T) {
	ok := inst("vi", "eth0", 51, 100, vipA)
	ok.SrcAddr = ipA
	deps := Deps{OpenTransport: func(string) (Transport, error) { return nil, nil }, Addrs: &fakeAddrs{}}
	for name, mut := range map[string]func(c *Config){
		"no name":       func(c *Config) { c.Instances[0].Name = "" },
		"vrid 0":        func(c *Config) { c.Instances[0].VRID = 0 },
		"priority 0":    func(c *Config) { c.Instances[0].Priority = 0 },
		"interval 0":    func(c *Config) { c.Instances[0].AdvertInterval = 0 },
		"auth type 2":   func(c *Config) { c.Instances[0].AuthType = 2 },
		"long password": func(c *Config) { c.Instances[0].AuthPass = "123456789" },
		"no source":     func(c *Config) { c.Instances[0].SrcAddr = netip.Addr{} },
		"ipv6 vip":      func(c *Config) { c.Instances[0].VIPs[0].Prefix = netip.MustParsePrefix("2001:db8::1/128") },
		"duplicate":     func(c *Config) { c.Instances = append(c.Instances, c.Instances[0]) },
		"same vrid": func(c *Config) {
			d := c.Instances[0]
			d.Name = "x"
			c.Instances = append(c.Instances, d)
		},
		"unknown member": func(c *Config) { c.SyncGroups = []SyncGroupConfig{{Name: "g", Members: []string{"nope"}}} },
	} {
		t.Run(name, func(t *testing.T) {
			c := Config{Instances: []InstanceConfig{ok}}
			c.Instances[0].VIPs = append([]VIPAddr(nil), ok.VIPs...)
			mut(&c)
			if _, err := NewRouter(c, deps); err == nil {
				t.Error("accepted")
			}
		})
	}
	if _, err := NewRouter(Config{Instances: []InstanceConfig{ok}}, deps); err != nil {
		t.Errorf("good config refused: %v", err)
	}
}

// TestRouterRun drives the real loop and reader goroutines with the fake
// clock. It asserts outcomes, not times: the clock is stepped and the
// test waits for each outcome, so a slow machine only makes it slower.
func TestRouterRun(t *testing.T) {
	s := newSim(t)
	links := &fakeLinks{ch: make(chan LinkEvent, 8), names: make(chan []string, 8)}
	a := s.newNode("A", ipA, one(inst("vi", "eth0", 51, 150, vipA)), nil)
	b := s.newNode("B", ipB, one(inst("vi", "eth0", 51, 100, vipA)), links)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 2)
	go func() { runErr <- a.r.Run(ctx) }()
	go func() { runErr <- b.r.Run(ctx) }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for i := 0; i < 20000; i++ {
			if cond() {
				return
			}
			s.clock.Advance(10 * time.Millisecond)
			time.Sleep(100 * time.Microsecond)
		}
		t.Fatalf("timed out waiting for %s", what)
	}
	state := func(n *node) State { return n.status("vi").State }
	waitFor("A master, B backup", func() bool { return state(a) == StateMaster && state(b) == StateBackup })
	if got := <-links.names; !cmp.Equal(got, []string{"eth0"}) {
		t.Errorf("B watches %v", got)
	}

	stopCtx, stopCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer stopCancel()
	if err := a.r.Stop(stopCtx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := <-runErr; err != nil {
		t.Errorf("A's Run: %v", err)
	}
	if st := a.status("vi"); st.State != StateStopped || st.Counters.PriorityZeroSent != 1 {
		t.Errorf("A after Stop: %v, %d priority-0 adverts", st.State, st.Counters.PriorityZeroSent)
	}
	waitFor("B master", func() bool { return state(b) == StateMaster })
	if got := b.addrs.list(); len(got) != 1 {
		t.Errorf("B holds %v", got)
	}
	if got := b.status("vi").Counters.PriorityZeroReceived; got != 1 {
		t.Errorf("B got %d priority-0 adverts", got)
	}

	links.ch <- LinkEvent{Name: "eth0", Up: false}
	waitFor("B fault", func() bool { return state(b) == StateFault })
	links.ch <- LinkEvent{Name: "eth0", Up: true}
	waitFor("B master again", func() bool { return state(b) == StateMaster })

	cancel()
	if err := <-runErr; err != nil {
		t.Errorf("B's Run: %v", err)
	}
	if got := b.addrs.list(); len(got) != 0 {
		t.Errorf("B still holds %v after its Run ended", got)
	}
	// A Router runs once.
	if err := b.r.Run(context.Background()); err != ErrStopped {
		t.Errorf("second Run: %v, want ErrStopped", err)
	}
	if err := b.r.Stop(context.Background()); err != nil {
		t.Errorf("Stop after Run ended: %v", err)
	}
}

func TestRouterRemovesLeftoverVIPsAtStart(t *testing.T) {
	s := newSim(t)
	b := s.newNode("B", ipB, one(inst("vi", "eth0", 51, 100, vipA)), nil)
	b.addrs.have[VIPAddr{Prefix: vipA, Dev: "eth0"}] = true // left by a crash
	s.start(b)
	if got := b.addrs.list(); len(got) != 0 {
		t.Errorf("after start B holds %v", got)
	}
	if st := b.status("vi"); st.State != StateBackup {
		t.Errorf("B %v", st.State)
	}
}

func TestRouterUnicast(t *testing.T) {
	s := newSim(t)
	ca := inst("vi", "eth0", 51, 150, vipA)
	ca.UnicastPeers = []netip.Addr{ipB}
	a := s.newNode("A", ipA, one(ca), nil)
	b := s.newNode("B", ipB, one(inst("vi", "eth0", 51, 100, vipA)), nil)
	c := s.newNode("C", netip.MustParseAddr("192.0.2.13"), one(inst("vi", "eth0", 51, 50, vipA)), nil)
	s.start(a)
	s.start(b)
	s.start(c)
	s.run(10 * time.Second)
	if st := b.status("vi"); st.State != StateBackup || st.Counters.AdvertsReceived == 0 {
		t.Errorf("unicast peer B: %v, %d adverts", st.State, st.Counters.AdvertsReceived)
	}
	// C is not a peer: it never hears A and, B being a silent backup,
	// makes itself master.
	if st := c.status("vi"); st.Counters.AdvertsReceived != 0 || st.State != StateMaster {
		t.Errorf("C: %v, %d adverts received", st.State, st.Counters.AdvertsReceived)
	}
}
