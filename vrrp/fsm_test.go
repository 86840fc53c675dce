package vrrp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	t0     = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ownIP  = netip.MustParseAddr("192.0.2.12")
	lowIP  = netip.MustParseAddr("192.0.2.11")
	highIP = netip.MustParseAddr("192.0.2.13")
)

const none = time.Duration(-1) // "no deadline" in step.deadline

type step struct {
	at       time.Duration // since t0
	ev       Event
	want     []Action
	state    State
	deadline time.Duration // since t0; none = zero time
}

func mdi(prio uint8) time.Duration { return MasterDownInterval(time.Second, prio) }

func runSteps(t *testing.T, cfg MachineConfig, steps []step) {
	t.Helper()
	m := NewMachine(cfg)
	for i, s := range steps {
		got := m.Handle(t0.Add(s.at), s.ev)
		if d := cmp.Diff(s.want, got); d != "" {
			t.Errorf("step %d (%T at %v): actions (-want +got):\n%s", i, s.ev, s.at, d)
		}
		if m.State() != s.state {
			t.Errorf("step %d (%T at %v): state %v, want %v", i, s.ev, s.at, m.State(), s.state)
		}
		var dl time.Duration = none
		if !m.Deadline().IsZero() {
			dl = m.Deadline().Sub(t0)
		}
		if dl != s.deadline {
			t.Errorf("step %d (%T at %v): deadline %v, want %v", i, s.ev, s.at, dl, s.deadline)
		}
	}
}

func cfg(prio uint8) MachineConfig {
	return MachineConfig{VRID: 51, Priority: prio, AdvertInterval: time.Second, OwnAddr: ownIP}
}

func toBackup(from State, why Reason) []Action {
	return []Action{StopAnnouncing{}, RemoveVIPs{}, StateChanged{from, StateBackup, why}}
}

func toMaster(from State, prio uint8, why Reason) []Action {
	return []Action{AddVIPs{}, SendAdvert{prio}, AnnounceVIPs{}, StateChanged{from, StateMaster, why}}
}

var startBackup = []Action{RemoveVIPs{}, StateChanged{StateInit, StateBackup, ReasonStartup}}

func TestTimers(t *testing.T) {
	if got, want := SkewTime(100), 156*time.Second/256; got != want {
		t.Errorf("SkewTime(100) = %v, want %v", got, want)
	}
	if got, want := SkewTime(255), time.Second/256; got != want {
		t.Errorf("SkewTime(255) = %v, want %v", got, want)
	}
	// keepalived facts: backup priority 100 takes over 3.61 s after the
	// last advert at advert_int 1.
	if got := MasterDownInterval(time.Second, 100); got.Round(10*time.Millisecond) != 3610*time.Millisecond {
		t.Errorf("MasterDownInterval(1s, 100) = %v, want ~3.61s", got)
	}
}

