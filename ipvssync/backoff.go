package ipvssync

import "time"

// Backoff is how long to wait before retrying a sync that has failed
// failures times in a row: min, doubled per further failure, at most max.
// A sync that fails once is retried soon (a concurrent change, an EEXIST
// race with an operator); one that keeps failing (a full kernel table, a
// refused scheduler) is retried at a rate that does not flood the log.
func Backoff(failures int, min, max time.Duration) time.Duration {
	if failures <= 0 {
		return 0
	}
	d := min
	for i := 1; i < failures && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d
}
