package daemon

import (
	"context"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
)

// checksComponent runs one check engine for every vrrp_script and real
// server check and routes each verdict to its consumer.
type checksComponent struct {
	log      *zap.Logger
	base     *zap.Logger // for the engine, which names its own component
	onScript func(name string, ok bool)
	onReal   func(ref realRef, ev checker.Event)
	observe  func(kind string, ok bool, latency time.Duration) // metrics; nil in tests

	mu     sync.Mutex
	engine *checker.Engine
	realOf map[string]realRef
	kindOf map[string]string // check ID -> kind name, for metrics
	cancel context.CancelFunc
	done   chan struct{}
}

func newChecksComponent(log *zap.Logger, onScript func(string, bool), onReal func(realRef, checker.Event)) *checksComponent {
	return &checksComponent{log: log.With(zap.String("component", "checker")), base: log, onScript: onScript, onReal: onReal}
}

func (c *checksComponent) Name() string { return "checker" }

func (c *checksComponent) Apply(_ context.Context, cfg *config.Config) error {
	specs, realOf, err := checkSpecs(cfg)
	if err != nil {
		return err
	}
	kindOf := make(map[string]string, len(specs))
	for _, s := range specs {
		kindOf[s.ID] = s.Kind.String()
	}
	c.mu.Lock()
	c.realOf, c.kindOf = realOf, kindOf
	e := c.engine
	if e == nil {
		if len(specs) == 0 {
			c.mu.Unlock()
			return nil
		}
		e = checker.NewEngine(checker.Options{Workers: workersFor(specs), Logger: c.base, OnEvent: c.event, OnResult: c.result})
		ctx, cancel := context.WithCancel(context.Background())
		c.engine, c.cancel, c.done = e, cancel, make(chan struct{})
		go func() {
			defer close(c.done)
			if err := e.Run(ctx); err != nil {
				c.log.Error("check engine stopped", zap.Error(err))
			}
		}()
	}
	c.mu.Unlock()
	// A bad check is still scheduled and fails visibly; the error is
	// only what to tell the operator.
	return e.Set(specs)
}

// workersFor sizes the pool so that checks which all time out at once
// still run on schedule: each needs timeout/interval of a worker.
func workersFor(specs []checker.Spec) int {
	need := 0.0
	for _, s := range specs {
		t := s.ConnectTimeout
		if s.Misc != nil && s.Misc.Timeout > 0 {
			t = s.Misc.Timeout
		}
		if s.Interval > 0 {
			need += float64(t) / float64(s.Interval)
		}
	}
	return min(max(checker.DefaultWorkers, int(need*1.25)+1), 4096)
}

// event runs on the engine's goroutine: it logs and hands off, never
// blocking on network or disk.
func (c *checksComponent) event(ev checker.Event) {
	c.log.Info(ev.String(), zap.String("check", ev.ID), zap.Bool("up", ev.Up), zap.String("reason", ev.Reason),
		zap.Duration("latency", ev.Latency), zap.Int("failures", ev.Failures))
	if name, ok := strings.CutPrefix(ev.ID, "script/"); ok {
		if c.onScript != nil {
			c.onScript(name, ev.Up)
		}
		return
	}
	c.mu.Lock()
	ref, ok := c.realOf[ev.ID]
	c.mu.Unlock()
	if ok && c.onReal != nil {
		c.onReal(ref, ev)
	}
}

// result feeds every attempt to the metrics.
func (c *checksComponent) result(id string, r checker.Result) {
	if c.observe == nil {
		return
	}
	c.mu.Lock()
	kind := c.kindOf[id]
	c.mu.Unlock()
	c.observe(kind, r.OK, r.Latency)
}

// Statuses is every check's current state, for status output.
func (c *checksComponent) Statuses() []checker.Status {
	c.mu.Lock()
	e := c.engine
	c.mu.Unlock()
	if e == nil {
		return nil
	}
	return e.Statuses()
}

func (c *checksComponent) Stop(ctx context.Context) error {
	c.mu.Lock()
	cancel, done := c.cancel, c.done
	c.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Check builds every check as the engine would and refuses the config if
// one cannot be built (an unreadable CA file, an unknown user): such a
// check would only ever fail.
func (c *checksComponent) Check(cfg *config.Config) error { return checkChecks(cfg) }
