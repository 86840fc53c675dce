package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

func v3(c *InstanceConfig, interval time.Duration) {
	c.Version, c.AdvertInterval, c.AuthType, c.AuthPass = Version3, interval, AuthNone, ""
}

// TestRouterV3Failover: a VRRPv3 pair at advert_int 0.1 elects, and the
// backup takes over exactly Master_Down_Interval (RFC 5798 §6.1) after
// the master's last advert: the router's timers lose no precision.
func TestRouterV3Failover(t *testing.T) {
	ms := time.Millisecond
	s, a, b := electAB(t, func(ca, cb *InstanceConfig) { v3(ca, 100*ms); v3(cb, 100*ms) })
	down := func(p uint8) time.Duration { return MasterDownIntervalV3(100*ms, p) }
	s.wantChanges(a, []change{
		{0, StateInit, StateBackup, ReasonStartup},
		{down(150), StateBackup, StateMaster, ReasonMasterDown},
	})
	adv := s.adverts("A")
	if want := int((10*time.Second-down(150))/(100*ms)) + 1; len(adv) != want {
		t.Errorf("A sent %d adverts in 10 s, want %d", len(adv), want)
	}
	if st := b.status("vi"); st.State != StateBackup || st.Counters.AdvertsReceived != uint64(len(adv)) || st.Counters.DroppedTotal() != 0 {
		t.Errorf("B status %+v", st)
	}
	s.crash(a)
	s.run(20 * time.Second)
	lastSeen := adv[len(adv)-1].At.Sub(t0)
	s.wantChanges(b, []change{
		{0, StateInit, StateBackup, ReasonStartup},
		{lastSeen + down(100), StateBackup, StateMaster, ReasonMasterDown},
	})
}

// TestRouterV3LearnsInterval: a backup configured at 1 s follows a master
// advertising every 0.1 s and takes over after the master's
// Master_Down_Interval, not its own.
func TestRouterV3LearnsInterval(t *testing.T) {
	ms := time.Millisecond
	s, a, b := electAB(t, func(ca, cb *InstanceConfig) { v3(ca, 100*ms); v3(cb, time.Second) })
	if st := b.status("vi"); st.State != StateBackup {
		t.Fatalf("B is %v", st.State)
	}
	s.crash(a)
	s.run(20 * time.Second)
	adv := s.adverts("A")
	lastSeen := adv[len(adv)-1].At.Sub(t0)
	s.wantChanges(b, []change{
		{0, StateInit, StateBackup, ReasonStartup},
		{lastSeen + MasterDownIntervalV3(100*ms, 100), StateBackup, StateMaster, ReasonMasterDown},
	})
}

// TestRouterV3GracefulStop: a priority-0 advert makes the backup take
// over after Skew_Time of the learned interval.
func TestRouterV3GracefulStop(t *testing.T) {
	ms := time.Millisecond
	s, a, b := electAB(t, func(ca, cb *InstanceConfig) { v3(ca, 100*ms); v3(cb, 100*ms) })
	s.stop(a)
	s.run(20 * time.Second)
	s.wantChanges(b, []change{
		{0, StateInit, StateBackup, ReasonStartup},
		{10*time.Second + SkewTimeV3(100, 100*ms), StateBackup, StateMaster, ReasonMasterDown},
	})
}

// TestRouterVersionMismatch: VRRPv2 adverts never reach a VRRPv3
// instance (and VRRPv3 adverts never a VRRPv2 one), on an interface of
// one version or of both; each is counted as a version drop.
func TestRouterVersionMismatch(t *testing.T) {
	ms := time.Millisecond
	s := newSim(t)
	c3 := inst("v3", "eth0", 51, 100, vipA)
	v3(&c3, 100*ms)
	c2 := inst("v2", "eth0", 52, 100, vipB)
	b := s.newNode("B", ipB, Config{Instances: []InstanceConfig{c3, c2}}, nil)
	s.start(b)
	s.run(100 * ms)
	p2 := Advertisement{VRID: 51, Priority: 200, AuthType: AuthSimple, AdvertInt: 1,
		Addresses: []netip.Addr{vipA.Addr()}, AuthData: AuthPassword("pw12")}
	w2, _ := p2.MarshalBinary()
	p3 := Advertisement{Version: Version3, VRID: 52, Priority: 200, MaxAdvertInt: 10, Addresses: []netip.Addr{vipB.Addr()}}
	w3, _ := p3.AppendPacket(nil, ipA, GroupAddr)
	meta := RecvMeta{Src: ipA, Dst: GroupAddr, TTL: 255}
	// Each would keep its instance in Backup if accepted.
	for i := range 40 {
		s.run(100*ms + time.Duration(i)*100*ms)
		b.ports["eth0"].inject(w2, meta)
		b.ports["eth0"].inject(w3, meta)
	}
	s.run(5 * time.Second)
	for _, name := range []string{"v2", "v3"} {
		st := b.status(name)
		if st.State != StateMaster || st.Counters.AdvertsReceived != 0 || st.Counters.Dropped[DropVersion] != 40 {
			t.Errorf("%s: %v, %d received, %d version drops", name, st.State, st.Counters.AdvertsReceived, st.Counters.Dropped[DropVersion])
		}
	}

	// On an interface of VRRPv3 instances only, VRRPv2 is dropped
	// before its VRID is looked at.
	s2 := newSim(t)
	n := s2.newNode("B", ipB, one(c3), nil)
	s2.start(n)
	n.ports["eth0"].inject(w2, meta)
	s2.run(time.Second)
	if got := n.r.InterfaceCounters()["eth0"].Dropped[DropVersion]; got != 1 {
		t.Errorf("interface version drops %d, want 1", got)
	}
}

