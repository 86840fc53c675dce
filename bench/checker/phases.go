package checkerbench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lbhad/lbhad/checker"
)

// rateResult is one throughput phase.
type rateResult struct {
	name     string
	target   float64 // attempts per second asked for
	workers  int
	ok, fail int64
	window   time.Duration
	cpu      time.Duration // this process, over the window
	child    time.Duration // the backend process, over the window
	slowest  int64         // attempts in the slowest whole second; -1: none
	fastest  int64
	firstErr string
}

func (r rateResult) attempts() int64 { return r.ok + r.fail }

func (r rateResult) perSecond() float64 { return float64(r.attempts()) / r.window.Seconds() }

func (r rateResult) perAttempt() time.Duration {
	if r.attempts() == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.attempts())
}

func (r rateResult) row(w io.Writer) {
	span := "–" // no whole second in the window
	if r.slowest >= 0 {
		span = fmt.Sprintf("%d–%d", r.slowest, r.fastest)
	}
	fmt.Fprintf(w, "| %s | %.0f | %.0f | %s | %d | %.1f %% | %.1f µs | %.1f %% |\n",
		r.name, r.target, r.perSecond(), span, r.fail,
		100*r.cpu.Seconds()/r.window.Seconds(), float64(r.perAttempt())/1e3,
		100*r.child.Seconds()/r.window.Seconds())
}

// memResult is the footprint of the process while the tcp_check engine runs.
type memResult struct {
	rssBefore, rssRunning, heapInuse int64
	goroutines, workers              int
	timeWait                         int
}

// counter collects attempts from engine callbacks or loop workers.
type counter struct {
	ok, fail atomic.Int64
	errOnce  sync.Once
	firstErr atomic.Value // string
}

func (c *counter) add(ok bool, reason string) {
	if ok {
		c.ok.Add(1)
		return
	}
	c.fail.Add(1)
	c.errOnce.Do(func() { c.firstErr.Store(reason) })
}

// measure waits out the warm-up, then samples c once a second for the
// window, with this process's and the backend's CPU time at both ends.
func measure(ctx context.Context, cfg Config, c *counter, be *backend, r *rateResult, log io.Writer) error {
	select {
	case <-time.After(cfg.Warmup):
	case <-ctx.Done():
		return ctx.Err()
	}
	child0, err := be.cpu()
	if err != nil {
		return err
	}
	cpu0, t0 := cpuTime(), time.Now()
	ok0, fail0 := c.ok.Load(), c.fail.Load()
	prev, prevFail, last := ok0+fail0, fail0, t0
	r.slowest = -1
	end := t0.Add(cfg.Duration)
	for {
		next := last.Add(time.Second)
		if next.After(end) {
			next = end
		}
		time.Sleep(time.Until(next))
		now := time.Now()
		cur, curFail := c.ok.Load()+c.fail.Load(), c.fail.Load()
		fmt.Fprintf(log, "  %s +%.1fs: %d attempts, %d failed\n", r.name, now.Sub(t0).Seconds(), cur-prev, curFail-prevFail)
		if now.Sub(last) >= time.Second-time.Millisecond {
			// Only whole seconds count for slowest and fastest.
			d := cur - prev
			if r.slowest < 0 || d < r.slowest {
				r.slowest = d
			}
			r.fastest = max(r.fastest, d)
		}
		prev, prevFail, last = cur, curFail, now
		if !now.Before(end) {
			break
		}
	}
	r.cpu, r.window = cpuTime()-cpu0, time.Since(t0)
	r.ok, r.fail = c.ok.Load()-ok0, c.fail.Load()-fail0
	child1, err := be.cpu()
	if err != nil {
		return err
	}
	r.child = child1 - child0
	if s, _ := c.firstErr.Load().(string); s != "" {
		r.firstErr = s
	}
	return nil
}

// workersFor sizes the pool the way internal/daemon's workersFor does
// (copied, as bench must not import internal/daemon): each check needs
// timeout/interval of a worker, plus a quarter, at least
// checker.DefaultWorkers and at most 4096.
func workersFor(n int, timeout, interval time.Duration) int {
	need := float64(n) * float64(timeout) / float64(interval)
	return min(max(checker.DefaultWorkers, int(need*1.25)+1), 4096)
}

func (c Config) poolSize(n int) int {
	if c.Workers > 0 {
		return c.Workers
	}
	return workersFor(n, c.Timeout, c.Interval)
}