func TestMachine(t *testing.T) {
	adv := func(src netip.Addr, prio uint8) AdvertReceived { return AdvertReceived{Src: src, Priority: prio} }
	for _, tc := range []struct {
		name  string
		cfg   MachineConfig
		steps []step
	}{
		{"backup startup then master down", cfg(100), []step{
			{0, Timer{}, nil, StateInit, none},
			{0, Startup{}, startBackup, StateBackup, mdi(100)},
			{mdi(100) - 1, Timer{}, nil, StateBackup, mdi(100)},
			{mdi(100), Timer{}, toMaster(StateBackup, 100, ReasonMasterDown), StateMaster, mdi(100) + time.Second},
			{mdi(100) + time.Second, Timer{}, []Action{SendAdvert{100}}, StateMaster, mdi(100) + 2*time.Second},
		}},
		{"state MASTER config still starts as backup", cfg(254), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(254)},
			{0, Startup{}, nil, StateBackup, mdi(254)}, // second Startup ignored
		}},
		{"owner 255 is master at once", cfg(255), []step{
			{0, Startup{}, toMaster(StateInit, 255, ReasonOwner), StateMaster, time.Second},
			{time.Second / 2, adv(highIP, 254), []Action{SendAdvert{255}, AnnounceLowerPriority{}}, StateMaster, time.Second},
		}},
		{"backup resets timer on higher and equal priority", cfg(100), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(100)},
			{time.Second, adv(highIP, 150), nil, StateBackup, time.Second + mdi(100)},
			{2 * time.Second, adv(lowIP, 100), nil, StateBackup, 2*time.Second + mdi(100)},
		}},
		{"priority 0 sets timer to skew", cfg(100), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(100)},
			{time.Second, adv(highIP, 150), nil, StateBackup, time.Second + mdi(100)},
			{2 * time.Second, adv(highIP, 0), nil, StateBackup, 2*time.Second + SkewTime(100)},
			{2*time.Second + SkewTime(100), Timer{}, toMaster(StateBackup, 100, ReasonMasterDown), StateMaster, 3*time.Second + SkewTime(100)},
		}},
		{"preempt ignores lower-priority master", cfg(150), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(150)},
			{time.Second, adv(lowIP, 100), nil, StateBackup, mdi(150)},
			{2 * time.Second, adv(lowIP, 100), nil, StateBackup, mdi(150)},
			{mdi(150), Timer{}, toMaster(StateBackup, 150, ReasonMasterDown), StateMaster, mdi(150) + time.Second},
		}},
		{"nopreempt honours lower-priority master", func() MachineConfig { c := cfg(150); c.Nopreempt = true; return c }(), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(150)},
			{time.Second, adv(lowIP, 100), nil, StateBackup, time.Second + mdi(150)},
			{60 * time.Second, adv(lowIP, 100), nil, StateBackup, 60*time.Second + mdi(150)},
			{60*time.Second + mdi(150) - 1, Timer{}, nil, StateBackup, 60*time.Second + mdi(150)},
		}},
		{"preempt_delay waits after startup", func() MachineConfig { c := cfg(150); c.PreemptDelay = 10 * time.Second; return c }(), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(150)},
			{time.Second, adv(lowIP, 100), nil, StateBackup, time.Second + mdi(150)},
			{10*time.Second - 1, adv(lowIP, 100), nil, StateBackup, 10*time.Second - 1 + mdi(150)},
			{10 * time.Second, adv(lowIP, 100), nil, StateBackup, 10*time.Second - 1 + mdi(150)},
			{10*time.Second - 1 + mdi(150), Timer{}, toMaster(StateBackup, 150, ReasonMasterDown), StateMaster, 11*time.Second - 1 + mdi(150)},
		}},
		{"master steps down for higher priority", cfg(100), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(100)},
			{mdi(100), Timer{}, toMaster(StateBackup, 100, ReasonMasterDown), StateMaster, mdi(100) + time.Second},
			{4 * time.Second, adv(lowIP, 101), toBackup(StateMaster, ReasonHigherPriority), StateBackup, 4*time.Second + mdi(100)},
		}},
		{"tie broken by higher address", cfg(100), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(100)},
			{mdi(100), Timer{}, toMaster(StateBackup, 100, ReasonMasterDown), StateMaster, mdi(100) + time.Second},
			{4 * time.Second, adv(lowIP, 100), []Action{SendAdvert{100}, AnnounceLowerPriority{}}, StateMaster, mdi(100) + time.Second},
			{4*time.Second + 1, adv(highIP, 100), toBackup(StateMaster, ReasonTieBreak), StateBackup, 4*time.Second + 1 + mdi(100)},
		}},
		{"master answers lower priority and priority 0", cfg(200), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(200)},
			{mdi(200), Timer{}, toMaster(StateBackup, 200, ReasonMasterDown), StateMaster, mdi(200) + time.Second},
			{4 * time.Second, adv(highIP, 199), []Action{SendAdvert{200}, AnnounceLowerPriority{}}, StateMaster, mdi(200) + time.Second},
			{4 * time.Second, adv(highIP, 0), []Action{SendAdvert{200}}, StateMaster, 5 * time.Second},
		}},
		{"priority change while master is advertised at once", cfg(200), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(200)},
			{mdi(200), Timer{}, toMaster(StateBackup, 200, ReasonMasterDown), StateMaster, mdi(200) + time.Second},
			{4 * time.Second, PriorityChanged{140}, []Action{SendAdvert{140}}, StateMaster, 5 * time.Second},
			{4 * time.Second, PriorityChanged{140}, nil, StateMaster, 5 * time.Second},
			{4*time.Second + 1, adv(lowIP, 150), toBackup(StateMaster, ReasonHigherPriority), StateBackup, 4*time.Second + 1 + mdi(140)},
		}},
		{"priority change while backup changes the next timer", cfg(100), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(100)},
			{time.Second, PriorityChanged{200}, nil, StateBackup, mdi(100)},
			{2 * time.Second, adv(highIP, 250), nil, StateBackup, 2*time.Second + mdi(200)},
		}},
		{"fault before startup", cfg(100), []step{
			{0, FaultChanged{true}, nil, StateInit, none},
			{0, Startup{}, []Action{RemoveVIPs{}, StateChanged{StateInit, StateFault, ReasonFault}}, StateFault, none},
			{time.Second, adv(highIP, 150), nil, StateFault, none},
			{time.Second, Timer{}, nil, StateFault, none},
			{5 * time.Second, FaultChanged{false}, []Action{RemoveVIPs{}, StateChanged{StateFault, StateBackup, ReasonFaultCleared}}, StateBackup, 5*time.Second + mdi(100)},
		}},
		{"fault in backup", cfg(100), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(100)},
			{time.Second, FaultChanged{true}, []Action{StateChanged{StateBackup, StateFault, ReasonFault}}, StateFault, none},
			{2 * time.Second, FaultChanged{true}, nil, StateFault, none},
			{mdi(100), Timer{}, nil, StateFault, none},
		}},
		{"fault in master releases and tells backups", cfg(100), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(100)},
			{mdi(100), Timer{}, toMaster(StateBackup, 100, ReasonMasterDown), StateMaster, mdi(100) + time.Second},
			{5 * time.Second, FaultChanged{true}, []Action{StopAnnouncing{}, SendAdvert{0}, RemoveVIPs{}, StateChanged{StateMaster, StateFault, ReasonFault}}, StateFault, none},
			{6 * time.Second, FaultChanged{false}, []Action{RemoveVIPs{}, StateChanged{StateFault, StateBackup, ReasonFaultCleared}}, StateBackup, 6*time.Second + mdi(100)},
		}},
		{"owner recovers from fault as master", cfg(255), []step{
			{0, Startup{}, toMaster(StateInit, 255, ReasonOwner), StateMaster, time.Second},
			{time.Second / 2, FaultChanged{true}, []Action{StopAnnouncing{}, SendAdvert{0}, RemoveVIPs{}, StateChanged{StateMaster, StateFault, ReasonFault}}, StateFault, none},
			{2 * time.Second, FaultChanged{false}, toMaster(StateFault, 255, ReasonOwner), StateMaster, 3 * time.Second},
		}},
		{"fault cleared restarts preempt_delay", func() MachineConfig { c := cfg(150); c.PreemptDelay = 10 * time.Second; return c }(), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(150)},
			{time.Second, FaultChanged{true}, []Action{StateChanged{StateBackup, StateFault, ReasonFault}}, StateFault, none},
			{20 * time.Second, FaultChanged{false}, []Action{RemoveVIPs{}, StateChanged{StateFault, StateBackup, ReasonFaultCleared}}, StateBackup, 20*time.Second + mdi(150)},
			{21 * time.Second, adv(lowIP, 100), nil, StateBackup, 21*time.Second + mdi(150)},
		}},
		{"shutdown from init", cfg(100), []step{
			{0, Shutdown{}, []Action{StateChanged{StateInit, StateStopped, ReasonShutdown}}, StateStopped, none},
			{0, Shutdown{}, nil, StateStopped, none},
		}},
		{"shutdown from backup", cfg(100), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(100)},
			{time.Second, Shutdown{}, []Action{StateChanged{StateBackup, StateStopped, ReasonShutdown}}, StateStopped, none},
			{mdi(100), Timer{}, nil, StateStopped, none},
			{mdi(100), adv(highIP, 200), nil, StateStopped, none},
		}},
		{"shutdown from master sends priority 0", cfg(100), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(100)},
			{mdi(100), Timer{}, toMaster(StateBackup, 100, ReasonMasterDown), StateMaster, mdi(100) + time.Second},
			{5 * time.Second, Shutdown{}, []Action{StopAnnouncing{}, SendAdvert{0}, RemoveVIPs{}, StateChanged{StateMaster, StateStopped, ReasonShutdown}}, StateStopped, none},
			{5 * time.Second, FaultChanged{true}, nil, StateStopped, none},
		}},
		{"shutdown from fault", cfg(100), []step{
			{0, FaultChanged{true}, nil, StateInit, none},
			{0, Startup{}, []Action{RemoveVIPs{}, StateChanged{StateInit, StateFault, ReasonFault}}, StateFault, none},
			{time.Second, Shutdown{}, []Action{StateChanged{StateFault, StateStopped, ReasonShutdown}}, StateStopped, none},
		}},
		{"restart after stop", cfg(100), []step{
			{0, Shutdown{}, []Action{StateChanged{StateInit, StateStopped, ReasonShutdown}}, StateStopped, none},
			{time.Second, Startup{}, []Action{RemoveVIPs{}, StateChanged{StateStopped, StateBackup, ReasonStartup}}, StateBackup, time.Second + mdi(100)},
		}},
		{"sync group force", cfg(100), []step{
			{0, Startup{}, startBackup, StateBackup, mdi(100)},
			{0, Force{StateBackup}, nil, StateBackup, mdi(100)},
			{time.Second, Force{StateMaster}, toMaster(StateBackup, 100, ReasonSyncGroup), StateMaster, 2 * time.Second},
			{time.Second, Force{StateMaster}, nil, StateMaster, 2 * time.Second},
			{time.Second, Force{StateFault}, nil, StateMaster, 2 * time.Second},
			{3 * time.Second / 2, Force{StateBackup}, toBackup(StateMaster, ReasonSyncGroup), StateBackup, 3*time.Second/2 + mdi(100)},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { runSteps(t, tc.cfg, tc.steps) })
	}
}

func TestMachineMaster(t *testing.T) {
	m := NewMachine(cfg(100))
	if a, _ := m.Master(); a.IsValid() {
		t.Errorf("master known before any advert: %v", a)
	}
	m.Handle(t0, Startup{})
	m.Handle(t0.Add(time.Second), AdvertReceived{Src: highIP, Priority: 150})
	if a, p := m.Master(); a != highIP || p != 150 {
		t.Errorf("Master() = %v %d, want %v 150", a, p, highIP)
	}
	m.Handle(t0.Add(2*time.Second), AdvertReceived{Src: highIP, Priority: 0})
	m.Handle(m.Deadline(), Timer{})
	if a, p := m.Master(); a != ownIP || p != 100 {
		t.Errorf("Master() as master = %v %d", a, p)
	}
}