// TestRouterUnicastTTL: a unicast instance accepts its peer's adverts at
// any TTL (keepalived's rule) unless min_ttl/max_ttl say otherwise; a
// multicast one requires 255.
func TestRouterUnicastTTL(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name    string
		peers   bool
		bounds  *TTLBounds
		ttl     int
		receive bool
	}{
		{"unicast ttl 64", true, nil, 64, true},
		{"unicast within bounds", true, &TTLBounds{Min: 60, Max: 64}, 64, true},
		{"unicast outside bounds", true, &TTLBounds{Min: 250, Max: 255}, 64, false},
		{"multicast ttl 64", false, nil, 64, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t)
			c := inst("vi", "eth0", 51, 100, vipA)
			v3(&c, 100*ms)
			dst := GroupAddr
			if tc.peers {
				c.UnicastPeers, dst = []netip.Addr{ipA}, ipB
				if tc.bounds != nil {
					c.PeerTTL = map[netip.Addr]TTLBounds{ipA: *tc.bounds}
				}
			}
			n := s.newNode("B", ipB, one(c), nil)
			s.start(n)
			p := Advertisement{Version: Version3, VRID: 51, Priority: 200, MaxAdvertInt: 10, Addresses: []netip.Addr{vipA.Addr()}}
			w, _ := p.AppendPacket(nil, ipA, dst)
			n.ports["eth0"].inject(w, RecvMeta{Src: ipA, Dst: dst, TTL: tc.ttl})
			s.run(10 * ms)
			st := n.status("vi")
			if got := st.Counters.AdvertsReceived == 1; got != tc.receive {
				t.Errorf("received %d, dropped %v", st.Counters.AdvertsReceived, st.Counters.Dropped)
			}
			if !tc.receive && st.Counters.Dropped[DropTTL]+n.r.InterfaceCounters()["eth0"].Dropped[DropTTL] != 1 {
				t.Errorf("not counted as a ttl drop: %v", st.Counters.Dropped)
			}
		})
	}
}

