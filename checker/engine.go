package checker

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/internal/clock"
)

// DefaultWorkers is the worker pool size when Options.Workers is zero.
// Checks mostly wait on the network, so the pool is sized for waiting:
// 10,000 checks every 60s that all time out after 5s need about 830.
const DefaultWorkers = 64

// ErrRunning is returned by Run when the engine is already running.
var ErrRunning = errors.New("engine is already running")

// Options configure an Engine. Every field is optional.
type Options struct {
	Workers  int
	Logger   *zap.Logger                 // nil: zap.NewNop(); used for debug lines only
	Clock    clock.Clock                 // nil: clock.Real(); tests pass a clock.Fake
	NewCheck func(Spec) (Checker, error) // default New; tests inject fakes

	// OnEvent receives every verdict change, in order, from the engine's
	// goroutine; it must not block for long (hand off to a channel).
	OnEvent func(Event)
	// OnResult receives every attempt, retries included, with its
	// check's kind, for metrics; same rules as OnEvent.
	OnResult func(id string, kind Kind, r Result)
	// DialEach runs every tcp_check attempt on a goroutine of its own
	// through net.Dialer, as before the shared connect loop; the
	// benchmark compares the two.
	DialEach bool
}

// Status is a snapshot of one check, for a status command.
type Status struct {
	// Spec is the check's spec with defaults applied, shared with the
	// engine, which never changes a spec it holds (Set replaces it):
	// read it, never write through it. A status is copied for every
	// check at every status read and scrape, and a Spec by value made
	// that 400 bytes a check instead of 150.
	Spec     *Spec
	State    State
	Failures int
	Weight   *int
	Last     Result // zero before the first attempt
	LastTime time.Time
	Running  bool
}

// Engine runs many checks from one min-heap scheduler and a bounded pool
// of workers. A check is rescheduled only when its attempt has finished,
// so it never runs concurrently with itself.
type Engine struct {
	workers  atomic.Int64 // the pool's size; SetWorkers changes it
	log      *zap.Logger
	clock    clock.Clock
	newCheck func(Spec) (Checker, error)
	onEvent  func(Event)
	onResult func(string, Kind, Result)
	connect  bool // bare TCP connects go through a connector

	running atomic.Bool
	wake    chan struct{}

	mu      sync.Mutex
	checks  map[string]*entry
	sched   *schedule
	gen     uint64
	suspend map[string]bool // by Suspend; also for IDs Set has not seen yet
}

type entry struct {
	spec      Spec
	checker   Checker
	tracker   Tracker
	gen       uint64 // changes when the spec is replaced
	attempt   int    // failed attempts so far in the current retry run
	running   bool
	dueAt     time.Time // when the running (or last) attempt was due
	weight    *int
	last      Result
	lastTime  time.Time
	suspended bool // by Suspend: not scheduled, state kept
}

type job struct {
	id      string
	gen     uint64
	kind    Kind
	checker Checker
}

type outcome struct {
	job
	res Result
}

// NewEngine returns an engine with no checks.
func NewEngine(o Options) *Engine {
	e := &Engine{
		log:      o.Logger,
		clock:    clock.OrReal(o.Clock),
		newCheck: o.NewCheck,
		onEvent:  o.OnEvent,
		onResult: o.OnResult,
		connect:  !o.DialEach,
		wake:     make(chan struct{}, 1),
		checks:   make(map[string]*entry),
		sched:    newSchedule(),
	}
	e.SetWorkers(o.Workers)
	if e.log == nil {
		e.log = zap.NewNop()
	}
	e.log = e.log.With(zap.String("component", "checker"))
	if e.newCheck == nil {
		e.newCheck = New
	}
	return e
}

