package ipvsguest

// This file drives and measures a steady client request stream for the
// end-to-end tests of a director pair (e2e_test.go): one request per tick
// on a fresh connection, each recorded with its start time, outcome and
// the real server that answered, and a summary of any time window (failed
// requests, the longest stretch without a successful request). It
// implements no protocol; the HTTP exchange is a function the caller
// passes in. It carries no build tag, so load_test.go checks the
// measuring part in every test run, without root, a network or IPVS.

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Sample is one request of the stream.
type Sample struct {
	Start  time.Time
	Dur    time.Duration
	Server string // what answered; "" when the request failed
	Err    string // "" on success
}

// OK reports whether the request succeeded.
func (s Sample) OK() bool { return s.Err == "" }

// Get performs one request within ctx and returns the name of the server
// that answered.
type Get func(ctx context.Context) (server string, err error)

// Load sends one request every interval, each in its own goroutine so a
// hung request never delays the next, and keeps every sample.
type Load struct {
	now    func() time.Time
	mu     sync.Mutex
	recs   []Sample
	starts []time.Time // every request's start, recorded as it starts
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// stopped is set once Stop has waited for every request: those it
	// cut short are not recorded, and none is in flight any more.
	stopped bool
}

// StartLoad begins the stream; each request gets timeout. now is the clock
// (nil = time.Now).
func StartLoad(get Get, interval, timeout time.Duration, now func() time.Time) *Load {
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Load{now: now, cancel: cancel}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			start := l.now()
			l.mu.Lock()
			l.starts = append(l.starts, start)
			l.mu.Unlock()
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				rctx, rcancel := context.WithTimeout(ctx, timeout)
				name, err := get(rctx)
				rcancel()
				s := Sample{Start: start, Dur: l.now().Sub(start), Server: name}
				if err != nil {
					if ctx.Err() != nil {
						return // cut short by Stop: not a failure of the service
					}
					s.Server, s.Err = "", err.Error()
				}
				l.mu.Lock()
				l.recs = append(l.recs, s)
				l.mu.Unlock()
			}()
		}
	}()
	return l
}

// Stop ends the stream and waits for the requests in flight.
func (l *Load) Stop() {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
}

// StartGap is the longest time between two consecutive request starts
// inside [from, to). The stream starts a request every interval whatever
// the service does, and records each start as it happens, so a long
// StartGap is the test's own process (in the guest: the VM) not running,
// not the service failing. Only gaps between two starts count: a window
// may begin before the stream did.
func (l *Load) StartGap(from, to time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return longestGap(l.starts, from, to)
}

// longestGap is StartGap over starts, in the order they happened.
func longestGap(starts []time.Time, from, to time.Time) time.Duration {
	var gap time.Duration
	var prev time.Time
	for _, t := range starts {
		if t.Before(from) || !t.Before(to) {
			continue
		}
		if !prev.IsZero() {
			gap = max(gap, t.Sub(prev))
		}
		prev = t
	}
	return gap
}

// WaitFinished waits up to within until every request started before
// to has finished, and reports whether they all did. Samples holds only
// finished requests: a window summarised while some of its requests
// still wait for an answer (or their timeout) leaves them out, and
// undercounts the failures of an outage that has just ended. After Stop
// it returns true at once.
func (l *Load) WaitFinished(to time.Time, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for {
		l.mu.Lock()
		if l.stopped {
			l.mu.Unlock()
			return true
		}
		started, finished := 0, 0
		for _, t := range l.starts {
			if t.Before(to) {
				started++
			}
		}
		for _, s := range l.recs {
			if s.Start.Before(to) {
				finished++
			}
		}
		l.mu.Unlock()
		if finished >= started {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Samples returns the samples finished so far, ordered by start time.
func (l *Load) Samples() []Sample {
	l.mu.Lock()
	out := append([]Sample(nil), l.recs...)
	l.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// Window summarises the requests that started in [From, To).
type Window struct {
	From, To time.Time
	Sent     int
	Failed   int
	// Gap is the longest stretch of [From, To) without the start of a
	// successful request (edges included): the outage a user saw, to
	// within one request interval.
	Gap time.Duration
	// StartGap is Load.StartGap of the window, when the caller sets it:
	// from 250 ms String reports the stream itself stalled, which says
	// the failures around it need not be the service's.
	StartGap  time.Duration
	FirstFail time.Time // zero when none failed
	LastFail  time.Time
	Servers   map[string]int // successful answers per server
	Errors    map[string]int // failures per cause (the error text after its last ": ")
}

// Summarize computes the Window of samples (ordered by start) in [from, to).
func Summarize(samples []Sample, from, to time.Time) Window {
	w := Window{From: from, To: to, Servers: map[string]int{}, Errors: map[string]int{}}
	last := from
	for _, s := range samples {
		if s.Start.Before(from) || !s.Start.Before(to) {
			continue
		}
		w.Sent++
		if !s.OK() {
			w.Failed++
			if w.FirstFail.IsZero() {
				w.FirstFail = s.Start
			}
			w.LastFail = s.Start
			e := s.Err
			// Keep the cause ("connection refused"), not the addresses
			// and ports before it, so failures group.
			if i := strings.LastIndex(e, ": "); i >= 0 {
				e = e[i+2:]
			}
			if len(e) > 60 {
				e = e[len(e)-60:]
			}
			w.Errors[e]++
			continue
		}
		w.Servers[s.Server]++
		if d := s.Start.Sub(last); d > w.Gap {
			w.Gap = d
		}
		last = s.Start
	}
	if d := to.Sub(last); d > w.Gap {
		w.Gap = d
	}
	return w
}

// stallShown is the StartGap from which String reports a stall of the
// stream: over ten intervals of the e2e stream (20 ms).
const stallShown = 250 * time.Millisecond

// String renders w for a test log.
func (w Window) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d sent, %d failed, longest gap %v", w.Sent, w.Failed, w.Gap.Round(time.Millisecond))
	if w.Failed > 0 {
		fmt.Fprintf(&b, " (failures %v..%v after start)", w.FirstFail.Sub(w.From).Round(time.Millisecond), w.LastFail.Sub(w.From).Round(time.Millisecond))
	}
	if w.StartGap >= stallShown {
		fmt.Fprintf(&b, "; the stream itself stalled: %v between two request starts", w.StartGap.Round(time.Millisecond))
	}
	names := make([]string, 0, len(w.Servers))
	for n := range w.Servers {
		names = append(names, n)
	}
	sort.Strings(names)
	b.WriteString("; answers:")
	for _, n := range names {
		fmt.Fprintf(&b, " %s=%d", n, w.Servers[n])
	}
	if len(w.Errors) > 0 {
		errs := make([]string, 0, len(w.Errors))
		for e, n := range w.Errors {
			errs = append(errs, fmt.Sprintf("%dx %q", n, e))
		}
		sort.Strings(errs)
		b.WriteString("; errors: " + strings.Join(errs, ", "))
	}
	return b.String()
}

// SteadySince reports whether the last n samples (by start) all started
// at or after t and all succeeded: the stream has settled after t.
func SteadySince(samples []Sample, t time.Time, n int) bool {
	k := 0
	for i := len(samples) - 1; i >= 0 && k < n; i-- {
		s := samples[i]
		if s.Start.Before(t) {
			return false
		}
		if !s.OK() {
			return false
		}
		k++
	}
	return k == n
}
