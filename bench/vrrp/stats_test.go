package vrrpbench

import (
	"testing"
	"time"
)

func TestSummaries(t *testing.T) {
	ms3 := []time.Duration{30 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}
	for _, tc := range []struct {
		name, got, want string
	}{
		{"odd count: middle value", summary(ms3, ms), "20 ms (10 ms … 30 ms)"},
		{"even count: mean of the middle two", summary(ms3[:2], ms), "20 ms (10 ms … 30 ms)"},
		{"one sample", summary(ms3[:1], us), "30000 µs (30000 µs … 30000 µs)"},
		{"no samples", summary(nil, ms), "–"},
		{"floats", summaryF([]float64{1.5, 0.5, 1}, "%.2f"), "1.00 (0.50 … 1.50)"},
		{"floats, none", summaryF(nil, "%.2f"), "–"},
		{"ratio of medians", ratio(median(ms3), median(ms3[1:])), "1.33"},
		{"ratio to nothing", ratio(time.Second, 0), "–"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if m := median(ms3); ms3[0] != 30*time.Millisecond || m != 20*time.Millisecond {
		t.Errorf("median %v, or it sorted its argument: %v", m, ms3)
	}
}
