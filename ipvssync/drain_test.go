package ipvssync

import (
	"testing"
	"time"
)

func TestKeepDraining(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		name    string
		active  int
		age     time.Duration
		timeout time.Duration
		want    bool
	}{
		{"no drain timeout: leaves at once", 5, 0, 0, false},
		{"first sight, idle: quiesced first", 0, 0, time.Minute, true},
		{"within the grace, idle: still quiesced", 0, QuiesceGrace - time.Millisecond, time.Minute, true},
		{"after the grace, idle: leaves", 0, QuiesceGrace, time.Minute, false},
		{"after the grace, active: stays", 2, 5 * time.Second, time.Minute, true},
		{"timeout: leaves with connections", 2, time.Minute, time.Minute, false},
		{"timeout shorter than the grace bounds it", 0, 500 * time.Millisecond, 500 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := KeepDraining(tc.active, t0, t0.Add(tc.age), tc.timeout); got != tc.want {
				t.Errorf("KeepDraining(%d, age %v, timeout %v) = %v, want %v", tc.active, tc.age, tc.timeout, got, tc.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	min, max := 100*time.Millisecond, 5*time.Second
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {3, 400 * time.Millisecond},
		{6, 3200 * time.Millisecond}, {7, 5 * time.Second}, {1000, 5 * time.Second},
	} {
		if got := Backoff(tc.failures, min, max); got != tc.want {
			t.Errorf("Backoff(%d) = %v, want %v", tc.failures, got, tc.want)
		}
	}
}
