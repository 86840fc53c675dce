package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

func TestTimersV3(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		prio     uint8
		interval time.Duration
		skew     time.Duration
		down     time.Duration
	}{
		// RFC 5798 §6.1 with the interval in nanoseconds.
		{100, 100 * ms, 156 * 100 * ms / 256, 300*ms + 156*100*ms/256},
		{254, 100 * ms, 2 * 100 * ms / 256, 300*ms + 2*100*ms/256},
		{1, 10 * ms, 255 * 10 * ms / 256, 30*ms + 255*10*ms/256},
		{100, time.Second, SkewTime(100), MasterDownInterval(time.Second, 100)},
		{100, 40950 * ms, 156 * 40950 * ms / 256, 3*40950*ms + 156*40950*ms/256},
	} {
		if got := SkewTimeV3(tc.prio, tc.interval); got != tc.skew {
			t.Errorf("SkewTimeV3(%d, %v) = %v, want %v", tc.prio, tc.interval, got, tc.skew)
		}
		if got := MasterDownIntervalV3(tc.interval, tc.prio); got != tc.down {
			t.Errorf("MasterDownIntervalV3(%v, %d) = %v, want %v", tc.interval, tc.prio, got, tc.down)
		}
	}
	// The bench's figure: a priority-100 backup at advert_int 0.1
	// takes over 360.9 ms after the last advert, keepalived's 3.61 s
	// scaled by ten.
	if got := MasterDownIntervalV3(100*ms, 100); got.Round(100*time.Microsecond) != 360900*time.Microsecond {
		t.Errorf("MasterDownIntervalV3(100ms, 100) = %v, want 360.9ms", got)
	}
}

func cfg3(prio uint8, interval time.Duration) MachineConfig {
	return MachineConfig{VRID: 51, Priority: prio, AdvertInterval: interval, OwnAddr: ownIP, Version: Version3}
}

// TestMachineV3 steps the RFC 5798 §6.4 timer rules: a backup adopts the
// master's interval, and Skew_Time and Master_Down_Interval follow it.
func TestMachineV3(t *testing.T) {
	ms := time.Millisecond
	adv := func(src netip.Addr, prio uint8, iv time.Duration) AdvertReceived {
		return AdvertReceived{Src: src, Priority: prio, Interval: iv}
	}
	down := func(iv time.Duration, prio uint8) time.Duration { return MasterDownIntervalV3(iv, prio) }
	for _, tc := range []struct {
		name  string
		cfg   MachineConfig
		steps []step
	}{
		{"backup startup then master down at 0.1 s", cfg3(100, 100*ms), []step{
			{0, Startup{}, startBackup, StateBackup, down(100*ms, 100)},
			{down(100*ms, 100) - 1, Timer{}, nil, StateBackup, down(100*ms, 100)},
			{down(100*ms, 100), Timer{}, toMaster(StateBackup, 100, ReasonMasterDown), StateMaster, down(100*ms, 100) + 100*ms},
			{down(100*ms, 100) + 100*ms, Timer{}, []Action{SendAdvert{100}}, StateMaster, down(100*ms, 100) + 200*ms},
		}},
		{"backup learns the master's interval", cfg3(100, 100*ms), []step{
			{0, Startup{}, startBackup, StateBackup, down(100*ms, 100)},
			{50 * ms, adv(highIP, 150, time.Second), nil, StateBackup, 50*ms + down(time.Second, 100)},
			// A priority-0 advert: Skew_Time of the learned interval.
			{time.Second, adv(highIP, 0, time.Second), nil, StateBackup, time.Second + SkewTimeV3(100, time.Second)},
			{time.Second + SkewTimeV3(100, time.Second), Timer{}, toMaster(StateBackup, 100, ReasonMasterDown), StateMaster,
				time.Second + SkewTimeV3(100, time.Second) + 100*ms}, // it advertises at its own interval
		}},
		{"an advert without interval keeps the learned one", cfg3(100, 100*ms), []step{
			{0, Startup{}, startBackup, StateBackup, down(100*ms, 100)},
			{10 * ms, adv(highIP, 150, 200*ms), nil, StateBackup, 10*ms + down(200*ms, 100)},
			{20 * ms, adv(highIP, 150, 0), nil, StateBackup, 20*ms + down(200*ms, 100)},
		}},
		{"preempting backup does not learn from a lower master", cfg3(150, 100*ms), []step{
			{0, Startup{}, startBackup, StateBackup, down(100*ms, 150)},
			{10 * ms, adv(lowIP, 100, 5*time.Second), nil, StateBackup, down(100*ms, 150)},
			{down(100*ms, 150), Timer{}, toMaster(StateBackup, 150, ReasonMasterDown), StateMaster, down(100*ms, 150) + 100*ms},
		}},
		{"master stepping down adopts the new master's interval", cfg3(100, 100*ms), []step{
			{0, Startup{}, startBackup, StateBackup, down(100*ms, 100)},
			{down(100*ms, 100), Timer{}, toMaster(StateBackup, 100, ReasonMasterDown), StateMaster, down(100*ms, 100) + 100*ms},
			{time.Second, adv(highIP, 200, 300*ms), toBackup(StateMaster, ReasonHigherPriority), StateBackup, time.Second + down(300*ms, 100)},
		}},
		{"a master forgets the interval it learned as backup", cfg3(100, 100*ms), []step{
			{0, Startup{}, startBackup, StateBackup, down(100*ms, 100)},
			{10 * ms, adv(highIP, 150, 2*time.Second), nil, StateBackup, 10*ms + down(2*time.Second, 100)},
			{20 * ms, Force{StateMaster}, toMaster(StateBackup, 100, ReasonSyncGroup), StateMaster, 120 * ms},
			// Back to backup without an advert to learn from: its own
			// interval, not the 2 s of a master long gone.
			{30 * ms, Force{StateBackup}, toBackup(StateMaster, ReasonSyncGroup), StateBackup, 30*ms + down(100*ms, 100)},
		}},
		{"restart forgets the learned interval", cfg3(100, 100*ms), []step{
			{0, Startup{}, startBackup, StateBackup, down(100*ms, 100)},
			{10 * ms, adv(highIP, 150, 2*time.Second), nil, StateBackup, 10*ms + down(2*time.Second, 100)},
			{20 * ms, FaultChanged{true}, []Action{StateChanged{StateBackup, StateFault, ReasonFault}}, StateFault, none},
			{30 * ms, FaultChanged{false}, []Action{RemoveVIPs{}, StateChanged{StateFault, StateBackup, ReasonFaultCleared}}, StateBackup, 30*ms + down(100*ms, 100)},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { runSteps(t, tc.cfg, tc.steps) })
	}
}

// TestMachineV2IgnoresInterval: a VRRPv2 machine keeps RFC 3768's timers
// whatever interval an event carries.
func TestMachineV2IgnoresInterval(t *testing.T) {
	runSteps(t, cfg(100), []step{
		{0, Startup{}, startBackup, StateBackup, mdi(100)},
		{time.Second, AdvertReceived{Src: highIP, Priority: 150, Interval: 10 * time.Second}, nil, StateBackup, time.Second + mdi(100)},
		{2 * time.Second, AdvertReceived{Src: highIP, Priority: 0, Interval: 10 * time.Second}, nil, StateBackup, 2*time.Second + SkewTime(100)},
	})
}
