package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

func TestMachineMaintenance(t *testing.T) {
	adv := func(src netip.Addr, prio uint8) AdvertReceived { return AdvertReceived{Src: src, Priority: prio} }
	ho := HandoverTimeout(time.Second)
	master := func(p uint8) []step { // Startup, then master on master-down
		return []step{
			{0, Startup{}, startBackup, StateBackup, mdi(p)},
			{mdi(p), Timer{}, toMaster(StateBackup, p, ReasonMasterDown), StateMaster, mdi(p) + time.Second},
		}
	}
	at := mdi(100) // time of becoming master in master(100)
	tests := []struct {
		name  string
		cfg   MachineConfig
		steps []step
	}{
		{"master hands over on successor advert", cfg(100), append(master(100),
			step{at + 100*time.Millisecond, Maintenance{On: true}, []Action{SendAdvert{0}}, StateMaster, at + 1100*time.Millisecond},
			// A prio-0 from someone else leaving is not a successor.
			step{at + 200*time.Millisecond, adv(highIP, 0), nil, StateMaster, at + 1100*time.Millisecond},
			// Still waiting: resign again on the advert timer.
			step{at + 1100*time.Millisecond, Timer{}, []Action{SendAdvert{0}}, StateMaster, at + 2100*time.Millisecond},
			// A lower-priority successor is still a successor.
			step{at + 1300*time.Millisecond, adv(lowIP, 50), toBackup(StateMaster, ReasonMaintenance), StateBackup, none},
			// In maintenance a backup never takes over: no timer, and a
			// priority-0 advert does not arm one.
			step{at + 2*time.Second, adv(lowIP, 0), nil, StateBackup, none},
			step{at + 9*time.Second, Timer{}, nil, StateBackup, none},
		)},
		{"handover times out", cfg(100), append(master(100),
			step{at, Maintenance{On: true}, []Action{SendAdvert{0}}, StateMaster, at + time.Second},
			step{at + time.Second, Timer{}, []Action{SendAdvert{0}}, StateMaster, at + 2*time.Second},
			step{at + 2*time.Second, Timer{}, []Action{SendAdvert{0}}, StateMaster, at + 3*time.Second},
			step{at + 3*time.Second, Timer{}, []Action{SendAdvert{0}}, StateMaster, at + ho},
			step{at + ho, Timer{}, toBackup(StateMaster, ReasonMaintenance), StateBackup, none},
		)},
		{"off during handover reclaims", cfg(100), append(master(100),
			step{at, Maintenance{On: true}, []Action{SendAdvert{0}}, StateMaster, at + time.Second},
			// Priority changes wait while handing over.
			step{at + 100*time.Millisecond, PriorityChanged{90}, nil, StateMaster, at + time.Second},
			step{at + 500*time.Millisecond, Maintenance{On: false}, []Action{SendAdvert{90}}, StateMaster, at + 1500*time.Millisecond},
			step{at + 1500*time.Millisecond, Timer{}, []Action{SendAdvert{90}}, StateMaster, at + 2500*time.Millisecond},
		)},
		{"backup in maintenance ignores everything until off", cfg(200), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(200)},
			{time.Second, Maintenance{On: true}, nil, StateBackup, none},
			{2 * time.Second, adv(lowIP, 100), nil, StateBackup, none},
			{3 * time.Second, Force{StateMaster}, nil, StateBackup, none},
			{3 * time.Second, Maintenance{On: true}, nil, StateBackup, none},
			// Off: preempting backup re-arms and ignores the lower master.
			{4 * time.Second, Maintenance{On: false}, nil, StateBackup, 4*time.Second + mdi(200)},
			{5 * time.Second, adv(lowIP, 100), nil, StateBackup, 4*time.Second + mdi(200)},
			{4*time.Second + mdi(200), Timer{}, toMaster(StateBackup, 200, ReasonMasterDown), StateMaster, 5*time.Second + mdi(200)},
		}},
		{"nopreempt backup stays after off", MachineConfig{VRID: 51, Priority: 200, AdvertInterval: time.Second, OwnAddr: ownIP, Nopreempt: true}, []step{
			{0, Startup{}, startBackup, StateBackup, mdi(200)},
			{time.Second, Maintenance{On: true}, nil, StateBackup, none},
			{2 * time.Second, Maintenance{On: false}, nil, StateBackup, 2*time.Second + mdi(200)},
			{3 * time.Second, adv(lowIP, 100), nil, StateBackup, 3*time.Second + mdi(200)},
		}},
		{"maintenance before startup; owner does not claim", cfg(255), []step{
			{0, Maintenance{On: true}, nil, StateInit, none},
			{0, Startup{}, startBackup, StateBackup, none},
			{time.Second, Maintenance{On: false}, nil, StateBackup, time.Second + mdi(255)},
		}},
		{"fault cleared in maintenance comes back as backup without timer", cfg(100), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(100)},
			{0, Maintenance{On: true}, nil, StateBackup, none},
			{time.Second, FaultChanged{true}, []Action{StateChanged{StateBackup, StateFault, ReasonFault}}, StateFault, none},
			{2 * time.Second, FaultChanged{false}, []Action{RemoveVIPs{}, StateChanged{StateFault, StateBackup, ReasonFaultCleared}}, StateBackup, none},
		}},
		{"fault during handover", cfg(100), append(master(100),
			step{at, Maintenance{On: true}, []Action{SendAdvert{0}}, StateMaster, at + time.Second},
			step{at + 100*time.Millisecond, FaultChanged{true}, []Action{StopAnnouncing{}, SendAdvert{0}, RemoveVIPs{}, StateChanged{StateMaster, StateFault, ReasonFault}}, StateFault, none},
			step{at + 200*time.Millisecond, FaultChanged{false}, []Action{RemoveVIPs{}, StateChanged{StateFault, StateBackup, ReasonFaultCleared}}, StateBackup, none},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, tt.cfg, tt.steps) })
	}
}