// TestRouterIPv6AndIPv4OnOneInterface: an interface carries an IPv4 and
// an IPv6 instance, with the same VRID (RFC 5798 gives each family its
// own VRID space), over two transports opened by family.
func TestRouterIPv6AndIPv4OnOneInterface(t *testing.T) {
	ms := time.Millisecond
	s := newSim(t)
	src6 := netip.MustParseAddr("fe80::12")
	c4 := inst("v4", "eth0", 51, 100, vipA)
	v3(&c4, 100*ms)
	c6 := InstanceConfig{Name: "v6", Interface: "eth0", VRID: 51, Priority: 100, IPv6: true,
		VIPs: []VIPAddr{{Prefix: netip.MustParsePrefix("2001:db8::50/64")}}}
	v3(&c6, 100*ms)
	c4.SrcAddr = ipB
	n := &node{name: "B", src: ipB, ports: map[string]*fakePort{},
		addrs: &fakeAddrs{node: "B", clock: s.clock, log: s.log, have: map[VIPAddr]bool{}}}
	var opened []string
	r, err := NewRouter(Config{Instances: []InstanceConfig{c4, c6}}, Deps{
		OpenTransport: func(ifname string) (Transport, error) {
			p := s.lan(ifname).port("B", ipB)
			n.ports[ifname] = p
			return p, nil
		},
		OpenTransport6: func(ifname string) (Transport, error) {
			opened = append(opened, ifname)
			p := s.lan(ifname+"/ipv6").port("B", src6)
			n.ports[ifname+"/ipv6"] = p
			return p, nil
		},
		PrimaryAddr6: func(string) (netip.Addr, error) { return src6, nil },
		Addrs:        n.addrs,
		Clock:        s.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	n.r = r
	s.start(n)
	s.run(time.Second)
	if len(opened) != 1 || opened[0] != "eth0" {
		t.Errorf("OpenTransport6 calls %v", opened)
	}
	for _, name := range []string{"v4", "v6"} {
		if st := n.status(name); st.State != StateMaster || st.Counters.SendErrors != 0 {
			t.Errorf("%s: %v, %d send errors", name, st.State, st.Counters.SendErrors)
		}
	}
	six := s.log.filter(func(e event) bool { return e.Kind == "advert" && e.LAN == "eth0/ipv6" })
	four := s.log.filter(func(e event) bool { return e.Kind == "advert" && e.LAN == "eth0" })
	if len(six) == 0 || len(four) == 0 {
		t.Errorf("adverts: %d over ipv6, %d over ipv4", len(six), len(four))
	}
}

func TestNewRouterRejectsV3(t *testing.T) {
	ms := time.Millisecond
	ok := inst("vi", "eth0", 51, 100, vipA)
	ok.SrcAddr = ipA
	v3(&ok, 100*ms)
	ok6 := InstanceConfig{Name: "v6", Interface: "eth0", VRID: 51, Priority: 100, IPv6: true,
		SrcAddr: netip.MustParseAddr("fe80::1"), VIPs: []VIPAddr{{Prefix: netip.MustParsePrefix("2001:db8::50/64")}}}
	v3(&ok6, 100*ms)
	deps := Deps{OpenTransport: func(string) (Transport, error) { return nil, nil }, Addrs: &fakeAddrs{}}
	for name, mut := range map[string]func(c *Config){
		"version 4":              func(c *Config) { c.Instances[0].Version = 4 },
		"v2 at 0.1 s":            func(c *Config) { c.Instances[0].Version = Version },
		"v3 at 5 ms":             func(c *Config) { c.Instances[0].AdvertInterval = 5 * ms },
		"v3 at 105 ms":           func(c *Config) { c.Instances[0].AdvertInterval = 105 * ms },
		"v3 at 41 s":             func(c *Config) { c.Instances[0].AdvertInterval = 41 * time.Second },
		"v3 with authentication": func(c *Config) { c.Instances[0].AuthType, c.Instances[0].AuthPass = AuthSimple, "pw" },
		"ipv6 with v2": func(c *Config) {
			c.Instances[1].Version, c.Instances[1].AdvertInterval = Version, time.Second
		},
		"ipv4 vip on ipv6":                      func(c *Config) { c.Instances[1].VIPs = append(c.Instances[1].VIPs, VIPAddr{Prefix: vipB}) },
		"ipv4 source on ipv6":                   func(c *Config) { c.Instances[1].SrcAddr = ipA },
		"ipv4 peer on ipv6":                     func(c *Config) { c.Instances[1].UnicastPeers = []netip.Addr{ipB} },
		"ipv6 peer on ipv4":                     func(c *Config) { c.Instances[0].UnicastPeers = []netip.Addr{netip.MustParseAddr("2001:db8::2")} },
		"ipv6 without a way to find its source": func(c *Config) { c.Instances[1].SrcAddr = netip.Addr{} },
	} {
		t.Run(name, func(t *testing.T) {
			c := Config{Instances: []InstanceConfig{ok, ok6}}
			c.Instances[1].VIPs = append([]VIPAddr(nil), ok6.VIPs...)
			mut(&c)
			if _, err := NewRouter(c, deps); err == nil {
				t.Error("accepted")
			}
		})
	}
	// The same VRID on one interface in each family is fine.
	if _, err := NewRouter(Config{Instances: []InstanceConfig{ok, ok6}}, deps); err != nil {
		t.Errorf("good config refused: %v", err)
	}
	for _, iv := range []time.Duration{10 * ms, 40950 * ms, 1230 * ms} {
		c := ok
		c.AdvertInterval = iv
		if _, err := NewRouter(Config{Instances: []InstanceConfig{c}}, deps); err != nil {
			t.Errorf("v3 interval %v refused: %v", iv, err)
		}
	}
}

// FuzzReceiveV3 is FuzzReceive for a VRRPv3 instance: whatever arrives
// is counted exactly once and leaves the machine in Backup or Master.
func FuzzReceiveV3(f *testing.F) {
	good := Advertisement{Version: Version3, VRID: 51, Priority: 200, MaxAdvertInt: 10, Addresses: []netip.Addr{vipA.Addr()}}
	p, err := good.AppendPacket(nil, ipA, GroupAddr)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p, uint8(255), false)
	f.Add(p, uint8(255), true)
	f.Add(p, uint8(254), true)
	f.Add([]byte{0x31, 51, 200}, uint8(255), false)
	f.Fuzz(func(t *testing.T, b []byte, ttl uint8, master bool) {
		s := newSim(t)
		c := inst("vi", "eth0", 51, 100, vipA)
		v3(&c, 100*time.Millisecond)
		n := s.newNode("B", ipB, one(c), nil)
		s.start(n)
		defer s.stop(n)
		if master {
			s.run(time.Second)
		}
		before := n.status("vi")
		ifBefore := n.r.InterfaceCounters()["eth0"]
		n.r.mu.Lock()
		n.r.receiveLocked(s.clock.Now(), n.r.links["eth0"], b, RecvMeta{Src: ipA, Dst: GroupAddr, TTL: int(ttl)})
		n.r.mu.Unlock()
		after := n.status("vi")
		ifAfter := n.r.InterfaceCounters()["eth0"]
		counted := (ifAfter.DroppedTotal() - ifBefore.DroppedTotal()) +
			(after.Counters.DroppedTotal() - before.Counters.DroppedTotal()) +
			(after.Counters.AdvertsReceived - before.Counters.AdvertsReceived)
		if counted != 1 {
			t.Fatalf("message counted %d times", counted)
		}
		if after.State != StateBackup && after.State != StateMaster {
			t.Fatalf("state %v", after.State)
		}
	})
}
