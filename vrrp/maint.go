package vrrp

import "time"

// Maintenance mode ("lbhad maint director on") takes a router out of the
// election without a gap for clients:
//
//   - A Backup stays Backup: it follows the master's adverts but never
//     takes over, not on Master_Down_Timer, not on a priority-0 advert,
//     not when a sync group forces it. If the peer dies too, the VIPs are
//     lost: maintenance means "never master", as keepalived users expect.
//   - A Master hands over. It keeps its VIPs and sends priority-0 adverts
//     (RFC 3768 §6.4.3 "leaving") once per Advertisement_Interval. A
//     backup takes over Skew_Time after each of them even with nopreempt,
//     and its first advert as master makes this router step down and drop
//     its VIPs; the successor's gratuitous ARP follows that advert at
//     once, so clients see no gap. If no successor speaks within
//     HandoverTimeout the router steps down anyway.
//
// Leaving maintenance restores the normal election: a Backup re-arms its
// Master_Down_Timer and counts preempt_delay afresh, so it preempts a
// lower-priority master unless nopreempt is set; a Master still handing
// over reclaims at once by advertising its priority again.

// HandoverTimeout bounds how long a master in maintenance keeps its VIPs
// waiting for a successor: Master_Down_Interval at priority 1, long
// enough for a peer to miss two resign adverts.
func HandoverTimeout(advertInterval time.Duration) time.Duration {
	return MasterDownInterval(advertInterval, 1)
}

// InMaintenance reports whether maintenance mode is on.
func (m *Machine) InMaintenance() bool { return m.maint }

// HandingOver reports whether the machine is a master in maintenance
// still waiting for its successor.
func (m *Machine) HandingOver() bool { return !m.handoverUntil.IsZero() }

// backupDeadline is the Master_Down_Timer of a backup, or no timer at all
// in maintenance.
func (m *Machine) backupDeadline(now time.Time) time.Time {
	if m.maint {
		return time.Time{}
	}
	return now.Add(m.masterDown())
}

func (m *Machine) setMaintenance(now time.Time, on bool) []Action {
	if on == m.maint {
		return nil
	}
	m.maint = on
	switch m.state {
	case StateMaster:
		if on {
			m.handoverUntil = now.Add(HandoverTimeout(m.cfg.AdvertInterval))
			return m.handoverTick(now)
		}
		if !m.handoverUntil.IsZero() {
			m.handoverUntil = time.Time{}
			m.deadline = now.Add(m.cfg.AdvertInterval)
			return []Action{SendAdvert{m.prio}}
		}
	case StateBackup:
		if on {
			m.deadline = time.Time{}
			return nil
		}
		m.preemptAt = now.Add(m.cfg.PreemptDelay)
		m.deadline = m.backupDeadline(now)
	}
	// Init, Fault and Stopped: start() reads m.maint.
	return nil
}

// handoverTick sends the next resign advert, or steps down once the
// handover has timed out.
func (m *Machine) handoverTick(now time.Time) []Action {
	if !now.Before(m.handoverUntil) {
		return m.becomeBackup(now, ReasonMaintenance)
	}
	m.deadline = now.Add(m.cfg.AdvertInterval)
	if m.handoverUntil.Before(m.deadline) {
		m.deadline = m.handoverUntil
	}
	return []Action{SendAdvert{PriorityStop}}
}

// handoverAdvert steps down on the first advert of a successor. Another
// router's priority-0 advert (it is leaving too) is ignored.
func (m *Machine) handoverAdvert(now time.Time, a AdvertReceived) []Action {
	if a.Priority == PriorityStop {
		return nil
	}
	m.masterAddr, m.masterPrio = a.Src, a.Priority
	return m.becomeBackup(now, ReasonMaintenance)
}
