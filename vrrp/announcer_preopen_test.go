package vrrp

import (
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// openLog records OpenAnnouncer calls; devices in fail refuse to open
// until cleared.
type openLog struct {
	mu     sync.Mutex
	opened []string
	fail   map[string]bool
}

func (o *openLog) open(s *sim, node string) func(string) (Announcer, error) {
	return func(dev string) (Announcer, error) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.opened = append(o.opened, dev)
		if o.fail[dev] {
			return nil, errors.New("no such device")
		}
		return &fakeAnnouncer{node: node, dev: dev, clock: s.clock, log: s.log}, nil
	}
}

func (o *openLog) calls() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.opened...)
}

// TestAnnouncersOpenedAtStart: the GARP senders of every VIP device are
// opened when the router starts, while still in Backup, so that becoming
// master sends its first GARP right after its first advert instead of
// first opening a socket (bench/vrrp measured 2 ms for that). A device
// that cannot be opened yet is retried when the instance first announces.
func TestAnnouncersOpenedAtStart(t *testing.T) {
	s := newSim(t)
	ol := &openLog{fail: map[string]bool{"eth9": true}}
	c := inst("vi", "eth0", 51, 100, vipA)
	c.VIPs = append(c.VIPs, VIPAddr{Prefix: vipB, Dev: "eth1"}, VIPAddr{Prefix: vipC, Dev: "eth9"})
	c.SrcAddr = ipB
	n := &node{name: "B", src: ipB, ports: map[string]*fakePort{},
		addrs: &fakeAddrs{node: "B", clock: s.clock, log: s.log, have: map[VIPAddr]bool{}}}
	r, err := NewRouter(one(c), Deps{
		OpenTransport: func(ifname string) (Transport, error) { return s.lan(ifname).port("B", ipB), nil },
		OpenAnnouncer: ol.open(s, "B"),
		Addrs:         n.addrs,
		Clock:         s.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := ol.calls(); len(got) != 0 {
		t.Fatalf("NewRouter opened announcers %v; want none before Run", got)
	}
	if err := r.open(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"eth0", "eth1", "eth9"}, ol.calls()); diff != "" {
		t.Errorf("announcers opened at start (-want +got):\n%s", diff)
	}
	if st := r.Status(); len(st) != 1 || st[0].State != StateBackup {
		t.Fatalf("status %+v, want one instance in Backup", st)
	}

	ol.mu.Lock()
	ol.fail = nil // the device appeared
	ol.mu.Unlock()
	r.mu.Lock()
	now := s.clock.Now()
	r.apply(now, r.byName["vi"], []Action{AnnounceVIPs{}})
	r.mu.Unlock()
	if diff := cmp.Diff([]string{"eth0", "eth1", "eth9", "eth9"}, ol.calls()); diff != "" {
		t.Errorf("opens after the first announcement (-want +got):\n%s", diff)
	}
	garps := map[string]int{}
	for _, e := range s.log.filter(func(e event) bool { return e.Kind == "garp" }) {
		garps[e.LAN+" "+e.Addr.Addr().String()]++
	}
	want := map[string]int{
		"eth0 " + vipA.Addr().String(): 5,
		"eth1 " + vipB.Addr().String(): 5,
		"eth9 " + vipC.Addr().String(): 5,
	}
	if diff := cmp.Diff(want, garps); diff != "" {
		t.Errorf("GARPs per device and VIP (-want +got):\n%s", diff)
	}
}
