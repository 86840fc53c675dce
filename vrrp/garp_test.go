package vrrp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// garpStep is one input to a garpSchedule: at (offset from t0) and what
// happened ("master", "lower", "stop" or "tick"); want is the frames per
// VIP the schedule says to send.
type garpStep struct {
	at   time.Duration
	what string
	want int
}

func TestGARPSchedule(t *testing.T) {
	base := InstanceConfig{GARPMasterDelay: 5 * time.Second, GARPMasterRepeat: 5,
		GARPLowerPrioRepeat: 5, GARPLowerPrioDelay: 100 * time.Millisecond}
	ms := time.Millisecond
	for _, tc := range []struct {
		name     string
		mutate   func(c *InstanceConfig)
		steps    []garpStep
		wantNext time.Duration // -1: nothing pending at the end
	}{
		{"master bursts", nil, []garpStep{
			{0, "master", 5}, {4 * time.Second, "tick", 0}, {5 * time.Second, "tick", 5}, {60 * time.Second, "tick", 0},
		}, -1},
		{"refresh after the second burst", func(c *InstanceConfig) { c.GARPMasterRefresh, c.GARPRefreshRepeat = 10*time.Second, 2 }, []garpStep{
			{0, "master", 5}, {5 * time.Second, "tick", 5}, {15 * time.Second, "tick", 2}, {25 * time.Second, "tick", 2},
		}, 35 * time.Second},
		{"lower priority: at once and one delay later", nil, []garpStep{
			{0, "master", 5}, {time.Second, "lower", 5}, {time.Second + 99*ms, "tick", 0}, {time.Second + 100*ms, "tick", 5},
			{2 * time.Second, "tick", 0}, {5 * time.Second, "tick", 5},
		}, -1},
		{"a series of lower-priority adverts: the delayed burst follows the last", nil, []garpStep{
			{time.Second, "lower", 5}, {time.Second + 50*ms, "lower", 5}, {time.Second + 100*ms, "tick", 0},
			{time.Second + 150*ms, "tick", 5}, {time.Second + 300*ms, "tick", 0},
		}, -1},
		{"lower and master burst due together add up", func(c *InstanceConfig) { c.GARPLowerPrioDelay = 4 * time.Second }, []garpStep{
			{0, "master", 5}, {time.Second, "lower", 5}, {5 * time.Second, "tick", 10},
		}, -1},
		{"lower_prio_repeat 0 sends nothing, not even later", func(c *InstanceConfig) { c.GARPLowerPrioRepeat = 0 }, []garpStep{
			{time.Second, "lower", 0}, {10 * time.Second, "tick", 0},
		}, -1},
		{"lower_prio_delay 0: no second burst", func(c *InstanceConfig) { c.GARPLowerPrioDelay = 0 }, []garpStep{
			{time.Second, "lower", 5}, {10 * time.Second, "tick", 0},
		}, -1},
		{"leaving master cancels both", nil, []garpStep{
			{0, "master", 5}, {time.Second, "lower", 5}, {time.Second + 10*ms, "stop", 0}, {10 * time.Second, "tick", 0},
		}, -1},
		{"no master delay: refresh only", func(c *InstanceConfig) {
			c.GARPMasterDelay, c.GARPMasterRefresh, c.GARPRefreshRepeat = 0, 30*time.Second, 1
		}, []garpStep{
			{0, "master", 5}, {30 * time.Second, "tick", 1},
		}, 60 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			if tc.mutate != nil {
				tc.mutate(&c)
			}
			var s garpSchedule
			var got, want []int
			for _, st := range tc.steps {
				now := t0.Add(st.at)
				n := 0
				switch st.what {
				case "master":
					n = s.becameMaster(now, &c)
				case "lower":
					n = s.lowerPriority(now, &c)
				case "stop":
					s.stop()
				case "tick":
					n = s.due(now, &c)
				}
				got, want = append(got, n), append(want, st.want)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("frames per VIP at each step (-want +got):\n%s", d)
			}
			var next time.Duration = -1
			if n := s.next(); !n.IsZero() {
				next = n.Sub(t0)
			}
			if next != tc.wantNext {
				t.Errorf("next burst at %v, want %v", next, tc.wantNext)
			}
		})
	}
}

// TestRouterLowerPriorityReannounces drives the Router: a master hearing
// a lower-priority advert (the other side briefly thought it was master)
// answers with an advert and a burst at once, and a second burst one
// delay later, after the other side's own burst has gone out.
func TestRouterLowerPriorityReannounces(t *testing.T) {
	for _, tc := range []struct {
		name      string
		repeat    int
		delay     time.Duration
		wantAfter []time.Duration // bursts of A after the lower-priority advert
	}{
		{"lbhad default: one advert interval later", 5, time.Second, []time.Duration{0, time.Second}},
		{"keepalived default: garp_master_delay later", 5, 5 * time.Second, []time.Duration{0, 5 * time.Second}},
		{"off", 0, time.Second, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, a, _ := electAB(t, func(a, b *InstanceConfig) {
				a.GARPLowerPrioRepeat, a.GARPLowerPrioDelay = tc.repeat, tc.delay
			})
			at := 20*time.Second + 300*time.Millisecond
			s.run(at)
			low := Advertisement{VRID: 51, Priority: 90, AuthType: AuthSimple, AdvertInt: 1,
				Addresses: []netip.Addr{vipA.Addr()}, AuthData: AuthPassword("pw12")}
			p, err := low.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			a.ports["eth0"].inject(p, RecvMeta{Src: netip.MustParseAddr("192.0.2.13"), TTL: 255})
			s.run(30 * time.Second)
			bursts := map[time.Duration]int{}
			var times []time.Duration
			for _, e := range s.log.filter(func(e event) bool { return e.Kind == "garp" && e.Node == "A" && !e.At.Before(s.at(at)) }) {
				d := e.At.Sub(s.at(at))
				if bursts[d] == 0 {
					times = append(times, d)
				}
				bursts[d]++
			}
			if d := cmp.Diff(tc.wantAfter, times); d != "" {
				t.Errorf("A's bursts after the lower-priority advert (-want +got):\n%s", d)
			}
			for d, n := range bursts {
				if n != tc.repeat {
					t.Errorf("burst at +%v: %d frames, want %d", d, n, tc.repeat)
				}
			}
			// The immediate answer is an advert, before the burst.
			var kinds []string
			for _, e := range s.log.filter(func(e event) bool { return e.Node == "A" && e.At.Equal(s.at(at)) }) {
				kinds = append(kinds, e.Kind)
			}
			if len(kinds) == 0 || kinds[0] != "advert" {
				t.Errorf("A's actions at the lower-priority advert: %v, want an advert first", kinds)
			}
			if st := a.status("vi"); st.State != StateMaster {
				t.Errorf("A is %v, want master", st.State)
			}
		})
	}
}