// SetWorkers changes how many attempts may run at once (n <= 0 means
// DefaultWorkers), at any time, so a reload that adds thousands of checks
// grows the pool and one that removes them shrinks it. Attempts already
// running above a lower limit finish; no new one starts until the count
// is under it.
func (e *Engine) SetWorkers(n int) {
	if n <= 0 {
		n = DefaultWorkers
	}
	e.workers.Store(int64(n))
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Workers returns the pool's current size.
func (e *Engine) Workers() int { return int(e.workers.Load()) }

// Set replaces the engine's checks with specs, matching them by ID. A
// check whose spec (with defaults applied) is unchanged keeps its state,
// counters and place in the schedule; its Checker is still rebuilt, so
// files it names (CA, client certificate) and its user are read again. A new or changed check starts
// afresh in its Initial state, without an event, and first runs at its
// hashed offset within Warmup or Interval; if its previous version is
// still running, the new one waits for that attempt to finish (whose
// result is discarded). Checks not in specs are removed. Set may be
// called before or during Run.
//
// Set returns an error naming every spec with an empty or duplicate ID
// (skipped) or one New refused; a refused spec is still scheduled, with a
// checker that always fails with the build error as its reason, so its
// target is not silently taken as healthy.
func (e *Engine) Set(specs []Spec) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	var errs []error
	seen := make(map[string]bool, len(specs))
	for _, s := range specs {
		if s.ID == "" {
			errs = append(errs, errors.New("check with empty id"))
			continue
		}
		if seen[s.ID] {
			errs = append(errs, fmt.Errorf("check %s: duplicate id", s.ID))
			continue
		}
		seen[s.ID] = true
		s = s.withDefaults()
		// Rebuilt even when unchanged, so a reload re-reads CA files,
		// client certificates and users.
		chk, err := e.newCheck(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("check %s: %w", s.ID, err))
			chk = broken{reason: "bad check: " + err.Error()}
		}
		old := e.checks[s.ID]
		if old != nil && reflect.DeepEqual(old.spec, s) {
			old.checker = chk // an attempt already running keeps its own
			continue
		}
		e.gen++
		c := &entry{spec: s, checker: chk, tracker: NewTracker(s.Rise, s.Fall, s.Initial), gen: e.gen}
		c.suspended = e.suspend[s.ID]
		switch {
		case old != nil && old.running:
			c.running = true // complete schedules it
		case !c.suspended:
			e.sched.set(s.ID, now.Add(firstDelay(s)))
		}
		e.checks[s.ID] = c
	}
	for id := range e.checks {
		if !seen[id] {
			delete(e.checks, id)
			e.sched.remove(id)
		}
	}
	select {
	case e.wake <- struct{}{}:
	default:
	}
	return errors.Join(errs...)
}

// Status returns a snapshot of the check with this ID.
func (e *Engine) Status(id string) (Status, bool) { return e.StatusOf([]byte(id)) }

// StatusOf is Status for an ID built in a caller's buffer: a status
// snapshot asks for each of 10,000 real servers' checks in turn, and a
// string made for each lookup would be garbage of its own.
func (e *Engine) StatusOf(id []byte) (Status, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.checks[string(id)]
	if !ok {
		return Status{}, false
	}
	return c.status(), true
}

// Statuses returns a snapshot of every check, sorted by ID.
func (e *Engine) Statuses() []Status {
	e.mu.Lock()
	out := make([]Status, 0, len(e.checks))
	for _, c := range e.checks {
		out = append(out, c.status())
	}
	e.mu.Unlock()
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.Spec.ID, b.Spec.ID) })
	return out
}

func (c *entry) status() Status {
	return Status{
		Spec:     &c.spec,
		State:    c.tracker.State(),
		Failures: c.tracker.Failures(),
		Weight:   copyInt(c.weight),
		Last:     c.last,
		LastTime: c.lastTime,
		Running:  c.running,
	}
}

// Run schedules and runs checks until ctx is done, then waits for running
// attempts to return (they see ctx cancelled) and returns nil. It returns
// ErrRunning if the engine is already running.
func (e *Engine) Run(ctx context.Context) error {
	if !e.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer e.running.Store(false)

	// Each attempt runs on a goroutine of its own or, for a bare TCP
	// connect, in the connector's epoll loop (connect_linux.go); at most
	// Workers() at once. Results go to an inbox this loop empties whole:
	// posting never blocks, so neither an attempt's goroutine nor the
	// connector ever waits for this loop. Through a channel of 256, the
	// connector blocked on each burst larger than that and then waited
	// to be scheduled again, which stalled the connects behind it by up
	// to 100 ms at 20,000 checks a second.
	box := newInbox()
	var batch []outcome
	var wg sync.WaitGroup
	busy := 0
	var conn *connector     // made at the first bare connect
	tryConnect := e.connect // false once newConnector failed: not retried per attempt
	defer e.stopped()
	defer func() {
		if conn != nil {
			conn.stop() // its attempts report "cancelled"
		}
		wg.Wait() // the goroutines' attempts see ctx cancelled
		if conn != nil {
			conn.wait()
		}
	}()

	timer := e.clock.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		now := e.clock.Now()
		limit := e.Workers()
		e.mu.Lock()
		out := e.dispatch(now, limit-busy)
		_, due, pending := e.sched.next()
		e.mu.Unlock()
		for _, j := range out {
			if tc, ok := j.checker.(*tcpChecker); ok && tryConnect && tc.plain() {
				if conn == nil {
					conn = newConnector()
					tryConnect = conn != nil
				}
				if conn != nil {
					wg.Add(1)
					conn.start(tc.to, tc.bind, tc.timeout, func(r Result) { box.post(outcome{j, r}); wg.Done() })
					continue
				}
			}
			wg.Go(func() { box.post(outcome{j, j.checker.Check(ctx)}) })
		}
		busy += len(out)
		if pending && busy < limit {
			timer.Reset(max(due.Sub(now), 0))
		} else {
			timer.Stop() // woken by a result, by Set or by SetWorkers
		}

		select {
		case <-ctx.Done():
			return nil
		case <-timer.C():
		case <-e.wake:
		case <-box.ready:
			// Everything that has arrived, in one turn: at thousands of
			// attempts a second, one loop turn per result would make the
			// loop itself the limit.
			batch = box.take(batch)
			for i, o := range batch {
				e.finish(o)
				batch[i] = outcome{}
			}
			busy -= len(batch)
		}
	}
}

