package checker

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTracker(t *testing.T) {
	type step struct {
		ok      bool
		changed bool
		state   State
	}
	tests := []struct {
		name       string
		rise, fall int
		start      Start
		steps      []step
	}{
		{
			name: "assume up, fall 3", rise: 2, fall: 3, start: StartUp,
			steps: []step{
				{false, false, StateUp}, {false, false, StateUp}, {true, false, StateUp}, // success resets the count
				{false, false, StateUp}, {false, false, StateUp}, {false, true, StateDown},
				{false, false, StateDown},
				{true, false, StateDown}, {true, true, StateUp}, {true, false, StateUp},
			},
		},
		{
			name: "alpha starts down, rise 2", rise: 2, fall: 1, start: StartDown,
			steps: []step{
				{true, false, StateDown}, {false, false, StateDown}, {true, false, StateDown},
				{true, true, StateUp}, {false, true, StateDown},
			},
		},
		{
			name: "unknown decided by first success", rise: 3, fall: 3, start: StartUnknown,
			steps: []step{{true, true, StateUp}, {false, false, StateUp}},
		},
		{
			name: "unknown decided by first failure", rise: 3, fall: 3, start: StartUnknown,
			steps: []step{{false, true, StateDown}, {true, false, StateDown}},
		},
		{
			name: "zero rise and fall mean one", rise: 0, fall: -1, start: StartUp,
			steps: []step{{false, true, StateDown}, {true, true, StateUp}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(tt.rise, tt.fall, tt.start)
			var got []step
			for _, s := range tt.steps {
				got = append(got, step{s.ok, tr.Observe(s.ok), tr.State()})
			}
			if diff := cmp.Diff(tt.steps, got, cmp.AllowUnexported(step{})); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTrackerCounts(t *testing.T) {
	tr := NewTracker(1, 5, StartUp)
	for range 3 {
		tr.Observe(false)
	}
	if tr.Failures() != 3 || tr.Successes() != 0 {
		t.Errorf("failures=%d successes=%d, want 3 and 0", tr.Failures(), tr.Successes())
	}
	tr.Observe(true)
	if tr.Failures() != 0 || tr.Successes() != 1 {
		t.Errorf("failures=%d successes=%d, want 0 and 1", tr.Failures(), tr.Successes())
	}
}
