//go:build unix

package script

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
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

// TestRunTimeoutFromStart: the timeout counts from the script's start,
// not from its wait for a slot, and a script over it is killed with
// ErrTimeout.
func TestRunTimeoutFromStart(t *testing.T) {
	old := procs
	procs = NewLimiter(1)
	t.Cleanup(func() { procs = old })
	dir := openDir(t, 0o700)
	hold := writeExec(t, filepath.Join(dir, "hold.sh"), "sleep 2", 0o755)
	short := writeExec(t, filepath.Join(dir, "short.sh"), "exit 0", 0o755)
	long := writeExec(t, filepath.Join(dir, "long.sh"), "sleep 30", 0o755)
	ctx := context.Background()

	held := make(chan error, 1)
	go func() { held <- Run(ctx, Command(ctx, []string{hold}, nil), Options{}) }()
	for in, _, _ := procs.Stats(); in == 0; in, _, _ = procs.Stats() {
		time.Sleep(time.Millisecond)
	}
	// Waits ~2 s for the slot, longer than its 1.5 s timeout, then runs
	// at once: a timeout counted from the wait would kill it. (The
	// margins leave a loaded machine 1.5 s to fork and exec a shell.)
	if err := Run(ctx, Command(ctx, []string{short}, nil), Options{Timeout: 1500 * time.Millisecond}); err != nil {
		t.Errorf("a script queued longer than its timeout, then quick: %v", err)
	}
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := Run(ctx, Command(ctx, []string{long}, nil), Options{Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("a script over its timeout: %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("killed only after %v", d)
	}
}
