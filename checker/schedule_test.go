package checker

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestScheduleOrder(t *testing.T) {
	s := newSchedule()
	rng := rand.New(rand.NewPCG(1, 2))
	want := make(map[string]time.Time)
	for i := range 500 {
		id := fmt.Sprint("c", i)
		due := t0.Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
		s.set(id, due)
		want[id] = due
	}
	// Move some, remove some.
	for i := 0; i < 500; i += 7 {
		id := fmt.Sprint("c", i)
		due := t0.Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
		s.set(id, due)
		want[id] = due
	}
	for i := 3; i < 500; i += 11 {
		id := fmt.Sprint("c", i)
		s.remove(id)
		delete(want, id)
	}
	s.remove("never-added")
	if s.len() != len(want) {
		t.Fatalf("len = %d, want %d", s.len(), len(want))
	}
	var last time.Time
	for s.len() > 0 {
		id, due := s.pop()
		if due.Before(last) {
			t.Fatalf("popped %s at %v after %v", id, due, last)
		}
		if !due.Equal(want[id]) {
			t.Fatalf("popped %s at %v, want %v", id, due, want[id])
		}
		if s.has(id) {
			t.Fatalf("%s still indexed after pop", id)
		}
		delete(want, id)
		last = due
	}
	if len(want) != 0 {
		t.Errorf("never popped: %v", want)
	}
}

func TestScheduleTiesAreFIFO(t *testing.T) {
	s := newSchedule()
	for _, id := range []string{"b", "a", "c"} {
		s.set(id, t0)
	}
	s.set("b", t0) // re-setting moves b behind the others
	var got []string
	for s.len() > 0 {
		id, _ := s.pop()
		got = append(got, id)
	}
	if diff := cmp.Diff([]string{"a", "c", "b"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// 10,000 checks loaded at once must not all fire at once: their first runs
// spread evenly over the interval. The hash is deterministic, so the
// bounds below are checked against fixed data, not chance.
func TestFirstRunsSpread(t *testing.T) {
	const n = 10000
	interval := 60 * time.Second
	buckets := make([]int, 60)
	for i := range n {
		s := Spec{ID: fmt.Sprintf("vs%d/10.0.%d.%d:80", i%7, i/256, i%256), Interval: interval}
		d := firstDelay(s)
		if d < 0 || d >= interval {
			t.Fatalf("first delay %v outside [0, %v)", d, interval)
		}
		if d != firstDelay(s) {
			t.Fatal("first delay is not deterministic")
		}
		buckets[d/time.Second]++
	}
	mean := n / len(buckets)
	if lo, hi := slices.Min(buckets), slices.Max(buckets); lo < mean/2 || hi > mean*2 {
		t.Errorf("per-second first runs range %d..%d, want within %d..%d", lo, hi, mean/2, mean*2)
	}
}

func TestFirstRunWithinWarmup(t *testing.T) {
	for i := range 1000 {
		s := Spec{ID: fmt.Sprint(i), Interval: time.Hour, Warmup: 3 * time.Second}
		if d := firstDelay(s); d < 0 || d >= s.Warmup {
			t.Fatalf("first delay %v outside warmup %v", d, s.Warmup)
		}
	}
}
