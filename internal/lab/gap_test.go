package lab

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLongestGap(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name     string
		times    []time.Time
		from, to time.Time
		want     Gap
	}{
		{"no events: whole window", nil, ms(0), ms(500), Gap{ms(0), ms(500), 500 * time.Millisecond}},
		{"middle gap", []time.Time{ms(10), ms(20), ms(330), ms(340)}, ms(0), ms(350), Gap{ms(20), ms(330), 310 * time.Millisecond}},
		{"unsorted", []time.Time{ms(330), ms(10), ms(340), ms(20)}, ms(0), ms(350), Gap{ms(20), ms(330), 310 * time.Millisecond}},
		{"stops early: gap to window end", []time.Time{ms(10), ms(20)}, ms(0), ms(900), Gap{ms(20), ms(900), 880 * time.Millisecond}},
		{"events outside window ignored", []time.Time{ms(-500), ms(10), ms(20), ms(30), ms(5000)}, ms(0), ms(40), Gap{ms(0), ms(10), 10 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LongestGap(tt.times, tt.from, tt.to)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LongestGap() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
