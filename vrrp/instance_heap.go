package vrrp

import (
	"container/heap"
	"time"
)

// wakeHeap orders instances by their next wake-up (the machine's
// deadline or the next GARP burst, whichever is first; none sorts last),
// so the loop finds the earliest deadline and the due instances in
// O(log n) however many instances run: with 1,000 masters the loop wakes
// 1,000 times a second.
type wakeHeap []*instance

func (h wakeHeap) Len() int { return len(h) }

func (h wakeHeap) Less(i, j int) bool {
	a, b := h[i].wake, h[j].wake
	if a.IsZero() || b.IsZero() {
		return !a.IsZero() && b.IsZero()
	}
	return a.Before(b)
}

func (h wakeHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx, h[j].hidx = i, j
}

func (h *wakeHeap) Push(x any) {
	in := x.(*instance)
	in.hidx = len(*h)
	*h = append(*h, in)
}

func (h *wakeHeap) Pop() any {
	old := *h
	in := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	in.hidx = -1
	return in
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// touch re-files in after its deadlines may have changed and wakes the
// loop if in now needs it earlier than the timer is armed for.
func (r *Router) touch(in *instance) {
	in.wake = earliest(earliest(in.m.Deadline(), in.garp.next()), in.faults.wake())
	if in.hidx >= 0 {
		heap.Fix(&r.heap, in.hidx)
	}
	if !in.wake.IsZero() && (r.armedAt.IsZero() || in.wake.Before(r.armedAt)) {
		r.poke()
	}
}

func (r *Router) heapAdd(in *instance) {
	in.wake = earliest(earliest(in.m.Deadline(), in.garp.next()), in.faults.wake())
	heap.Push(&r.heap, in)
}

func (r *Router) heapRemove(in *instance) {
	if in.hidx >= 0 {
		heap.Remove(&r.heap, in.hidx)
	}
}