// inbox collects finished attempts for the engine's loop.
type inbox struct {
	mu    sync.Mutex
	items []outcome
	ready chan struct{} // holds a token while items may be waiting
}

func newInbox() *inbox { return &inbox{ready: make(chan struct{}, 1)} }

// post adds o; it never blocks.
func (b *inbox) post(o outcome) {
	b.mu.Lock()
	b.items = append(b.items, o)
	first := len(b.items) == 1
	b.mu.Unlock()
	if first {
		select {
		case b.ready <- struct{}{}:
		default: // a token is already waiting
		}
	}
}

// take returns everything posted so far and keeps spare, emptied, for
// the next posts, so the two slices swap without allocating.
func (b *inbox) take(spare []outcome) []outcome {
	b.mu.Lock()
	out := b.items
	b.items = spare[:0]
	b.mu.Unlock()
	return out
}

// finish folds one attempt's outcome into its check and reports it.
func (e *Engine) finish(o outcome) {
	// The clock is read before taking e.mu, never under it: a clock
	// with a lock of its own (the tests') may call back.
	done := e.clock.Now()
	e.mu.Lock()
	ev, counted := e.complete(done, o)
	e.mu.Unlock()
	if counted && e.onResult != nil {
		e.onResult(o.id, o.kind, o.res)
	}
	if ev != nil {
		e.log.Debug("verdict changed", zap.String("check", ev.ID), zap.Bool("up", ev.Up), zap.String("reason", ev.Reason))
		if e.onEvent != nil {
			e.onEvent(*ev)
		}
	}
}

// stopped reschedules the checks whose attempts Run abandoned, so a later
// Run picks them up.
func (e *Engine) stopped() {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	for id, c := range e.checks {
		if c.running {
			c.running = false
			e.sched.set(id, now)
		}
	}
}

// dispatch pops up to free checks due at now and marks them running.
func (e *Engine) dispatch(now time.Time, free int) []job {
	var out []job
	for ; free > 0; free-- {
		id, due, ok := e.sched.next()
		if !ok || due.After(now) {
			break
		}
		e.sched.pop()
		c := e.checks[id]
		c.running = true
		c.dueAt = due
		out = append(out, job{id: id, gen: c.gen, kind: c.spec.Kind, checker: c.checker})
	}
	return out
}

// complete folds a finished attempt into its check at now, schedules the
// next attempt and returns the event to send, if any. counted is false
// for the results of removed or replaced checks, which are dropped.
func (e *Engine) complete(now time.Time, o outcome) (ev *Event, counted bool) {
	c := e.checks[o.id]
	if c == nil {
		return nil, false // removed while running
	}
	defer e.unscheduleSuspended(o.id, c)
	c.running = false
	if c.gen != o.gen { // replaced while running: start the new one now
		e.sched.set(o.id, now.Add(firstDelay(c.spec)))
		return nil, false
	}
	r := o.res
	c.last, c.lastTime = r, now
	if !r.OK && c.attempt < c.spec.Retry {
		c.attempt++
		e.sched.set(o.id, now.Add(c.spec.DelayBeforeRetry))
		return nil, true
	}
	c.attempt = 0
	// The interval runs from when the attempt was due, not from its end,
	// so a backend that hangs until the timeout is still detected within
	// fall × interval + timeout, and not from when it was dispatched
	// either, so a loop that wakes late does not push every later
	// attempt back: counted from the dispatch, 20,000 checks at 1 s ran
	// 19,200–19,700 a second on a loaded machine, each late dispatch
	// (up to 100 ms, measured) lost for good. An attempt longer than
	// the interval is followed at once, never overlapped.
	e.sched.set(o.id, laterOf(c.dueAt.Add(c.spec.Interval), now))

	changed := c.tracker.Observe(r.OK)
	weightChanged := false
	if r.OK && r.Weight != nil && (c.weight == nil || *c.weight != *r.Weight) {
		c.weight = copyInt(r.Weight)
		weightChanged = true
	}
	up := c.tracker.State() == StateUp
	if !changed && !(weightChanged && up) {
		return nil, true
	}
	return &Event{
		ID:           c.spec.ID,
		Name:         c.spec.Name,
		Kind:         c.spec.Kind,
		Target:       c.spec.Target,
		Up:           up,
		StateChanged: changed,
		Reason:       r.Reason,
		Latency:      r.Latency,
		Failures:     c.tracker.Failures(),
		Weight:       copyInt(c.weight),
		Time:         now,
	}, true
}

func copyInt(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
