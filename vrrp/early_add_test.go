package vrrp

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// earlyAddrs is a fakeAddrs that is also an EarlyAdder, logging the two
// steps apart.
type earlyAddrs struct{ *fakeAddrs }

func (f earlyAddrs) AddNow(v VIPAddr) error {
	f.log.add(event{At: f.clock.Now(), Node: f.node, Kind: "addnow", Addr: v.Prefix})
	f.mu.Lock()
	f.have[v] = true
	f.mu.Unlock()
	return nil
}

func (f earlyAddrs) WaitUsable(v VIPAddr) {
	f.log.add(event{At: f.clock.Now(), Node: f.node, Kind: "usable", Addr: v.Prefix})
}

// TestRouterEarlyAddOrder checks a new master's order with an
// EarlyAdder: the VIPs go on, the advert and the first announcements
// leave, and only then does it wait for the VIPs to be usable and report
// MASTER, so the wait (an IPv6 VIP's solicited-node join) delays neither
// the advert nor the announcement.
func TestRouterEarlyAddOrder(t *testing.T) {
	s := newSim(t)
	a := s.newNode("A", ipA, one(inst("vi", "eth0", 51, 150, vipA, vipB)), nil)
	a.r.deps.Addrs = earlyAddrs{a.addrs}
	report := a.r.deps.OnStateChange
	a.r.deps.OnStateChange = func(sc StateChange) {
		s.log.add(event{At: s.clock.Now(), Node: "A", Kind: "report " + sc.To.String()})
		report(sc)
	}
	s.start(a)
	s.run(mdi(150))
	var got []string
	for _, e := range s.log.filter(func(e event) bool { return e.Node == "A" }) {
		got = append(got, e.Kind)
	}
	// The crash's leftovers are cleared at start.
	want := []string{"remove", "remove", "report BACKUP", "addnow", "addnow", "advert",
		"garp", "garp", "garp", "garp", "garp", "garp", "garp", "garp", "garp", "garp",
		"usable", "usable", "report MASTER"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("A's steps when it became master (-want +got):\n%s", d)
	}
	if l := a.addrs.list(); len(l) != 2 {
		t.Errorf("A holds %v, want both VIPs", l)
	}
}
