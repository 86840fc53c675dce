package vrrp

import (
	"fmt"
	"net/netip"
	"time"
)

// State is the state of one virtual router (RFC 3768 §6.4), plus Fault
// and Stopped as keepalived has them.
type State uint8

// States. Init is the state before Startup; Stopped after Shutdown.
const (
	StateInit State = iota
	StateBackup
	StateMaster
	StateFault
	StateStopped
)

func (s State) String() string {
	switch s {
	case StateInit:
		return "INIT"
	case StateBackup:
		return "BACKUP"
	case StateMaster:
		return "MASTER"
	case StateFault:
		return "FAULT"
	case StateStopped:
		return "STOP"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Reason says why a transition happened; notify scripts and logs show it.
type Reason string

// Transition reasons.
const (
	ReasonStartup        Reason = "startup"
	ReasonOwner          Reason = "address owner (priority 255)"
	ReasonMasterDown     Reason = "master down timer expired"
	ReasonHigherPriority Reason = "advert with higher priority"
	ReasonTieBreak       Reason = "advert with equal priority from higher address"
	ReasonShutdown       Reason = "shutdown"
	ReasonFault          Reason = "fault"
	ReasonFaultCleared   Reason = "fault cleared"
	ReasonSyncGroup      Reason = "sync group"
	ReasonMaintenance    Reason = "maintenance"
)

// MachineConfig configures one Machine. Zero values of the booleans give
// the RFC defaults (preemption on).
type MachineConfig struct {
	VRID uint8
	// Priority is the initial effective priority, 1..255. 255 makes the
	// router the address owner: it becomes master at once on Startup.
	Priority uint8
	// AdvertInterval is the advertisement interval (whole seconds on the
	// wire; the machine does not round it).
	AdvertInterval time.Duration
	// Nopreempt stops a backup from taking over from a live master of
	// lower priority (keepalived "nopreempt"; RFC Preempt_Mode false).
	Nopreempt bool
	// PreemptDelay delays preemption after Startup and after a fault
	// clears: until then lower-priority adverts are honoured as if
	// preemption were off (keepalived "preempt_delay").
	PreemptDelay time.Duration
	// OwnAddr is the primary address adverts are sent from; it breaks
	// priority ties (RFC 3768 §6.4.3).
	OwnAddr netip.Addr
	// Version is Version3 for the timers of RFC 5798 §6 (a backup learns
	// Master_Adver_Interval from the master's adverts and scales
	// Skew_Time by it); anything else means VRRPv2's (RFC 3768 §6.1).
	Version uint8
}

// Event is an input to Machine.Handle.
type Event interface{ isEvent() }

// Events.
type (
	// Startup leaves Init (or Stopped).
	Startup struct{}
	// AdvertReceived is a validated advert of this VRID from a peer.
	AdvertReceived struct {
		Src      netip.Addr
		Priority uint8
		// Interval is the advert's Max Adver Int (VRRPv3), which a
		// VRRPv3 backup adopts as Master_Adver_Interval; zero (and
		// VRRPv2) leave it alone.
		Interval time.Duration
	}
	// Timer reports that the deadline returned by Deadline has passed.
	// GroupHolds says the instance's sync group does not let it take
	// over on its own yet (see Machine.WantsMaster): a Backup then
	// stays Backup, remembers that it wants Master, and waits another
	// Master_Down_Interval.
	Timer struct{ GroupHolds bool }
	// Shutdown stops the machine; from Master it releases the VIPs and
	// sends a priority-0 advert so a backup takes over after Skew_Time.
	Shutdown struct{}
	// FaultChanged sets or clears the fault condition (a tracked
	// interface down, a weight-0 script failing, or a sync group peer
	// in fault).
	FaultChanged struct{ Faulty bool }
	// PriorityChanged sets the effective priority (tracked scripts).
	PriorityChanged struct{ Priority uint8 }
	// Force moves a Backup to Master or a Master to Backup on behalf of
	// a sync group. Other combinations are ignored.
	Force struct{ To State }
	// Maintenance turns maintenance mode on or off (see maint.go).
	Maintenance struct{ On bool }
)

func (Startup) isEvent()         {}
func (AdvertReceived) isEvent()  {}
func (Timer) isEvent()           {}
func (Shutdown) isEvent()        {}
func (FaultChanged) isEvent()    {}
func (PriorityChanged) isEvent() {}
func (Force) isEvent()           {}
func (Maintenance) isEvent()     {}

// Action is an output of Machine.Handle that the driver carries out in
// order.
type Action interface{ isAction() }

// Actions.
type (
	// SendAdvert sends one advert with this priority.
	SendAdvert struct{ Priority uint8 }
	// AddVIPs puts the virtual addresses on their interfaces.
	AddVIPs struct{}
	// RemoveVIPs takes them off (idempotent: also used at startup to
	// clean up after a crash).
	RemoveVIPs struct{}
	// AnnounceVIPs starts the gratuitous ARP schedule (the driver expands
	// it into garp_master_repeat frames per VIP, now and after
	// garp_master_delay, then every garp_master_refresh).
	AnnounceVIPs struct{}
	// AnnounceLowerPriority answers a lower-priority advert heard as
	// master: garp_lower_prio_repeat frames per VIP now and again
	// garp_lower_prio_delay later (the driver's schedule).
	AnnounceLowerPriority struct{}
	// StopAnnouncing cancels any pending gratuitous ARP.
	StopAnnouncing struct{}
	// StateChanged reports a transition.
	StateChanged struct {
		From, To State
		Reason   Reason
	}
)

func (SendAdvert) isAction()            {}
func (AddVIPs) isAction()               {}
func (RemoveVIPs) isAction()            {}
func (AnnounceVIPs) isAction()          {}
func (StopAnnouncing) isAction()        {}
func (AnnounceLowerPriority) isAction() {}
func (StateChanged) isAction()          {}

// Machine is the VRRP state machine of RFC 3768 §6.4 (and RFC 5798 §6.4
// with MachineConfig.Version 3) for one virtual
// router. It owns no goroutine, clock or socket: time comes in with each
// event and the single timer leaves as Deadline, which the driver arms.
// In Backup the deadline is the Master_Down_Timer, in Master the
// Adver_Timer. A Machine is not safe for concurrent use.
type Machine struct {
	cfg        MachineConfig
	prio       uint8
	state      State
	deadline   time.Time
	faulty     bool
	preemptAt  time.Time // lower-priority masters are honoured until then
	masterAddr netip.Addr
	masterPrio uint8
	// masterAdverInt is RFC 5798's Master_Adver_Interval: the
	// configured interval until a master's advert says otherwise.
	// VRRPv2 keeps it equal to the configured interval.
	masterAdverInt time.Duration
	// maint holds the machine out of Master (maint.go); handoverUntil
	// is when a master in maintenance gives up its VIPs even though no
	// successor has been heard (zero: no handover running).
	maint         bool
	handoverUntil time.Time
	// wantMaster is set when the Master_Down_Timer ran out but the sync
	// group held the machine in Backup, and cleared by an advert it
	// obeys or any change of state (keepalived's wantstate).
	wantMaster bool
	// one holds the single action of an advert sent on time (sendOnly).
	one [1]Action
}

// sendOnly is the actions of a master's advert sent on time (or in
// answer to a lower priority): a slice of the machine's own, so that a
// master of 1,000 instances, sending 1,000 adverts a second, allocates
// nothing for them.
func (m *Machine) sendOnly() []Action {
	m.one[0] = SendAdvert{m.prio}
	return m.one[:]
}

// NewMachine returns a machine in Init.
func NewMachine(cfg MachineConfig) *Machine {
	return &Machine{cfg: cfg, prio: cfg.Priority, masterAdverInt: cfg.AdvertInterval}
}

// State is the current state.
func (m *Machine) State() State { return m.state }

// Priority is the current effective priority.
func (m *Machine) Priority() uint8 { return m.prio }

// Deadline is when the driver must deliver Timer; zero means no timer.
func (m *Machine) Deadline() time.Time { return m.deadline }

// WantsMaster reports whether the machine is a Backup whose
// Master_Down_Timer ran out while its sync group held it: no master it
// obeys is heard. A sync group member takes over on its own timer only
// when every other Backup member wants Master too (keepalived's
// vrrp_sync_can_goto_master); otherwise a member of higher priority
// than the peer's, held in Backup by the group, would take Master, drag
// the group along and flap it against the peer every few intervals.
func (m *Machine) WantsMaster() bool { return m.state == StateBackup && m.wantMaster }

// Master is the address and priority of the master last heard (or this
// router's own address while it is master); invalid when none is known.
func (m *Machine) Master() (netip.Addr, uint8) {
	if m.state == StateMaster {
		return m.cfg.OwnAddr, m.prio
	}
	return m.masterAddr, m.masterPrio
}

// Reconfigure replaces the configuration on reload. The VRID must not
// change; the effective priority changes only through PriorityChanged.
// Timers already armed keep running with their old length.
func (m *Machine) Reconfigure(cfg MachineConfig) {
	cfg.Priority = m.cfg.Priority
	if cfg.Version != Version3 || cfg.Version != m.cfg.Version {
		m.masterAdverInt = cfg.AdvertInterval
	}
	m.cfg = cfg
}

// SkewTime is (256 − Priority)/256 s (RFC 3768 §6.1).
func SkewTime(prio uint8) time.Duration {
	return time.Duration(256-int(prio)) * time.Second / 256
}

// MasterDownInterval is 3 × Advertisement_Interval + Skew_Time.
func MasterDownInterval(advertInterval time.Duration, prio uint8) time.Duration {
	return 3*advertInterval + SkewTime(prio)
}

// SkewTimeV3 is ((256 − Priority) × Master_Adver_Interval) / 256 (RFC
// 5798 §6.1), computed in nanoseconds, not RFC 5798's centiseconds, so
// the timer is not rounded by up to 10 ms.
func SkewTimeV3(prio uint8, masterAdverInt time.Duration) time.Duration {
	return time.Duration(256-int(prio)) * masterAdverInt / 256
}

// MasterDownIntervalV3 is 3 × Master_Adver_Interval + Skew_Time (RFC
// 5798 §6.1).
func MasterDownIntervalV3(masterAdverInt time.Duration, prio uint8) time.Duration {
	return 3*masterAdverInt + SkewTimeV3(prio, masterAdverInt)
}

// MasterAdverInterval is the interval a backup expects the master to
// advertise at: learned from the master's adverts in VRRPv3, the
// configured one in VRRPv2.
func (m *Machine) MasterAdverInterval() time.Duration { return m.masterAdverInt }

// skew and masterDown are the machine's Skew_Time and
// Master_Down_Interval under its protocol version's rules.
func (m *Machine) skew() time.Duration {
	if m.cfg.Version == Version3 {
		return SkewTimeV3(m.prio, m.masterAdverInt)
	}
	return SkewTime(m.prio)
}

func (m *Machine) masterDown() time.Duration {
	if m.cfg.Version == Version3 {
		return MasterDownIntervalV3(m.masterAdverInt, m.prio)
	}
	return MasterDownInterval(m.cfg.AdvertInterval, m.prio)
}

// learn adopts a master's advertised interval (RFC 5798 §6.4.2, §6.4.3).
func (m *Machine) learn(a AdvertReceived) {
	if m.cfg.Version == Version3 && a.Interval > 0 {
		m.masterAdverInt = a.Interval
	}
}

// Handle applies one event at time now and returns the actions to carry
// out, in order. Afterwards Deadline gives the next timer. The slice may
// be the machine's own: it is valid until the next Handle.
func (m *Machine) Handle(now time.Time, ev Event) []Action {
	switch ev := ev.(type) {
	case Startup:
		if m.state != StateInit && m.state != StateStopped {
			return nil
		}
		return m.start(now, ReasonStartup)
	case Shutdown:
		return m.shutdown()
	case FaultChanged:
		return m.setFault(now, ev.Faulty)
	case PriorityChanged:
		return m.setPriority(now, ev.Priority)
	case Timer:
		if ev.GroupHolds && m.state == StateBackup && !m.deadline.IsZero() && !now.Before(m.deadline) {
			m.wantMaster = true
			m.deadline = m.backupDeadline(now)
			return nil
		}
		return m.timer(now)
	case AdvertReceived:
		return m.advert(now, ev)
	case Force:
		return m.force(now, ev.To)
	case Maintenance:
		return m.setMaintenance(now, ev.On)
	}
	return nil
}

// start enters Backup (or Master for the owner, or Fault) from Init,
// Stopped or Fault. keepalived 2.2.7 starts in BACKUP even with
// "state MASTER" and waits its master-down interval, so lbhad has no
// initial-master shortcut except for the address owner.
func (m *Machine) start(now time.Time, why Reason) []Action {
	from := m.state
	m.preemptAt = now.Add(m.cfg.PreemptDelay)
	m.masterAddr, m.masterPrio = netip.Addr{}, 0
	m.masterAdverInt = m.cfg.AdvertInterval // RFC 5798 §6.4.1
	if m.faulty {
		m.state, m.deadline = StateFault, time.Time{}
		return []Action{RemoveVIPs{}, StateChanged{from, StateFault, ReasonFault}}
	}
	if m.prio == PriorityOwner && !m.maint {
		return m.becomeMaster(now, ReasonOwner)
	}
	m.state, m.wantMaster = StateBackup, false
	m.deadline = m.backupDeadline(now)
	return []Action{RemoveVIPs{}, StateChanged{from, StateBackup, why}}
}

func (m *Machine) becomeMaster(now time.Time, why Reason) []Action {
	from := m.state
	m.wantMaster = false
	m.state = StateMaster
	// While master, the master's interval is our own; a later step down
	// without an advert to learn from (sync group, maintenance) must
	// not reuse an interval learned from a master long gone.
	m.masterAdverInt = m.cfg.AdvertInterval
	m.deadline = now.Add(m.cfg.AdvertInterval)
	// RFC 3768 §6.4.2: send an advert, then gratuitous ARP; keepalived's
	// first advert goes out just before its first GARP.
	return []Action{AddVIPs{}, SendAdvert{m.prio}, AnnounceVIPs{}, StateChanged{from, StateMaster, why}}
}

func (m *Machine) becomeBackup(now time.Time, why Reason) []Action {
	from := m.state
	m.wantMaster = false
	m.state = StateBackup
	m.handoverUntil = time.Time{}
	m.deadline = m.backupDeadline(now)
	// A master stepping down sends nothing (RFC 3768 §6.4.3, keepalived).
	return []Action{StopAnnouncing{}, RemoveVIPs{}, StateChanged{from, StateBackup, why}}
}

func (m *Machine) shutdown() []Action {
	from := m.state
	m.deadline, m.handoverUntil = time.Time{}, time.Time{}
	switch from {
	case StateStopped:
		return nil
	case StateMaster:
		m.state = StateStopped
		return []Action{StopAnnouncing{}, SendAdvert{PriorityStop}, RemoveVIPs{}, StateChanged{from, StateStopped, ReasonShutdown}}
	default:
		m.state = StateStopped
		return []Action{StateChanged{from, StateStopped, ReasonShutdown}}
	}
}

func (m *Machine) setFault(now time.Time, faulty bool) []Action {
	if faulty == m.faulty {
		return nil
	}
	m.faulty = faulty
	switch m.state {
	case StateBackup, StateMaster:
		if !faulty {
			return nil
		}
		from := m.state
		m.state, m.deadline, m.handoverUntil = StateFault, time.Time{}, time.Time{}
		if from == StateMaster {
			// Like keepalived, tell the backups at once instead of
			// leaving them to wait Master_Down_Interval; the send may
			// fail if the fault is our own link, which costs nothing.
			return []Action{StopAnnouncing{}, SendAdvert{PriorityStop}, RemoveVIPs{}, StateChanged{from, StateFault, ReasonFault}}
		}
		return []Action{StateChanged{from, StateFault, ReasonFault}}
	case StateFault:
		if faulty {
			return nil
		}
		// Recovery is a fresh start: Backup (or Master for the owner),
		// with preempt_delay counted again.
		return m.start(now, ReasonFaultCleared)
	}
	// Init and Stopped only remember the condition for Startup.
	return nil
}

func (m *Machine) setPriority(now time.Time, prio uint8) []Action {
	if prio == m.prio {
		return nil
	}
	m.prio = prio
	if m.state == StateMaster && !m.handoverUntil.IsZero() {
		// Handing over: keep resigning; the new priority counts after
		// maintenance ends.
		return nil
	}
	if m.state == StateMaster {
		// Tell the backups at once, so a lowered master is preempted
		// without waiting for the next advert.
		m.deadline = now.Add(m.cfg.AdvertInterval)
		return []Action{SendAdvert{prio}}
	}
	// A backup's new Skew_Time applies from the next timer reset.
	return nil
}

func (m *Machine) timer(now time.Time) []Action {
	if m.deadline.IsZero() || now.Before(m.deadline) {
		return nil
	}
	switch m.state {
	case StateBackup:
		return m.becomeMaster(now, ReasonMasterDown)
	case StateMaster:
		if !m.handoverUntil.IsZero() {
			return m.handoverTick(now)
		}
		m.deadline = now.Add(m.cfg.AdvertInterval)
		return m.sendOnly()
	}
	return nil
}

func (m *Machine) advert(now time.Time, a AdvertReceived) []Action {
	switch m.state {
	case StateBackup:
		if a.Priority == PriorityStop {
			// The master is leaving: take over after Skew_Time unless a
			// higher-priority backup does so first.
			if !m.maint {
				m.deadline = now.Add(m.skew())
			}
			m.masterAddr, m.masterPrio = netip.Addr{}, 0
			return nil
		}
		if m.maint || m.cfg.Nopreempt || a.Priority >= m.prio || now.Before(m.preemptAt) {
			m.learn(a)
			m.wantMaster = false
			m.deadline = m.backupDeadline(now)
			m.masterAddr, m.masterPrio = a.Src, a.Priority
			return nil
		}
		// Preempt: ignore the lower-priority master and let the
		// Master_Down_Timer run out (RFC 3768 §6.4.2).
		return nil
	case StateMaster:
		if !m.handoverUntil.IsZero() {
			return m.handoverAdvert(now, a)
		}
		if a.Priority == PriorityStop {
			// Another router thinks it was master and is leaving:
			// assert ourselves at once (RFC 3768 §6.4.3).
			m.deadline = now.Add(m.cfg.AdvertInterval)
			return m.sendOnly()
		}
		if a.Priority > m.prio {
			m.masterAddr, m.masterPrio = a.Src, a.Priority
			m.learn(a)
			return m.becomeBackup(now, ReasonHigherPriority)
		}
		if a.Priority == m.prio && a.Src.Compare(m.cfg.OwnAddr) > 0 {
			m.masterAddr, m.masterPrio = a.Src, a.Priority
			m.learn(a)
			return m.becomeBackup(now, ReasonTieBreak)
		}
		// A lower-priority router thinks it is master: answer at once so
		// it steps down without waiting for our next advert, and announce
		// the VIPs again, because it has pointed the LAN's ARP caches at
		// itself (a healed partition, or both started in the same
		// instant). keepalived does both. The Adver_Timer keeps its
		// schedule.
		return []Action{SendAdvert{m.prio}, AnnounceLowerPriority{}}
	}
	return nil
}

func (m *Machine) force(now time.Time, to State) []Action {
	switch {
	case to == StateMaster && m.state == StateBackup && !m.maint:
		return m.becomeMaster(now, ReasonSyncGroup)
	case to == StateBackup && m.state == StateMaster:
		return m.becomeBackup(now, ReasonSyncGroup)
	}
	return nil
}
