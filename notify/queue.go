package notify

import (
	"context"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"
)

// delivery is one queued attempt to tell someone something: a script
// run, a mail or a webhook POST, with its retries inside.
type delivery func(ctx context.Context) error

// counters are the cumulative numbers of one channel.
type counters struct {
	delivered, failed, dropped atomic.Uint64
}

// ChannelStats are the numbers of one channel since New.
type ChannelStats struct {
	Delivered uint64 // deliveries that succeeded
	Failed    uint64 // deliveries that failed after their retries
	Dropped   uint64 // deliveries dropped: queue full, closed or cancelled
	Pending   int    // queued, not yet started
	InFlight  int    // being delivered now
}

func (c *counters) snapshot() ChannelStats {
	return ChannelStats{Delivered: c.delivered.Load(), Failed: c.failed.Load(), Dropped: c.dropped.Load()}
}

// serialQueue delivers its items one at a time in push order. It has no
// goroutine while empty: push starts a worker when none runs, and the
// worker ends when the queue is empty, so thousands of idle script
// targets cost nothing. push never waits for a delivery: when the queue
// holds max items the oldest is dropped and counted.
type serialQueue struct {
	ctx   context.Context // cancelled when Close gives up draining
	wg    *sync.WaitGroup
	stats *counters
	log   *zap.Logger

	mu       sync.Mutex
	items    []delivery
	head     int
	max      int
	running  bool
	inflight bool
	closed   bool
}

func newSerialQueue(ctx context.Context, wg *sync.WaitGroup, stats *counters, log *zap.Logger, max int) *serialQueue {
	if max < 1 {
		max = 1
	}
	return &serialQueue{ctx: ctx, wg: wg, stats: stats, log: log, max: max}
}

// push queues d and reports whether it was accepted; it drops the oldest
// item when full (still accepting d) and refuses d once closed.
func (q *serialQueue) push(d delivery) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		q.stats.dropped.Add(1)
		return false
	}
	if len(q.items)-q.head >= q.max {
		q.items[q.head] = nil
		q.head++
		q.stats.dropped.Add(1)
	}
	// Compact once the dead prefix is as long as the live part, which
	// keeps push amortised O(1) and memory bounded by 2*max.
	if q.head > 0 && q.head >= len(q.items)-q.head {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items = q.items[:n]
		q.head = 0
	}
	q.items = append(q.items, d)
	if !q.running {
		q.running = true
		q.wg.Add(1)
		go q.work()
	}
	return true
}

func (q *serialQueue) work() {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		if q.head == len(q.items) {
			q.items, q.head = q.items[:0], 0
			q.running, q.inflight = false, false
			q.mu.Unlock()
			return
		}
		d := q.items[q.head]
		q.items[q.head] = nil
		q.head++
		q.inflight = true
		q.mu.Unlock()

		if q.ctx.Err() != nil { // Close gave up: drop what is left
			q.stats.dropped.Add(1)
			continue
		}
		if err := d(q.ctx); err != nil {
			// Log before counting: whoever sees the count (status,
			// metrics, tests) can then also find the reason.
			q.log.Warn("notification failed", zap.Error(err))
			q.stats.failed.Add(1)
		} else {
			q.stats.delivered.Add(1)
		}
	}
}

// setMax changes the bound for later pushes; items already queued stay.
func (q *serialQueue) setMax(max int) {
	if max < 1 {
		max = 1
	}
	q.mu.Lock()
	q.max = max
	q.mu.Unlock()
}

// close refuses later pushes; queued items are still delivered.
func (q *serialQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}

// load returns the queued and in-flight counts.
func (q *serialQueue) load() (pending, inflight int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	pending = len(q.items) - q.head
	if q.inflight {
		inflight = 1
	}
	return pending, inflight
}
