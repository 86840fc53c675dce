package vrrpbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// bench is one Run: its config, its writers and the labs it has live.
type bench struct {
	cfg      Config
	out, log io.Writer
	kinds    []string

	// labs tracks the live labs so that cancelling Run can remove them.
	mu      sync.Mutex
	live    map[*lab.Lab]bool
	closing bool
}

func (b *bench) newLab() (*lab.Lab, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return nil, errors.New("interrupted")
	}
	l, err := lab.New(lab.Spec{})
	if err != nil {
		return nil, err
	}
	if b.live == nil {
		b.live = map[*lab.Lab]bool{}
	}
	b.live[l] = true
	return l, nil
}

func (b *bench) closeLab(l *lab.Lab) {
	b.mu.Lock()
	delete(b.live, l)
	b.mu.Unlock()
	if err := l.Close(); err != nil {
		fmt.Fprintf(b.log, "close lab %s: %v\n", l.ID, err)
	}
}

func (b *bench) closeAll() {
	b.mu.Lock()
	b.closing = true
	live := b.live
	b.live = nil
	b.mu.Unlock()
	for l := range live {
		l.Close()
	}
}

// Run runs the benchmark c describes, writing the markdown tables to out
// and progress to log, and returns every sample. It needs root
// (ErrNotRoot) and, unless c.Kinds leaves it out, keepalived
// (ErrNoKeepalived). When ctx is done Run removes the labs and the
// processes it started and returns ctx.Err() at once; the measurement
// under way then fails on its own, and its late output should be
// ignored, as cmd/vrrpbench does by exiting.
func Run(ctx context.Context, c Config, out, log io.Writer) (*Result, error) {
	b := &bench{cfg: c, out: out, log: log, kinds: c.Kinds}
	if b.cfg.Settle <= 0 {
		b.cfg.Settle = 7 * time.Second
	}
	if len(b.kinds) == 0 {
		b.kinds = []string{"lbhad", "keepalived"}
	}
	for _, k := range b.kinds {
		if k != "lbhad" && k != "keepalived" {
			return nil, fmt.Errorf("unknown daemon kind %q: want lbhad or keepalived", k)
		}
	}
	if os.Geteuid() != 0 {
		return nil, ErrNotRoot
	}
	if slices.Contains(b.kinds, "keepalived") {
		if _, err := exec.LookPath("keepalived"); err != nil {
			return nil, ErrNoKeepalived
		}
	}
	if err := lab.CleanupStale(lab.Family); err != nil {
		fmt.Fprintf(b.log, "cleaning up stale labs: %v\n", err)
	}
	type done struct {
		res *Result
		err error
	}
	ch := make(chan done, 1)
	go func() {
		defer b.closeAll()
		res, err := b.run()
		ch <- done{res, err}
	}()
	select {
	case d := <-ch:
		return d.res, d.err
	case <-ctx.Done():
		b.closeAll()
		return nil, ctx.Err()
	}
}

func (b *bench) run() (*Result, error) {
	o := &b.cfg
	if o.Lbhad == "" {
		dir, err := os.MkdirTemp("", "vrrpbench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		o.Lbhad = filepath.Join(dir, "lbhad")
		if out, err := exec.Command("go", "build", "-o", o.Lbhad, "./cmd/lbhad").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/lbhad (run from the repository root): %w\n%s", err, out)
		}
	}
	kv, _ := exec.Command("keepalived", "-v").CombinedOutput()
	host, _ := os.Hostname()
	fmt.Fprintf(b.out, "vrrpbench %s on %s: %d CPUs, %s; %s; load average at start %s\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), host, runtime.NumCPU(), kernel(),
		strings.TrimSpace(strings.SplitN(string(kv), "\n", 2)[0]), loadavg())

	res := &Result{}
	if o.Only == "" || o.Only == "failover" {
		f, err := b.failovers(0, false)
		if err != nil {
			return nil, fmt.Errorf("failover runs: %w", err)
		}
		res.Failovers = f
	}
	if (o.Only == "" || o.Only == "failover3") && o.V3Advert > 0 {
		f, err := b.failovers(o.V3Advert, false)
		if err != nil {
			return nil, fmt.Errorf("vrrpv3 failover runs: %w", err)
		}
		res.Failovers3 = f
		if f, err = b.failovers(o.V3Advert, true); err != nil {
			return nil, fmt.Errorf("vrrpv3 over IPv6 failover runs: %w", err)
		}
		res.Failovers6 = f
	}
	if o.Only == "" || o.Only == "scale" {
		s, err := b.scales()
		if err != nil {
			return nil, fmt.Errorf("many-instance runs: %w", err)
		}
		res.Scales = s
	}
	fmt.Fprintf(b.out, "load average at end %s\n", loadavg())
	return res, nil
}

func kernel() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return "Linux " + strings.TrimSpace(string(b))
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
