package vrrp

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestDropLimiter(t *testing.T) {
	src1, src2 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	k := func(src netip.Addr, why DropReason) dropKey { return dropKey{ifname: "eth0", src: src, why: why} }
	type step struct {
		at         time.Duration
		key        dropKey
		log        bool
		suppressed uint64
		usedSrc    netip.Addr
	}
	for _, tc := range []struct {
		name  string
		max   int
		steps []step
	}{
		{"first logs, repeats wait, then count", 0, []step{
			{0, k(src1, DropAuth), true, 0, src1},
			{time.Second, k(src1, DropAuth), false, 0, src1},
			{29 * time.Second, k(src1, DropAuth), false, 0, src1},
			{30 * time.Second, k(src1, DropAuth), true, 2, src1},
			{31 * time.Second, k(src1, DropAuth), false, 0, src1},
			{90 * time.Second, k(src1, DropAuth), true, 1, src1},
		}},
		{"per source and per reason", 0, []step{
			{0, k(src1, DropAuth), true, 0, src1},
			{0, k(src2, DropAuth), true, 0, src2},
			{0, k(src1, DropTTL), true, 0, src1},
			{time.Second, k(src2, DropAuth), false, 0, src2},
		}},
		{"clock going back logs", 0, []step{
			{time.Minute, k(src1, DropAuth), true, 0, src1},
			{0, k(src1, DropAuth), true, 0, src1},
		}},
		{"full table shares one key per reason", 1, []step{
			{0, k(src1, DropAuth), true, 0, src1},
			{time.Second, k(src2, DropAuth), true, 0, netip.Addr{}},
			{2 * time.Second, k(netip.MustParseAddr("192.0.2.3"), DropAuth), false, 0, netip.Addr{}},
			// src1's idle entry is forgotten, but the shared key still
			// has a drop to report, so the table stays full.
			{40 * time.Second, k(src2, DropAuth), true, 1, netip.Addr{}},
			// Once every entry is idle past the window, a new source
			// gets its own key again.
			{80 * time.Second, k(src2, DropAuth), true, 0, src2},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dropLimiter{max: tc.max}
			for i, s := range tc.steps {
				log, n, used := d.note(t0.Add(s.at), s.key)
				if log != s.log || n != s.suppressed || used.src != s.usedSrc {
					t.Errorf("step %d (%v %v): log %v suppressed %d src %v, want %v %d %v", i, s.at, s.key, log, n, used.src, s.log, s.suppressed, s.usedSrc)
				}
			}
		})
	}
}

func TestDropLimiterBounded(t *testing.T) {
	var d dropLimiter
	for i := range 20000 {
		src := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		d.note(t0, dropKey{ifname: "eth0", src: src, why: DropReason(i%int(NumDropReasons-1)) + 1})
	}
	if n := len(d.keys); n > dropLogKeys+int(NumDropReasons) {
		t.Errorf("limiter holds %d keys", n)
	}
}

// TestRouterLogsDrops: the receive path logs a dropped advert with its
// interface, source and reason (never the password it carried), once
// per window however many arrive, besides counting each one.
func TestRouterLogsDrops(t *testing.T) {
	s, a, b := electAB(t, nil)
	s.crash(a)
	core, logs := observer.New(zap.DebugLevel)
	b.r.mu.Lock()
	b.r.log = zap.New(core)
	b.r.mu.Unlock()
	bad := Advertisement{VRID: 51, Priority: 200, AuthType: AuthSimple, AdvertInt: 1,
		Addresses: []netip.Addr{vipA.Addr()}, AuthData: AuthPassword("s3cretpw")}
	p, err := bad.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	now := s.clock.Now()
	for range 100 {
		b.ports["eth0"].inject(p, RecvMeta{Src: ipA, TTL: 255})
	}
	s.run(now.Sub(t0) + time.Second)
	s.run(now.Sub(t0) + 40*time.Second)
	b.ports["eth0"].inject(p, RecvMeta{Src: ipA, TTL: 255})
	s.run(now.Sub(t0) + 41*time.Second)

	lines := logs.FilterMessage("dropped vrrp advert").All()
	if len(lines) != 2 {
		t.Fatalf("%d drop lines, want 2: %v", len(lines), lines)
	}
	for i, want := range []int64{0, 99} {
		f := lines[i].ContextMap()
		if f["reason"] != "auth" || f["src"] != ipA.String() || f["interface"] != "eth0" || f["suppressed"] != uint64(want) || f["vrid"] != uint8(51) {
			t.Errorf("line %d: %v", i, f)
		}
	}
	for _, e := range logs.All() {
		if strings.Contains(e.Message+fmt.Sprint(e.ContextMap()), "s3cret") {
			t.Errorf("log carries the password: %v", e)
		}
	}
	if got := b.status("vi").Counters.Dropped[DropAuth]; got != 101 {
		t.Errorf("auth drops counted %d, want 101", got)
	}
}
