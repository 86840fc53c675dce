package vrrp

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// faultCtl injects the faults of one node: interfaces that cannot be
// opened, sends that fail, VIPs the kernel refuses.
type faultCtl struct {
	mu       sync.Mutex
	openErr  map[string]error
	writeErr error
	addErr   map[netip.Prefix]error
	opens    map[string]int
	// primary is each interface's primary address, for instances
	// without SrcAddr (newFaultyNode with an invalid src).
	primary map[string]netip.Addr
}

func (c *faultCtl) set(f func(c *faultCtl)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c)
}

type errPort struct {
	*fakePort
	ctl *faultCtl
}

func (p errPort) WriteTo(b []byte, dst netip.Addr) error {
	p.ctl.mu.Lock()
	err := p.ctl.writeErr
	p.ctl.mu.Unlock()
	if err != nil {
		return fmt.Errorf("fake send: %w", err)
	}
	return p.fakePort.WriteTo(b, dst)
}

type errAddrs struct {
	*fakeAddrs
	ctl *faultCtl
}

func (a errAddrs) Add(v VIPAddr) error {
	a.ctl.mu.Lock()
	err := a.ctl.addErr[v.Prefix]
	a.ctl.mu.Unlock()
	if err != nil {
		return err
	}
	return a.fakeAddrs.Add(v)
}

