package daemon

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/clock"
)

// TestRunReleasesMemoryWhenQuiet: the daemon releases memory once it
// has been quiet for settleQuiet after its start, a state change or a
// reload, and not again until something happens.
func TestRunReleasesMemoryWhenQuiet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lbhad.hcl")
	writeFile(t, path, goodConf)
	t0 := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	fake := clock.NewFake(t0)
	releases := make(chan time.Time, 10)
	rec := newRecorder()
	kick := make(chan func(), 1)
	reload := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{ConfigPath: path, Reload: reload,
			Ports: Ports{ServiceManager: rec, Clock: fake, ReleaseMemory: func() { releases <- fake.Now() }},
			Components: func(env Env) []Component {
				kick <- env.StatusChanged
				return []Component{rec}
			}})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v", err)
		}
	}()
	statusChanged := <-kick
	rec.waitNote(t, "READY=1")
	waitArmed := func(at time.Time) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !fake.Armed(at) {
			if time.Now().After(deadline) {
				t.Fatalf("no timer armed for %v", at.Sub(t0))
			}
			time.Sleep(time.Millisecond)
		}
	}
	none := func(stage string) {
		t.Helper()
		select {
		case at := <-releases:
			t.Fatalf("%s: memory released at %v", stage, at.Sub(t0))
		case <-time.After(50 * time.Millisecond):
		}
	}
	release := func(stage string, want time.Time) {
		t.Helper()
		select {
		case at := <-releases:
			if !at.Equal(want) {
				t.Errorf("%s: released at %v, want %v", stage, at.Sub(t0), want.Sub(t0))
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no release", stage)
		}
	}

	waitArmed(t0.Add(settleQuiet))
	fake.Set(t0.Add(settleQuiet - time.Second))
	none("before the start settled")
	statusChanged() // a state change a second before: the wait starts over
	waitArmed(fake.Now().Add(settleQuiet))
	fake.Set(t0.Add(2*settleQuiet - 2*time.Second))
	none("after a change")
	fake.Set(t0.Add(2*settleQuiet - time.Second))
	release("quiet after the change", t0.Add(2*settleQuiet-time.Second))
	fake.Set(t0.Add(5 * settleQuiet))
	none("quiet, nothing new")

	writeFile(t, path, changedConf)
	reload <- struct{}{}
	<-rec.applyCh // the start's
	<-rec.applyCh // the reload's
	waitArmed(fake.Now().Add(settleQuiet))
	fake.Advance(settleQuiet)
	release("after a reload", t0.Add(6*settleQuiet))
}
