package checker

// Tracker turns attempt outcomes into an up/down verdict with keepalived's
// hysteresis: Rise consecutive successes bring a target up, Fall
// consecutive failures take it down. It is a pure value with no clock, so
// the engine and tests drive it directly. Retries are not its business:
// the engine feeds it only counted outcomes.
type Tracker struct {
	rise, fall int
	state      State
	successes  int
	failures   int
}

// NewTracker returns a tracker in the state start implies. Rise and fall
// below 1 are taken as 1.
func NewTracker(rise, fall int, start Start) Tracker {
	t := Tracker{rise: max(rise, 1), fall: max(fall, 1)}
	switch start {
	case StartDown:
		t.state = StateDown
	case StartUnknown:
		t.state = StateUnknown
	default:
		t.state = StateUp
	}
	return t
}

// Observe records one counted outcome and reports whether the state
// changed. An unknown state is decided by the first outcome.
func (t *Tracker) Observe(ok bool) (changed bool) {
	if ok {
		t.successes++
		t.failures = 0
		if t.state != StateUp && (t.state == StateUnknown || t.successes >= t.rise) {
			t.state = StateUp
			return true
		}
		return false
	}
	t.failures++
	t.successes = 0
	if t.state != StateDown && (t.state == StateUnknown || t.failures >= t.fall) {
		t.state = StateDown
		return true
	}
	return false
}

// State returns the current verdict.
func (t Tracker) State() State { return t.state }

// Failures returns the number of consecutive failures observed.
func (t Tracker) Failures() int { return t.failures }

// Successes returns the number of consecutive successes observed.
func (t Tracker) Successes() int { return t.successes }
