//go:build unix

package script

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
)

// TestRunBoundsProcesses runs 12 scripts at once under a limit of 3 and
// checks the limiter never let more than 3 run, and that all ran.
func TestRunBoundsProcesses(t *testing.T) {
	old := procs
	procs = NewLimiter(3)
	t.Cleanup(func() { procs = old })
	p := writeExec(t, filepath.Join(openDir(t, 0o700), "s.sh"), "sleep 0.1", 0o755)
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Go(func() {
			errs <- Run(context.Background(), Command(context.Background(), []string{p}, nil), Options{Track: i%2 == 0})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if in, peak, w := procs.Stats(); peak > 3 || peak < 2 || in != 0 || w != 0 {
		t.Fatalf("peak %d in use %d waiting %d; want peak 2..3, then 0 0", peak, in, w)
	}
}