// engineThroughput runs cfg.Checks tcp_checks (or cfg.HTTPChecks
// http_gets) against a backend process and measures attempts per second.
func engineThroughput(ctx context.Context, cfg Config, httpMode, dialEach bool, log io.Writer) (rateResult, memResult, error) {
	kind, n, octet, name := "tcp", cfg.Checks, 10, "lbhad tcp_check engine"
	if dialEach {
		octet, name = 14, "lbhad tcp_check engine, net.Dialer per attempt"
	}
	if httpMode {
		kind, n, octet, name = "http", cfg.HTTPChecks, 11, "lbhad http_get engine"
	}
	r := rateResult{name: fmt.Sprintf("%s, %d checks", name, n), target: float64(n) / cfg.Interval.Seconds(), workers: cfg.poolSize(n)}
	var m memResult
	be, err := startBackend(kind, n, octet, cfg.port())
	if err != nil {
		return r, m, err
	}
	defer be.close()
	runtime.GC()
	m.rssBefore = rss()

	var cnt counter
	e := checker.NewEngine(checker.Options{
		Workers:  r.workers,
		OnResult: func(_ string, _ checker.Kind, res checker.Result) { cnt.add(res.OK, res.Reason) },
		DialEach: dialEach,
	})
	specs := make([]checker.Spec, n)
	for i, a := range be.addrs {
		specs[i] = checker.Spec{ID: a.String(), Kind: checker.KindTCP, Target: a, Interval: cfg.Interval, ConnectTimeout: cfg.Timeout}
		if httpMode {
			specs[i].Kind = checker.KindHTTP
		}
	}
	if err := e.Set(specs); err != nil {
		return r, m, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	err = measure(ctx, cfg, &cnt, be, &r, log)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.rssRunning, m.heapInuse = rss(), int64(ms.HeapInuse)
	m.goroutines, m.workers = runtime.NumGoroutine(), r.workers
	m.timeWait = timeWait()
	cancel()
	if rerr := <-done; err == nil {
		err = rerr
	}
	return r, m, err
}

type loopKind int

const (
	loopRaw loopKind = iota
	loopDialer
	loopHTTP
	loopNoop
)

// loopThroughput is a baseline: a minimal paced loop doing what one check
// attempt does, at the rate and concurrency of the engine phase, against
// the same kind of backend process.
func loopThroughput(ctx context.Context, cfg Config, k loopKind, log io.Writer) (rateResult, error) {
	n, kind, octet := cfg.Checks, "tcp", 12
	var name string
	switch k {
	case loopRaw:
		name = "baseline: raw socket+connect+close loop"
	case loopDialer:
		name = "baseline: net.Dialer connect+close loop"
	case loopHTTP:
		n, kind, octet, name = cfg.HTTPChecks, "http", 13, "baseline: net/http GET loop, no keep-alive"
	case loopNoop:
		kind, name = "", "the loops' pacer and workers alone, no I/O"
	}
	r := rateResult{name: name, target: float64(n) / cfg.Interval.Seconds(), workers: cfg.poolSize(n)}
	be := &backend{addrs: make([]netip.AddrPort, n)}
	if kind != "" {
		var err error
		if be, err = startBackend(kind, n, octet, cfg.port()); err != nil {
			return r, err
		}
		defer be.close()
	}
	runtime.GC()

	urls := make([]string, n)
	for i, a := range be.addrs {
		urls[i] = "http://" + a.String() + "/"
	}
	dialer := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: -1}
	client := &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{
		Proxy: nil, DialContext: dialer.DialContext, DisableKeepAlives: true, DisableCompression: true,
	}}
	op := func(ctx context.Context, i int) error {
		switch k {
		case loopRaw:
			return rawConnect(be.addrs[i])
		case loopNoop:
			return nil
		case loopDialer:
			c, err := dialer.DialContext(ctx, "tcp", be.addrs[i].String())
			if err != nil {
				return err
			}
			return c.Close()
		default:
			resp, err := client.Get(urls[i])
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return errors.New(resp.Status)
			}
			return nil
		}
	}

	var cnt counter
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int, r.workers)
	var wg sync.WaitGroup
	for range r.workers {
		wg.Go(func() {
			for i := range jobs {
				err := op(ctx, i)
				reason := ""
				if err != nil {
					reason = err.Error()
				}
				cnt.add(err == nil, reason)
			}
		})
	}
	// The pacer hands out attempts at the target rate, round-robin over
	// the backends, from a 1 ms ticker (the engine's timer fires as often).
	go func() {
		defer close(jobs)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		start, sent := time.Now(), 0
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			want := int(time.Since(start).Seconds() * r.target)
			for ; sent < want; sent++ {
				select {
				case jobs <- sent % n:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	err := measure(ctx, cfg, &cnt, be, &r, log)
	cancel()
	wg.Wait()
	return r, err
}

// latResult is one detection phase.
type latResult struct {
	name          string
	victims       int
	latencies     []time.Duration
	bound         time.Duration
	falseDowns    int
	p50, p99, max time.Duration
}

func (l latResult) row(w io.Writer) {
	fmt.Fprintf(w, "| %s | %d | %d | %v | %v | %v | %v | %d |\n", l.name, l.victims, len(l.latencies),
		l.p50.Round(time.Millisecond), l.p99.Round(time.Millisecond), l.max.Round(time.Millisecond),
		l.bound, l.falseDowns)
}

// percentile is the nearest-rank percentile of sorted d.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(p*float64(len(d))+0.999999) - 1
	return d[min(max(i, 0), len(d)-1)]
}

// detection runs cfg.Victims checks with fall cfg.Fall against in-process
// backends, stops one backend every interval/victims (so the stops fall
// evenly over the checks' schedule) and measures from each stop to the
// check's down event. Refused: the listener closes, tcp_check sees
// "connection refused" at once. Hung: the HTTP server still accepts and
// reads but never answers, so every http_get runs into its timeout.
func detection(ctx context.Context, cfg Config, hang bool) (latResult, error) {
	l := latResult{
		name:    "tcp_check, listener closed (connection refused)",
		victims: cfg.Victims,
		bound:   time.Duration(cfg.Fall)*cfg.Interval + cfg.Timeout + 50*time.Millisecond,
	}
	octet := 20
	if hang {
		l.name, octet = "http_get, server hangs (timeout)", 21
	}
	release := make(chan struct{})
	vs := make([]*victim, cfg.Victims)
	defer func() {
		close(release)
		for _, v := range vs {
			if v != nil {
				v.shutdown()
			}
		}
	}()
	specs := make([]checker.Spec, cfg.Victims)
	for i := range vs {
		v, err := newVictim(target(octet, i, cfg.port()), hang, release)
		if err != nil {
			return l, err
		}
		vs[i] = v
		a := v.addr()
		specs[i] = checker.Spec{ID: a.String(), Kind: checker.KindTCP, Target: a,
			Interval: cfg.Interval, ConnectTimeout: cfg.Timeout, Fall: cfg.Fall}
		if hang {
			specs[i].Kind = checker.KindHTTP
		}
	}

	var (
		mu      sync.Mutex
		stopped = make(map[string]time.Time)
		down    = make(map[string]time.Time)
	)
	e := checker.NewEngine(checker.Options{
		Workers: cfg.poolSize(cfg.Victims),
		OnEvent: func(ev checker.Event) {
			now := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if ev.Up {
				return
			}
			if _, ok := stopped[ev.ID]; !ok {
				l.falseDowns++
				return
			}
			if _, ok := down[ev.ID]; !ok {
				down[ev.ID] = now
			}
		},
	})
	if err := e.Set(specs); err != nil {
		return l, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// Every check has run at least once before the first stop.
	time.Sleep(cfg.Interval + cfg.Timeout)
	base := time.Now()
	step := cfg.Interval / time.Duration(cfg.Victims)
	for i, v := range vs {
		time.Sleep(time.Until(base.Add(time.Duration(i) * step)))
		mu.Lock()
		// Marked before the stop so a fast down event finds it; the time
		// is taken after, when the backend is certainly failing.
		stopped[specs[i].ID] = time.Time{}
		mu.Unlock()
		v.stop(hang)
		now := time.Now()
		mu.Lock()
		stopped[specs[i].ID] = now
		mu.Unlock()
	}
	deadline := time.Now().Add(3 * (l.bound + time.Duration(cfg.Fall)*cfg.Timeout))
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(down)
		mu.Unlock()
		if n == cfg.Victims {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	for id, t := range down {
		l.latencies = append(l.latencies, max(t.Sub(stopped[id]), 0))
	}
	mu.Unlock()
	slices.Sort(l.latencies)
	l.p50, l.p99 = percentile(l.latencies, 0.50), percentile(l.latencies, 0.99)
	if len(l.latencies) > 0 {
		l.max = l.latencies[len(l.latencies)-1]
	}
	return l, nil
}

// rss is VmRSS of this process in bytes.
func rss() int64 { return procRSS(os.Getpid()) }

// timeWait counts TIME_WAIT sockets in this network namespace.
func timeWait() int {
	f, err := os.Open("/proc/net/sockstat")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 || fs[0] != "TCP:" {
			continue
		}
		for i := 1; i+1 < len(fs); i += 2 {
			if fs[i] == "tw" {
				n, _ := strconv.Atoi(fs[i+1])
				return n
			}
		}
	}
	return -1
}

func procField(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key); ok {
			fs := strings.Fields(v)
			if len(fs) > 0 {
				n, _ := strconv.ParseInt(fs[0], 10, 64)
				return n
			}
		}
	}
	return -1
}
