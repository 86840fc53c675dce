package config

// preemptRules applies keepalived 2.2.7's rules for nopreempt and
// preempt_delay, which it reports and then enforces by clearing the
// setting (measured with keepalived -t, see
// docs/notes/keepalived-vroutes.md): lbhad clears the same settings, so
// a migrated pair elects the same way, and the warning says what the
// instance actually does.
func (b *builder) preemptRules(r *rawInstance, in *Instance) {
	if in.State == StateMaster && in.Nopreempt {
		b.warnf(r.Nopreempt.Range(), "nopreempt with state MASTER is ignored", "keepalived 2.2.7 clears nopreempt on an instance with state \"MASTER\", and so does lbhad: this instance takes over from a lower-priority master. For nopreempt, set state = \"BACKUP\" (on both routers).")
		in.Nopreempt = false
	}
	if in.State == StateMaster && in.PreemptDelay > 0 {
		b.warnf(r.PreemptDelay.Range(), "preempt_delay with state MASTER is ignored", "keepalived 2.2.7 clears preempt_delay on an instance with state \"MASTER\", and so does lbhad: this instance preempts without delay. For a delay, set state = \"BACKUP\".")
		in.PreemptDelay = 0
	}
	if in.Nopreempt && in.PreemptDelay > 0 {
		b.warnf(r.PreemptDelay.Range(), "preempt_delay with nopreempt is ignored", "An instance with nopreempt never preempts, so there is nothing to delay; keepalived 2.2.7 resets preempt_delay, and so does lbhad.")
		in.PreemptDelay = 0
	}
	if in.Nopreempt && in.Priority == 255 {
		b.warnf(r.Nopreempt.Range(), "nopreempt with priority 255 is ignored", "The address owner (priority 255) always takes over, as RFC 3768 requires; keepalived 2.2.7 resets nopreempt on it, and so does lbhad.")
		in.Nopreempt = false
	}
}
