package vrrp

import "time"

// garpSchedule says when an instance announces its VIPs (gratuitous ARP,
// unsolicited NA) and with how many frames per VIP. It is pure: the
// Router feeds it the time and sends what it returns.
//
// Two timers, as in keepalived: the master schedule (a burst on becoming
// master, a second one garp_master_delay later, then a refresh every
// garp_master_refresh) and the lower-priority one (a burst as soon as a
// master hears a lower-priority advert, and a second one
// garp_lower_prio_delay after the last such advert). The second one
// closes the race where a router that briefly believed itself master
// announced the VIPs after our immediate answer reached the LAN.
type garpSchedule struct {
	masterAt time.Time // next burst of the master schedule; zero: none
	refresh  bool      // masterAt is a refresh (the two master bursts are done)
	lowerAt  time.Time // delayed burst after a lower-priority advert; zero: none
}

// becameMaster starts the master schedule and returns the frames per
// VIP to send now.
func (s *garpSchedule) becameMaster(now time.Time, c *InstanceConfig) int {
	s.masterAt, s.refresh = time.Time{}, c.GARPMasterDelay <= 0
	switch {
	case c.GARPMasterDelay > 0:
		s.masterAt = now.Add(c.GARPMasterDelay)
	case c.GARPMasterRefresh > 0:
		s.masterAt = now.Add(c.GARPMasterRefresh)
	}
	return max(c.GARPMasterRepeat, 1)
}

// lowerPriority reacts to a lower-priority advert heard as master: the
// frames per VIP to send now (0 with garp_lower_prio_repeat 0, which
// also disables the delayed burst, as in keepalived), and the delayed
// burst moved to delay after this advert, so that it follows the last
// one of a series.
func (s *garpSchedule) lowerPriority(now time.Time, c *InstanceConfig) int {
	if c.GARPLowerPrioRepeat <= 0 {
		return 0
	}
	s.lowerAt = time.Time{}
	if c.GARPLowerPrioDelay > 0 {
		s.lowerAt = now.Add(c.GARPLowerPrioDelay)
	}
	return c.GARPLowerPrioRepeat
}

// stop cancels every pending burst (the instance left master).
func (s *garpSchedule) stop() { *s = garpSchedule{} }

// next is the earliest pending burst; zero when none.
func (s *garpSchedule) next() time.Time { return earliest(s.masterAt, s.lowerAt) }

// due returns the frames per VIP to send at now for the bursts whose
// time has come, and moves the schedule on.
func (s *garpSchedule) due(now time.Time, c *InstanceConfig) int {
	n := 0
	if !s.masterAt.IsZero() && !now.Before(s.masterAt) {
		if s.refresh {
			n += max(c.GARPRefreshRepeat, 1)
		} else {
			n += max(c.GARPMasterRepeat, 1)
			s.refresh = true
		}
		s.masterAt = time.Time{}
		if c.GARPMasterRefresh > 0 {
			s.masterAt = now.Add(c.GARPMasterRefresh)
		}
	}
	if !s.lowerAt.IsZero() && !now.Before(s.lowerAt) {
		n += c.GARPLowerPrioRepeat
		s.lowerAt = time.Time{}
	}
	return n
}