// newFaultyNode is newNode with the faults of ctl.
func (s *sim) newFaultyNode(name string, src netip.Addr, cfg Config, ctl *faultCtl) *node {
	s.t.Helper()
	ctl.opens = map[string]int{}
	n := &node{name: name, src: src, ports: map[string]*fakePort{},
		addrs: &fakeAddrs{node: name, clock: s.clock, log: s.log, have: map[VIPAddr]bool{}}}
	for i := range cfg.Instances {
		cfg.Instances[i].SrcAddr = src
	}
	r, err := NewRouter(cfg, Deps{
		OpenTransport: func(ifname string) (Transport, error) {
			ctl.mu.Lock()
			ctl.opens[ifname]++
			err := ctl.openErr[ifname]
			from := src
			if !from.IsValid() {
				from = ctl.primary[ifname]
			}
			ctl.mu.Unlock()
			if err != nil {
				return nil, err
			}
			p := s.lan(ifname).port(name, from)
			n.mu.Lock()
			n.ports[ifname] = p
			n.mu.Unlock()
			return errPort{p, ctl}, nil
		},
		OpenAnnouncer: func(dev string) (Announcer, error) {
			return &fakeAnnouncer{node: name, dev: dev, clock: s.clock, log: s.log}, nil
		},
		Addrs: errAddrs{n.addrs, ctl},
		PrimaryAddr: func(ifname string) (netip.Addr, error) {
			ctl.mu.Lock()
			defer ctl.mu.Unlock()
			if a, ok := ctl.primary[ifname]; ok {
				return a, nil
			}
			return netip.Addr{}, ErrNoIPv4
		},
		Clock: s.clock,
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

func (c *faultCtl) openCount(ifname string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opens[ifname]
}

func hasFault(st Status, prefix string) bool {
	return slices.ContainsFunc(st.Faults, func(f string) bool { return strings.HasPrefix(f, prefix) })
}

// An instance whose interface cannot be opened waits alone: the other
// instance runs, the waiting one is listed with its reason, and a link
// event starts it at once (no clock step); without an event the
// fallback poll does, waitPoll later.
func TestWaitingInstanceIsolated(t *testing.T) {
	for _, event := range []bool{true, false} {
		t.Run(fmt.Sprintf("event=%v", event), func(t *testing.T) {
			s := newSim(t)
			ctl := &faultCtl{openErr: map[string]error{"eth1": syscall.ENODEV}}
			cfg := Config{Instances: []InstanceConfig{inst("ok", "eth0", 51, 150, vipA), inst("late", "eth1", 52, 150, vipB)}}
			a := s.newFaultyNode("A", ipA, cfg, ctl)
			s.start(a)
			s.run(time.Second)
			if st := a.status("late"); st.State != StateInit || st.Waiting == "" || !hasFault(st, "waiting:") {
				t.Fatalf("late: %+v, want Init and waiting", st)
			}
			s.run(5 * time.Second)
			if st := a.status("ok"); st.State != StateMaster {
				t.Fatalf("ok is %v while late waits, want Master", st.State)
			}
			ctl.set(func(c *faultCtl) { c.openErr = nil })
			if event {
				a.r.SetLink("eth1", true)
				if st := a.status("late"); st.State != StateBackup || st.Waiting != "" {
					t.Fatalf("late after its link event: %+v, want Backup at once", st)
				}
				return
			}
			// The poll was armed at t0 and re-armed every waitPoll.
			s.run(2 * waitPoll)
			if st := a.status("late"); st.State != StateBackup {
				t.Fatalf("late after the fallback poll: %v, want Backup", st.State)
			}
			var started time.Time
			for _, c := range a.changes() {
				if c.Instance == "late" && c.To == StateBackup {
					started = c.At
				}
			}
			if want := s.at(2 * waitPoll); started.After(want) {
				t.Errorf("late started at %v, want by the poll at %v", started.Sub(t0), want.Sub(t0))
			}
		})
	}
}

// An interface that comes back up gets a new transport (the old one may
// be bound to an ifindex that is gone) and a new GARP sender; the
// instance goes from Fault to Backup and preempts again.
func TestReopenWhenInterfaceBack(t *testing.T) {
	s := newSim(t)
	ctlA := &faultCtl{}
	a := s.newFaultyNode("A", ipA, one(inst("vi", "eth0", 51, 150, vipA)), ctlA)
	b := s.newNode("B", ipB, one(inst("vi", "eth0", 51, 100, vipA)), nil)
	s.start(a)
	s.start(b)
	s.run(10 * time.Second)
	old := a.ports["eth0"]
	a.r.SetLink("eth0", false)
	s.run(20 * time.Second)
	if st := a.status("vi"); st.State != StateFault {
		t.Fatalf("A with eth0 down: %v", st.State)
	}
	a.r.SetLink("eth0", true)
	if n := ctlA.openCount("eth0"); n != 2 {
		t.Errorf("eth0 opened %d times, want 2 (start, back up)", n)
	}
	if !old.isClosed() {
		t.Error("the old transport was not closed")
	}
	s.run(30 * time.Second)
	s.wantChanges(a, []change{
		{0, StateInit, StateBackup, ReasonStartup},
		{mdi(150), StateBackup, StateMaster, ReasonMasterDown},
		{10 * time.Second, StateMaster, StateFault, ReasonFault},
		{20 * time.Second, StateFault, StateBackup, ReasonFaultCleared},
		{20*time.Second + mdi(150), StateBackup, StateMaster, ReasonMasterDown},
	})
	if st := b.status("vi"); st.State != StateBackup {
		t.Errorf("B is %v, want Backup under A", st.State)
	}
}

// A send that says the device is gone closes the transport and puts
// the instance in Fault at once; it waits and reopens by itself.
func TestDeviceGoneOnSend(t *testing.T) {
	s := newSim(t)
	ctl := &faultCtl{}
	a := s.newFaultyNode("A", ipA, one(inst("vi", "eth0", 51, 150, vipA)), ctl)
	s.start(a)
	s.run(10 * time.Second)
	ctl.set(func(c *faultCtl) {
		c.writeErr = syscall.ENODEV
		c.openErr = map[string]error{"eth0": syscall.ENODEV}
	})
	s.run(11 * time.Second)
	st := a.status("vi")
	if st.State != StateFault || !hasFault(st, "waiting:") || len(a.addrs.list()) != 0 {
		t.Fatalf("after ENODEV: %+v holding %v, want Fault, waiting, no VIP", st, a.addrs.list())
	}
	ctl.set(func(c *faultCtl) { c.writeErr, c.openErr = nil, nil })
	s.run(20 * time.Second)
	// The first advert after 10 s fails; the interface is tried again
	// brokenRetry later, and opens then.
	failed := mdi(150) + 7*time.Second
	s.wantChanges(a, []change{
		{0, StateInit, StateBackup, ReasonStartup},
		{mdi(150), StateBackup, StateMaster, ReasonMasterDown},
		{failed, StateMaster, StateFault, ReasonFault},
		{failed + brokenRetry, StateFault, StateBackup, ReasonFaultCleared},
		{failed + brokenRetry + mdi(150), StateBackup, StateMaster, ReasonMasterDown},
	})
}

// Adverts that cannot be sent (not a vanished device): the third
// failure in a row, two intervals after the first, gives up master; a
// priority-0 probe each interval finds when sending works again.
func TestSendFailuresGiveWay(t *testing.T) {
	s := newSim(t)
	ctl := &faultCtl{}
	a := s.newFaultyNode("A", ipA, one(inst("vi", "eth0", 51, 150, vipA)), ctl)
	s.start(a)
	s.run(10 * time.Second)
	ctl.set(func(c *faultCtl) { c.writeErr = syscall.EPERM })
	s.run(20 * time.Second)
	ctl.set(func(c *faultCtl) { c.writeErr = nil })
	s.run(30 * time.Second)
	first := mdi(150) + 7*time.Second // first advert after 10 s
	probeOK := first + 10*time.Second // the first probe after 20 s
	s.wantChanges(a, []change{
		{0, StateInit, StateBackup, ReasonStartup},
		{mdi(150), StateBackup, StateMaster, ReasonMasterDown},
		{first + 2*time.Second, StateMaster, StateFault, ReasonFault},
		{probeOK, StateFault, StateBackup, ReasonFaultCleared},
		{probeOK + mdi(150), StateBackup, StateMaster, ReasonMasterDown},
	})
	var zero int
	for _, e := range s.adverts("A") {
		if e.Prio == 0 {
			zero++
		}
	}
	if zero != 1 {
		t.Errorf("%d priority-0 adverts reached the LAN, want the one probe that worked", zero)
	}
}

// A VIP the kernel refuses is retried with backoff; after two intervals
// the master gives way (VIPs released, priority-0 advert), holds off for
// a doubling time, and once the VIP can be added is master for good.
func TestVIPFailureGivesWay(t *testing.T) {
	s := newSim(t)
	ctl := &faultCtl{addErr: map[netip.Prefix]error{vipB: errors.New("no buffer space")}}
	c := inst("vi", "eth0", 51, 150, vipA, vipB)
	a := s.newFaultyNode("A", ipA, one(c), ctl)
	b := s.newNode("B", ipB, one(inst("vi", "eth0", 51, 100, vipA, vipB)), nil)
	s.start(a)
	s.start(b)
	s.run(mdi(150) + 2*time.Second)
	st := a.status("vi")
	if st.State != StateFault || !hasFault(st, "vip:"+vipB.String()) || len(a.addrs.list()) != 0 {
		t.Fatalf("A 2 intervals after failing to add %v: %+v holding %v, want Fault and nothing held", vipB, st, a.addrs.list())
	}
	s.run(mdi(150) + 2*time.Second + SkewTime(100))
	if st := b.status("vi"); st.State != StateMaster {
		t.Fatalf("B is %v after A's priority-0 advert, want Master", st.State)
	}
	s.run(40 * time.Second)
	var faults []time.Duration
	for _, c := range a.changes() {
		if c.To == StateFault {
			faults = append(faults, c.At.Sub(t0))
		}
	}
	if len(faults) < 2 || faults[1]-faults[0] < 2*3*time.Second {
		t.Errorf("faults at %v: want a hold of 3 intervals before trying again", faults)
	}
	ctl.set(func(c *faultCtl) { c.addErr = nil })
	s.run(300 * time.Second)
	if st := a.status("vi"); st.State != StateMaster || len(a.addrs.list()) != 2 {
		t.Errorf("A after the VIP could be added: %v holding %v, want Master with both", st.State, a.addrs.list())
	}
	if st := b.status("vi"); st.State != StateBackup {
		t.Errorf("B is %v, want Backup", st.State)
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: time.Second}
	var got []time.Duration
	for range 6 {
		got = append(got, b.next())
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !slices.Equal(got, want) {
		t.Errorf("delays %v, want %v", got, want)
	}
	b.reset()
	if d := b.next(); d != 100*time.Millisecond {
		t.Errorf("after reset: %v", d)
	}
}

func TestFailWindow(t *testing.T) {
	var w failWindow
	lim := 2 * time.Second
	for i, tc := range []struct {
		at   time.Duration
		want bool
	}{{0, false}, {time.Second, false}, {2 * time.Second, true}} {
		if got := w.fail(t0.Add(tc.at), lim); got != tc.want {
			t.Errorf("failure %d at %v: give up %v, want %v", i, tc.at, got, tc.want)
		}
	}
	if d := w.deadline(lim); !d.Equal(t0.Add(lim)) {
		t.Errorf("deadline %v", d)
	}
	w.ok()
	if w.fail(t0.Add(10*time.Second), lim) {
		t.Error("a new run gave up at its first failure")
	}
}

func TestDecideTransport(t *testing.T) {
	for _, tc := range []struct {
		open, known, wasUp, up bool
		want                   transportStep
	}{
		{false, false, false, false, openTransport},
		{false, true, false, true, openTransport},
		{true, false, false, true, keepTransport}, // first report
		{true, true, true, true, keepTransport},
		{true, true, true, false, keepTransport}, // down: the fault handles it
		{true, true, false, true, reopenTransport},
	} {
		if got := decideTransport(tc.open, tc.known, tc.wasUp, tc.up); got != tc.want {
			t.Errorf("decideTransport(open %v, known %v, was %v, up %v) = %v, want %v",
				tc.open, tc.known, tc.wasUp, tc.up, got, tc.want)
		}
	}
}

func TestDeviceGone(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("send: %w", syscall.ENODEV), true},
		{fmt.Errorf("send: %w", syscall.ENXIO), true},
		{fmt.Errorf("send: %w", syscall.ENETDOWN), true},
		{fmt.Errorf("send: %w", syscall.EPERM), false},
		{fmt.Errorf("send: %w", syscall.EINVAL), false},
		{nil, false},
	} {
		if got := deviceGone(tc.err); got != tc.want {
			t.Errorf("deviceGone(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// An instance without SrcAddr uses its interface's primary address,
// found when the interface opens: with none it waits; an address event
// starts it; a change of the primary reopens the interface and the new
// address becomes the advert source and tie-breaker.
func TestFollowPrimaryAddress(t *testing.T) {
	s := newSim(t)
	ctl := &faultCtl{primary: map[string]netip.Addr{}}
	a := s.newFaultyNode("A", netip.Addr{}, one(inst("vi", "eth0", 51, 150, vipA)), ctl)
	s.start(a)
	if st := a.status("vi"); st.State != StateInit || !strings.Contains(st.Waiting, "source address") {
		t.Fatalf("without a primary address: %+v, want Init, waiting for a source address", st)
	}
	ctl.set(func(c *faultCtl) { c.primary["eth0"] = ipA })
	a.r.AddrsChanged()
	s.run(10 * time.Second)
	if st := a.status("vi"); st.State != StateMaster || st.Master != ipA {
		t.Fatalf("after the address appeared: %v master %v, want Master from %v", st.State, st.Master, ipA)
	}
	ctl.set(func(c *faultCtl) { c.primary["eth0"] = ipB })
	a.r.AddrsChanged()
	if n := ctl.openCount("eth0"); n != 2 {
		t.Errorf("eth0 opened %d times, want 2 (address appeared, primary changed)", n)
	}
	s.run(20 * time.Second)
	if st := a.status("vi"); st.State != StateMaster || st.Master != ipB {
		t.Errorf("after the primary changed: %v master %v, want Master from %v", st.State, st.Master, ipB)
	}
	ctl.set(func(c *faultCtl) { delete(c.primary, "eth0") })
	a.r.AddrsChanged()
	if st := a.status("vi"); st.State != StateFault || st.Waiting == "" || len(a.addrs.list()) != 0 {
		t.Errorf("after the primary went: %+v holding %v, want Fault, waiting, nothing held", st, a.addrs.list())
	}
}

// A sync group moves together: a member waiting for its interface holds
// the others in Fault ("group:" in their status), and the group starts
// when the interface opens.
func TestWaitingMemberHoldsItsGroup(t *testing.T) {
	s := newSim(t)
	ctl := &faultCtl{openErr: map[string]error{"eth1": syscall.ENODEV}}
	cfg := Config{
		Instances: []InstanceConfig{
			inst("a", "eth0", 51, 150, vipA), inst("b", "eth1", 52, 150, vipB), inst("c", "eth0", 53, 150, vipC),
		},
		SyncGroups: []SyncGroupConfig{{Name: "g", Members: []string{"a", "b"}}},
	}
	n := s.newFaultyNode("A", ipA, cfg, ctl)
	s.start(n)
	s.run(10 * time.Second)
	if st := n.status("a"); st.State != StateFault || !hasFault(st, "group:g") {
		t.Errorf("a while b waits: %v %v, want Fault held by the group", st.State, st.Faults)
	}
	if st := n.status("c"); st.State != StateMaster {
		t.Errorf("c (no group) is %v, want Master", st.State)
	}
	ctl.set(func(c *faultCtl) { c.openErr = nil })
	n.r.SetLink("eth1", true)
	s.run(20 * time.Second)
	for _, name := range []string{"a", "b"} {
		if st := n.status(name); st.State != StateMaster {
			t.Errorf("%s after b's interface opened: %v %v, want Master", name, st.State, st.Faults)
		}
	}
}
