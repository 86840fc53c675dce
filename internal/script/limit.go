package script

import (
	"context"
	"sync"
)

// DefaultMaxProcs is how many scripts may run at once when the config
// does not say (global max_script_processes).
const DefaultMaxProcs = 64

// Limiter bounds how many scripts run at once. Waiters are served first
// come, first served, track scripts (vrrp_script) before the others; and
// the others may never take the last Reserve slots, which only track
// scripts use, so ten thousand hung misc_checks or a storm of notify
// scripts cannot delay the scripts that move VRRP priorities. The limit
// can change at any time (a reload); running scripts are never stopped
// by a lower one, new ones wait until the count is under it.
type Limiter struct {
	mu      sync.Mutex
	max     int
	inUse   int
	peak    int
	track   []chan struct{} // waiting track scripts, oldest first
	other   []chan struct{} // waiting other scripts, oldest first
	waiting int
}

// NewLimiter returns a limiter of max slots (at least 1).
func NewLimiter(max int) *Limiter {
	l := &Limiter{}
	l.SetMax(max)
	return l
}

// reserve is how many of max slots only track scripts may take: an
// eighth, at least one when there are two or more.
func reserve(slots int) int {
	if slots < 2 {
		return 0
	}
	return max(1, slots/8)
}

// SetMax changes the number of slots (values below 1 mean 1) and lets in
// whoever now fits.
func (l *Limiter) SetMax(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.max = max(n, 1)
	l.grant()
}

// Acquire waits for a slot, track or not, and returns the function that
// gives it back (call it exactly once), or ctx's error if ctx ends first.
func (l *Limiter) Acquire(ctx context.Context, track bool) (release func(), err error) {
	l.mu.Lock()
	if l.fits(track) && len(l.track) == 0 && (track || len(l.other) == 0) {
		l.take()
		l.mu.Unlock()
		return l.releaseOnce(), nil
	}
	ch := make(chan struct{})
	if track {
		l.track = append(l.track, ch)
	} else {
		l.other = append(l.other, ch)
	}
	l.waiting++
	l.mu.Unlock()
	select {
	case <-ch:
		return l.releaseOnce(), nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		select {
		case <-ch: // granted meanwhile: hand it on
			l.inUse--
			l.grant()
		default:
			l.track = removeChan(l.track, ch)
			l.other = removeChan(l.other, ch)
			l.waiting--
		}
		return nil, ctx.Err()
	}
}

// Stats returns the slots in use now, the most ever in use at once and
// how many callers wait.
func (l *Limiter) Stats() (inUse, peak, waiting int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inUse, l.peak, l.waiting
}

func (l *Limiter) fits(track bool) bool {
	if track {
		return l.inUse < l.max
	}
	return l.inUse < l.max-reserve(l.max)
}

func (l *Limiter) take() {
	l.inUse++
	l.peak = max(l.peak, l.inUse)
}

// grant hands free slots to waiters, track scripts first; l.mu is held.
func (l *Limiter) grant() {
	for len(l.track) > 0 && l.fits(true) {
		l.take()
		l.waiting--
		close(l.track[0])
		l.track = l.track[1:]
	}
	for len(l.other) > 0 && l.fits(false) {
		l.take()
		l.waiting--
		close(l.other[0])
		l.other = l.other[1:]
	}
}

func (l *Limiter) releaseOnce() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.inUse--
			l.grant()
			l.mu.Unlock()
		})
	}
}

func removeChan(s []chan struct{}, ch chan struct{}) []chan struct{} {
	for i, c := range s {
		if c == ch {
			return append(s[:i], s[i+1:]...)
		}
	}
	return s
}

// procs is the daemon-wide limit Run applies. It is process-wide on
// purpose, like RLIMIT_NPROC: checks and notifications are separate
// leaves, and the bound is on the processes the daemon forks, whoever
// asks.
var procs = NewLimiter(DefaultMaxProcs)

// SetMaxProcs sets how many scripts Run lets run at once, daemon-wide
// (global max_script_processes); n < 1 means DefaultMaxProcs.
func SetMaxProcs(n int) {
	if n < 1 {
		n = DefaultMaxProcs
	}
	procs.SetMax(n)
}

// ProcStats is procs.Stats: scripts running now, the peak, and waiters.
func ProcStats() (running, peak, waiting int) { return procs.Stats() }
