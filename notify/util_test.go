package notify

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/lbhad/lbhad/config"
)

// newTest builds a Dispatcher for cfg that is closed at the end of the
// test, with its logs both in the test output and in the returned
// observer.
func newTest(t *testing.T, cfg *config.Config, opts ...Option) (*Dispatcher, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	log := zap.New(zapcore.NewTee(zaptest.NewLogger(t).Core(), core))
	d, err := New(cfg, log, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = d.Close(ctx)
	})
	return d, logs
}

// waitStats polls until done(Stats) or 20 s pass.
func waitStats(t *testing.T, d *Dispatcher, what string, done func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := d.Stats()
		if done(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; stats %+v", what, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func baseConfig() *config.Config {
	return &config.Config{Global: config.Global{RouterID: "lb1"}}
}
