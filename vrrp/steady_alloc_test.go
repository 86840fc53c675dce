package vrrp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/clock"
)

// A master of 1,000 instances sends 1,000 adverts a second and a backup
// receives as many. Once elected, neither path may allocate: the
// garbage would set the collector's pace, and with it the resident heap
// and the executable's pages each collection maps back in
// (docs/PERFORMANCE.md, "VRRP memory at 1,000 instances").
func TestSteadyStateAllocs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version uint8
		v6      bool
	}{{"VRRPv2", Version, false}, {"VRRPv3", Version3, false}, {"VRRPv3 IPv6", Version3, true}} {
		t.Run(tc.name, func(t *testing.T) { testSteadyStateAllocs(t, tc.version, tc.v6) })
	}
}

func testSteadyStateAllocs(t *testing.T, version uint8, v6 bool) {
	interval := time.Second
	if version == Version3 {
		interval = 100 * time.Millisecond
	}
	vip, self, peer, group, key := vipA, ipB, ipA, GroupAddr, "eth0"
	if v6 {
		vip, self, peer, group, key = netip.MustParsePrefix("2001:db8::50/64"),
			netip.MustParseAddr("fe80::12"), netip.MustParseAddr("fe80::11"), GroupAddr6, linkKey("eth0", true)
	}
	newRouter := func(prio uint8) (*Router, *sinkTransport, *clock.Fake) {
		clk := clock.NewFake(t0)
		sink := &sinkTransport{}
		c := inst("vi", "eth0", 51, prio, vip)
		c.IPv6 = v6
		if version == Version3 {
			v3(&c, interval)
		}
		c.SrcAddr = self
		open := func(string) (Transport, error) { return sink, nil }
		r, err := NewRouter(one(c), Deps{
			OpenTransport:  open,
			OpenTransport6: open,
			PrimaryAddr6:   func(string) (netip.Addr, error) { return self, nil },
			Addrs:          nopAddrs{},
			Clock:          clk,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.open(); err != nil {
			t.Fatal(err)
		}
		r.dispatch()
		return r, sink, clk
	}

	t.Run("master sends", func(t *testing.T) {
		r, sink, clk := newRouter(200)
		step := func() {
			r.mu.Lock()
			next := r.nextDeadlineLocked()
			clk.Set(next)
			r.fireLocked(next)
			r.mu.Unlock()
			r.dispatch()
		}
		for range 80 { // elected, and past the second GARP burst
			step()
		}
		if st := r.Status()[0].State; st != StateMaster {
			t.Fatalf("state %v after 80 timer steps, want MASTER", st)
		}
		before := sink.sent
		if n := testing.AllocsPerRun(100, step); n != 0 {
			t.Errorf("%.2f allocations per advert sent, want 0", n)
		}
		if sent := sink.sent - before; sent < 100 {
			t.Errorf("%d adverts sent in 101 timer steps", sent)
		}
	})

	t.Run("backup receives", func(t *testing.T) {
		r, _, clk := newRouter(100)
		adv := Advertisement{VRID: 51, Priority: 200, AuthType: AuthSimple, AdvertInt: 1,
			Addresses: []netip.Addr{vip.Addr()}, AuthData: AuthPassword("pw12")}
		if version == Version3 {
			adv = Advertisement{Version: Version3, VRID: 51, Priority: 200, MaxAdvertInt: 10, Addresses: adv.Addresses}
		}
		b, err := adv.AppendPacket(nil, peer, group)
		if err != nil {
			t.Fatal(err)
		}
		meta := RecvMeta{Src: peer, Dst: group, TTL: TTL}
		step := func() {
			clk.Advance(interval)
			now := clk.Now()
			r.mu.Lock()
			r.receiveLocked(now, r.links[key], b, meta)
			r.fireLocked(now)
			r.mu.Unlock()
			r.dispatch()
		}
		for range 10 {
			step()
		}
		before := r.Status()[0].Counters.AdvertsReceived
		if n := testing.AllocsPerRun(100, step); n != 0 {
			t.Errorf("%.2f allocations per advert received, want 0", n)
		}
		st := r.Status()[0]
		if st.State != StateBackup || st.Counters.AdvertsReceived-before != 101 {
			t.Errorf("state %v, %d adverts taken in 101 steps; want BACKUP and every one", st.State, st.Counters.AdvertsReceived-before)
		}
	})
}
