package vrrp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPacer(t *testing.T) {
	ms := time.Millisecond
	a4, b4 := netip.MustParseAddr("192.0.2.50"), netip.MustParseAddr("192.0.2.51")
	a6 := netip.MustParseAddr("2001:db8::50")
	type push struct {
		at   time.Duration
		dev  string
		addr netip.Addr
		gap  time.Duration
	}
	for _, tc := range []struct {
		name   string
		pushes []push
		cancel []netip.Addr // after the pushes
		want   []string     // "at dev addr" of every frame sent, pushes and dues
	}{
		{"no gap: all at once", []push{{0, "eth0", a4, 0}, {0, "eth0", b4, 0}, {0, "eth0", a4, 0}},
			nil, []string{"0s eth0 192.0.2.50", "0s eth0 192.0.2.51", "0s eth0 192.0.2.50"}},
		{"gap spaces one device's frames", []push{{0, "eth0", a4, 10 * ms}, {0, "eth0", b4, 10 * ms}, {0, "eth0", a4, 10 * ms}},
			nil, []string{"0s eth0 192.0.2.50", "10ms eth0 192.0.2.51", "20ms eth0 192.0.2.50"}},
		{"devices and families are paced apart", []push{{0, "eth0", a4, 10 * ms}, {0, "eth1", b4, 10 * ms}, {0, "eth0", a6, 10 * ms}, {0, "eth0", b4, 10 * ms}},
			nil, []string{"0s eth0 192.0.2.50", "0s eth1 192.0.2.51", "0s eth0 2001:db8::50", "10ms eth0 192.0.2.51"}},
		{"a frame after the gap goes at once", []push{{0, "eth0", a4, 10 * ms}, {15 * ms, "eth0", b4, 10 * ms}},
			nil, []string{"0s eth0 192.0.2.50", "15ms eth0 192.0.2.51"}},
		{"a frame inside the gap waits for it", []push{{0, "eth0", a4, 10 * ms}, {4 * ms, "eth0", b4, 10 * ms}},
			nil, []string{"0s eth0 192.0.2.50", "10ms eth0 192.0.2.51"}},
		{"cancel drops the waiting frames of those addresses", []push{{0, "eth0", a4, 10 * ms}, {0, "eth0", b4, 10 * ms}, {0, "eth0", a4, 10 * ms}, {0, "eth0", b4, 10 * ms}},
			[]netip.Addr{b4}, []string{"0s eth0 192.0.2.50", "10ms eth0 192.0.2.50"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p pacer
			var got []string
			sent := func(at time.Time, dev string, a netip.Addr) {
				got = append(got, at.Sub(t0).String()+" "+dev+" "+a.String())
			}
			drain := func(until time.Time) {
				for n := p.next(); !n.IsZero() && !n.After(until); n = p.next() {
					for _, f := range p.due(n) {
						sent(n, f.dev, f.addr)
					}
				}
			}
			for _, x := range tc.pushes {
				now := t0.Add(x.at)
				drain(now)
				if p.push(now, x.dev, x.addr, x.gap) {
					sent(now, x.dev, x.addr)
				}
			}
			p.cancel(tc.cancel)
			drain(t0.Add(time.Hour))
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("frames (-want +got):\n%s", d)
			}
			if n := p.next(); !n.IsZero() {
				t.Errorf("still waiting at %v", n)
			}
		})
	}
}

// TestRouterPacesAnnouncements: with GARPInterval a master's burst of
// 5 × 2 VIPs is spread 10 ms apart, and the frames still waiting when
// it leaves master are never sent.
func TestRouterPacesAnnouncements(t *testing.T) {
	s := newSim(t)
	cfg := one(inst("vi", "eth0", 51, 150, vipA, vipB))
	cfg.GARPInterval = 10 * time.Millisecond
	a := s.newNode("A", ipA, cfg, nil)
	s.start(a)
	s.run(4 * time.Second)
	master := mdi(150)
	var at []time.Duration
	for _, e := range s.log.filter(func(e event) bool { return e.Kind == "garp" }) {
		at = append(at, e.At.Sub(t0))
	}
	var want []time.Duration
	for i := range 10 {
		want = append(want, master+time.Duration(i)*10*time.Millisecond)
	}
	if d := cmp.Diff(want, at); d != "" {
		t.Errorf("GARP times (-want +got):\n%s", d)
	}

	// Second burst 5 s later; a higher priority 25 ms into it: 3 frames
	// went, the other 7 never do.
	second := master + 5*time.Second
	s.run(second + 25*time.Millisecond)
	high := Advertisement{VRID: 51, Priority: 200, AuthType: AuthSimple, AdvertInt: 1,
		Addresses: []netip.Addr{vipA.Addr(), vipB.Addr()}, AuthData: AuthPassword("pw12")}
	p, err := high.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	a.ports["eth0"].inject(p, RecvMeta{Src: ipB, TTL: 255})
	s.run(second + time.Second)
	if st := a.status("vi"); st.State != StateBackup {
		t.Fatalf("A is %v after a higher priority, want backup", st.State)
	}
	if n := len(s.log.filter(func(e event) bool { return e.Kind == "garp" && !e.At.Before(t0.Add(second)) })); n != 3 {
		t.Errorf("second burst sent %d frames, want 3 (the rest cancelled on leaving master)", n)
	}
}

// TestRouterPacedVIPRemovedByReload: a reload that takes a VIP from a
// master in the middle of a paced burst drops that VIP's waiting frames.
func TestRouterPacedVIPRemovedByReload(t *testing.T) {
	s := newSim(t)
	c := inst("vi", "eth0", 51, 255, vipA, vipB)
	cfg := one(c)
	cfg.GARPInterval = 10 * time.Millisecond
	a := s.newNode("A", ipA, cfg, nil)
	s.start(a) // owner: master at once, 10 frames paced over 90 ms
	s.run(25 * time.Millisecond)
	c.VIPs = c.VIPs[:1]
	c.SrcAddr = ipA
	cfg = one(c)
	cfg.GARPInterval = 10 * time.Millisecond
	if err := a.r.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	s.run(time.Second)
	var late []string
	for _, e := range s.log.filter(func(e event) bool {
		return e.Kind == "garp" && e.Addr.Addr() == vipB.Addr() && e.At.After(t0.Add(25*time.Millisecond))
	}) {
		late = append(late, e.At.Sub(t0).String())
	}
	if len(late) > 0 {
		t.Errorf("GARPs for the removed VIP after the reload at %v", late)
	}
}
