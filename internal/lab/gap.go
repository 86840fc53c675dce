package lab

import (
	"sort"
	"time"
)

// Gap is the longest silence in a series of event times.
type Gap struct {
	From, To time.Time     // the events (or window edges) around the silence
	Len      time.Duration // To - From
}

// LongestGap returns the longest interval between consecutive times in
// [from, to], counting the window edges as events, so that a series which
// stops early (or starts late) shows the silence up to the edge. times
// need not be sorted.
func LongestGap(times []time.Time, from, to time.Time) Gap {
	pts := []time.Time{from}
	for _, t := range times {
		if t.After(from) && t.Before(to) {
			pts = append(pts, t)
		}
	}
	pts = append(pts, to)
	sort.Slice(pts, func(i, j int) bool { return pts[i].Before(pts[j]) })
	var g Gap
	for i := 1; i < len(pts); i++ {
		if d := pts[i].Sub(pts[i-1]); d > g.Len {
			g = Gap{From: pts[i-1], To: pts[i], Len: d}
		}
	}
	return g
}
