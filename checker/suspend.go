package checker

// Suspend stops (on) or resumes (!on) the check with this id, for
// keepalived's ha_suspend: the checks of a virtual server whose address
// is not on this host do not run. A suspended check keeps its state,
// counters and last result and sends no event; an attempt already
// running finishes and counts, but is not followed by another. Resuming
// runs the check at once, not at its next interval, so a director that
// gains the address learns its real servers' health within one attempt.
//
// The engine remembers the choice by ID, also for a check Set has not
// added yet, and it survives Set: a caller suspends before Set, so a new
// check never runs while it should not.
func (e *Engine) Suspend(id string, on bool) {
	now := e.clock.Now() // before e.mu, as in Run
	e.mu.Lock()
	defer e.mu.Unlock()
	if on == e.suspend[id] {
		return
	}
	if on {
		if e.suspend == nil {
			e.suspend = map[string]bool{}
		}
		e.suspend[id] = true
	} else {
		delete(e.suspend, id)
	}
	c := e.checks[id]
	if c == nil {
		return
	}
	c.suspended = on
	switch {
	case on:
		e.sched.remove(id)
	case !c.running:
		c.attempt = 0
		e.sched.set(id, now)
	}
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Suspended reports whether the check with this id is suspended.
func (e *Engine) Suspended(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.suspend[id]
}

// unscheduleSuspended takes a check that was suspended while its attempt
// ran out of the schedule complete put it back into.
func (e *Engine) unscheduleSuspended(id string, c *entry) {
	if e.checks[id] == c && c.suspended {
		e.sched.remove(id)
	}
}
