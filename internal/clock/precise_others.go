//go:build !linux

package clock

// Precise is Real where there is no timerfd: the runtime's timers.
func Precise() Clock { return Real() }
