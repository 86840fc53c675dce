package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

// FuzzReceive drives the whole receive path of a running Router (decode,
// validation against the instance's config, one state-machine step) with
// arbitrary bytes, TTL and source, as a backup or as a master. Every
// message is counted exactly once (dropped for a reason, or received),
// and a master that accepts a better advert steps down.
func FuzzReceive(f *testing.F) {
	good := Advertisement{VRID: 51, Priority: 200, AuthType: AuthSimple, AdvertInt: 1,
		Addresses: []netip.Addr{vipA.Addr()}, AuthData: AuthPassword("pw12")}
	p, err := good.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p, uint8(255), uint8(0), false)
	f.Add(p, uint8(255), uint8(0), true)
	f.Add(p, uint8(64), uint8(1), true)
	f.Add([]byte{0x21, 51, 200}, uint8(255), uint8(2), false)
	f.Fuzz(func(t *testing.T, b []byte, ttl, srcSel uint8, master bool) {
		s := newSim(t)
		n := s.newNode("B", ipB, one(inst("vi", "eth0", 51, 100, vipA)), nil)
		s.start(n)
		defer s.stop(n)
		if master {
			s.run(10 * time.Second)
		}
		src := []netip.Addr{ipA, ipB, netip.MustParseAddr("198.51.100.7"), {}}[int(srcSel)%4]
		before := n.status("vi")
		ifc := n.r.InterfaceCounters()["eth0"]
		ifBefore := ifc.DroppedTotal()

		n.r.mu.Lock()
		n.r.receiveLocked(s.clock.Now(), n.r.links["eth0"], b, RecvMeta{Src: src, TTL: int(ttl)})
		n.r.mu.Unlock()

		after := n.status("vi")
		ifc = n.r.InterfaceCounters()["eth0"]
		ifAfter := ifc.DroppedTotal()
		counted := (ifAfter - ifBefore) + (after.Counters.DroppedTotal() - before.Counters.DroppedTotal()) +
			(after.Counters.AdvertsReceived - before.Counters.AdvertsReceived)
		if counted != 1 {
			t.Fatalf("message counted %d times", counted)
		}
		accepted := after.Counters.AdvertsReceived > before.Counters.AdvertsReceived
		adv, why := Parse(b, RecvMeta{Src: src, TTL: int(ttl)})
		if accepted && why != DropNone {
			t.Fatalf("accepted a message Parse drops (%v)", why)
		}
		if accepted && before.State == StateMaster && adv.Priority > 100 && after.State != StateBackup {
			t.Fatalf("master accepted priority %d and is %v", adv.Priority, after.State)
		}
		if after.State != StateBackup && after.State != StateMaster {
			t.Fatalf("state %v", after.State)
		}
	})
}