// TestHandoverPair runs two machines against each other on a simulated
// wire (adverts delivered instantly) and checks the property maintenance
// promises: some router holds the VIPs at every instant, for a
// preempting and a nopreempt peer, and maintenance off gives the VIPs
// back only when the returning router may preempt.
func TestHandoverPair(t *testing.T) {
	for _, nopreempt := range []bool{false, true} {
		t.Run(map[bool]string{false: "preempt", true: "nopreempt"}[nopreempt], func(t *testing.T) {
			a := NewMachine(MachineConfig{VRID: 1, Priority: 200, AdvertInterval: time.Second, OwnAddr: highIP, Nopreempt: nopreempt})
			b := NewMachine(MachineConfig{VRID: 1, Priority: 100, AdvertInterval: time.Second, OwnAddr: lowIP, Nopreempt: nopreempt})
			p := &pair{t: t, m: [2]*Machine{a, b}, src: [2]netip.Addr{highIP, lowIP}}
			now := t0
			p.handle(now, 0, Startup{})
			p.handle(now, 1, Startup{})
			now = p.runUntil(now, now.Add(10*time.Second))
			if a.State() != StateMaster || b.State() != StateBackup {
				t.Fatalf("before maintenance: a %v, b %v", a.State(), b.State())
			}
			p.handle(now, 0, Maintenance{On: true})
			now = p.runUntil(now, now.Add(10*time.Second))
			if a.State() != StateBackup || b.State() != StateMaster {
				t.Fatalf("in maintenance: a %v, b %v", a.State(), b.State())
			}
			if p.handover > 1100*time.Millisecond { // Skew_Time(100) < 1 s, plus nothing
				t.Errorf("handover took %v", p.handover)
			}
			p.handle(now, 0, Maintenance{On: false})
			p.runUntil(now, now.Add(10*time.Second))
			want := StateMaster
			if nopreempt {
				want = StateBackup
			}
			if a.State() != want {
				t.Errorf("after maintenance off: a %v, want %v", a.State(), want)
			}
			if p.gaps != 0 {
				t.Errorf("%d instants with no router holding the VIPs", p.gaps)
			}
		})
	}
}

type pair struct {
	t        *testing.T
	m        [2]*Machine
	src      [2]netip.Addr
	vip      [2]bool
	gaps     int
	started  time.Time
	handover time.Duration
}

func (p *pair) handle(now time.Time, i int, ev Event) {
	if _, ok := ev.(Maintenance); ok {
		p.started = now
	}
	var queue []AdvertReceived
	for _, a := range p.m[i].Handle(now, ev) {
		switch a := a.(type) {
		case AddVIPs:
			p.vip[i] = true
		case RemoveVIPs:
			p.vip[i] = false
		case SendAdvert:
			queue = append(queue, AdvertReceived{Src: p.src[i], Priority: a.Priority})
		case StateChanged:
			if a.Reason == ReasonMaintenance {
				p.handover = now.Sub(p.started)
			}
		}
	}
	if p.m[0].State() != StateInit && p.m[1].State() != StateInit && !p.vip[0] && !p.vip[1] && now.Sub(t0) > 5*time.Second {
		p.gaps++
	}
	for _, ad := range queue {
		p.handle(now, 1-i, ad)
	}
}

// runUntil fires the machines' deadlines in time order until end.
func (p *pair) runUntil(now, end time.Time) time.Time {
	for {
		next, who := time.Time{}, -1
		for i, m := range p.m {
			if d := m.Deadline(); !d.IsZero() && (who < 0 || d.Before(next)) {
				next, who = d, i
			}
		}
		if who < 0 || next.After(end) {
			return end
		}
		p.handle(next, who, Timer{})
	}
}
