package checker

import (
	"container/heap"
	"hash/fnv"
	"time"
)

// schedule is a min-heap of checks keyed by due time, ties broken by
// insertion order, with an index so a check can be moved or removed in
// O(log n). One heap serves every check: 10,000 checks cost 10,000 small
// entries, not 10,000 goroutines and timers.
type schedule struct {
	items []*slot
	byID  map[string]*slot
	seq   uint64
}

type slot struct {
	id    string
	due   time.Time
	seq   uint64
	index int
}

func newSchedule() *schedule { return &schedule{byID: make(map[string]*slot)} }

// set schedules id at due, moving it if already scheduled.
func (s *schedule) set(id string, due time.Time) {
	s.seq++
	if it, ok := s.byID[id]; ok {
		it.due, it.seq = due, s.seq
		heap.Fix((*slotHeap)(s), it.index)
		return
	}
	it := &slot{id: id, due: due, seq: s.seq}
	s.byID[id] = it
	heap.Push((*slotHeap)(s), it)
}

func (s *schedule) remove(id string) {
	if it, ok := s.byID[id]; ok {
		heap.Remove((*slotHeap)(s), it.index)
		delete(s.byID, id)
	}
}

func (s *schedule) has(id string) bool { _, ok := s.byID[id]; return ok }

func (s *schedule) len() int { return len(s.items) }

// next returns the earliest entry without removing it.
func (s *schedule) next() (id string, due time.Time, ok bool) {
	if len(s.items) == 0 {
		return "", time.Time{}, false
	}
	return s.items[0].id, s.items[0].due, true
}

// pop removes and returns the earliest entry.
func (s *schedule) pop() (string, time.Time) {
	it := heap.Pop((*slotHeap)(s)).(*slot)
	delete(s.byID, it.id)
	return it.id, it.due
}

type slotHeap schedule

func (h *slotHeap) Len() int { return len(h.items) }
func (h *slotHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if !a.due.Equal(b.due) {
		return a.due.Before(b.due)
	}
	return a.seq < b.seq
}
func (h *slotHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index, h.items[j].index = i, j
}
func (h *slotHeap) Push(x any) {
	it := x.(*slot)
	it.index = len(h.items)
	h.items = append(h.items, it)
}
func (h *slotHeap) Pop() any {
	n := len(h.items) - 1
	it := h.items[n]
	h.items[n] = nil
	h.items = h.items[:n]
	return it
}

// spread returns a fraction in [0,1) derived from the check's ID and a
// salt. First runs are placed at spread×Interval after a (re)load, so that
// thousands of checks loaded at once fan out over the interval, and the
// same check lands at the same offset on every start, which keeps tests
// and reloads predictable.
func spread(id, salt string) float64 {
	h := fnv.New64a()
	h.Write([]byte(salt))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return float64(h.Sum64()>>11) / (1 << 53)
}

// firstDelay is how long after being added a check first runs: a hashed
// point within Warmup when set (keepalived's random warmup delay), else
// within Interval.
func firstDelay(s Spec) time.Duration {
	if s.Warmup > 0 {
		return time.Duration(spread(s.ID, "warmup") * float64(s.Warmup))
	}
	return time.Duration(spread(s.ID, "interval") * float64(s.Interval))
}
