package checkerbench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Config sizes one run. DefaultConfig is the run of docs/PERFORMANCE.md,
// ShortConfig the smoke run.
type Config struct {
	Checks     int           // tcp_check engine checks
	HTTPChecks int           // http_get engine checks
	Interval   time.Duration // of every check
	Timeout    time.Duration // ConnectTimeout of every check
	Duration   time.Duration // measured window of each throughput phase
	Warmup     time.Duration // before each window, so every check has run
	Workers    int           // 0: as internal/daemon sizes the pool
	Victims    int           // backends stopped in each detection phase
	Fall       int
	// FreshNetns says this process runs alone in a network namespace of
	// its own (see ReexecInNetns): Run brings lo up, raises the accept
	// backlog sysctls of the namespace and listens on port 7000. Never
	// set it in the host's namespace.
	FreshNetns bool
	Only       string // comma-separated phases to run; "" runs all
	Lbhad      string // lbhad binary for the "daemon" phase; "": skipped
}

// Phases lists the phases in the order Run runs them.
var Phases = []string{"tcp", "tcpeach", "pacer", "raw", "dialer", "daemon", "http", "httploop", "refused", "hung"}

func (c Config) runs(phase string) bool {
	return c.Only == "" || slices.Contains(strings.Split(c.Only, ","), phase)
}

// port is the listeners' port; 0 lets the kernel pick per listener.
func (c Config) port() uint16 {
	if c.FreshNetns {
		return 7000 // nobody else listens in this namespace
	}
	return 0
}

// DefaultConfig is the run recorded in docs/PERFORMANCE.md.
func DefaultConfig() Config {
	return Config{
		Checks:     10000,
		HTTPChecks: 5000,
		Interval:   time.Second,
		Timeout:    time.Second,
		Duration:   20 * time.Second,
		Warmup:     3 * time.Second,
		Victims:    200,
		Fall:       3,
	}
}

// ShortConfig is the smoke run: every phase, tiny numbers, a few seconds.
func ShortConfig() Config {
	return Config{
		Checks:     50,
		HTTPChecks: 20,
		Interval:   200 * time.Millisecond,
		Timeout:    200 * time.Millisecond,
		Duration:   500 * time.Millisecond,
		Warmup:     250 * time.Millisecond,
		Victims:    10,
		Fall:       2,
	}
}

// Report is everything one run measured; Run writes it as markdown.
type Report struct {
	cfg       Config
	start     time.Time
	loadStart string
	loadEnd   string
	tcp       rateResult
	tcpEach   rateResult // the engine with net.Dialer per attempt (checker.Options.DialEach)
	pacer     rateResult
	raw       rateResult
	dialer    rateResult
	http      rateResult
	httpLoop  rateResult
	mem       memResult
	memEach   memResult
	daemon    daemonResult
	refused   latResult
	hung      latResult
}

// Run executes every phase of c in order, logging progress to log, and
// writes the markdown report to w. With c.FreshNetns it first sets up the
// namespace; that error is returned as is.
func Run(ctx context.Context, c Config, w, log io.Writer) (*Report, error) {
	if c.FreshNetns {
		if err := setupNetns(); err != nil {
			return nil, err
		}
	}
	r := &Report{cfg: c, start: time.Now(), loadStart: loadavg()}
	var err error
	for _, p := range Phases {
		if !c.runs(p) {
			continue
		}
		fmt.Fprintln(log, "phase", p)
		switch p {
		case "tcp":
			r.tcp, r.mem, err = engineThroughput(ctx, c, false, false, log)
		case "tcpeach":
			r.tcpEach, r.memEach, err = engineThroughput(ctx, c, false, true, log)
		case "pacer":
			r.pacer, err = loopThroughput(ctx, c, loopNoop, log)
		case "raw":
			r.raw, err = loopThroughput(ctx, c, loopRaw, log)
		case "dialer":
			r.dialer, err = loopThroughput(ctx, c, loopDialer, log)
		case "daemon":
			if c.Lbhad == "" {
				fmt.Fprintln(log, "phase daemon skipped: no -lbhad binary")
				continue
			}
			r.daemon, err = daemonPhase(ctx, c, log)
		case "http":
			r.http, _, err = engineThroughput(ctx, c, true, false, log)
		case "httploop":
			r.httpLoop, err = loopThroughput(ctx, c, loopHTTP, log)
		case "refused":
			r.refused, err = detection(ctx, c, false)
		case "hung":
			r.hung, err = detection(ctx, c, true)
		}
		if err != nil {
			return nil, fmt.Errorf("phase %s: %w", p, err)
		}
	}
	r.loadEnd = loadavg()
	r.write(w)
	return r, nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func (r *Report) write(w io.Writer) {
	c := r.cfg
	ns := "fresh network namespace"
	if !c.FreshNetns {
		ns = "host network namespace"
	}
	fmt.Fprintf(w, "### lbhad checker benchmark, %s\n\n", r.start.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "%s, %d CPUs (GOMAXPROCS %d), %s; load average %s at start, %s at end.\n",
		runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), ns, r.loadStart, r.loadEnd)
	fmt.Fprintf(w, "Interval %v, timeout %v, %v measured after %v of warm-up; at most %d attempts in flight for %d checks.\n\n",
		c.Interval, c.Timeout, c.Duration, c.Warmup, c.poolSize(c.Checks), c.Checks)

	fmt.Fprintln(w, "| throughput | target/s | achieved/s | slowest–fastest second | failed | CPU, % of one core | CPU per attempt | backend process CPU |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, x := range []rateResult{r.tcp, r.tcpEach, r.pacer, r.raw, r.dialer, r.http, r.httpLoop} {
		if x.window > 0 {
			x.row(w)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "CPU per tcp_check attempt, lbhad / raw connect loop: **%.2f×**; lbhad / net.Dialer loop: %.2f×. ",
		ratio(r.tcp.perAttempt(), r.raw.perAttempt()), ratio(r.tcp.perAttempt(), r.dialer.perAttempt()))
	if r.tcpEach.window > 0 {
		fmt.Fprintf(w, "The engine with its connect loop / with net.Dialer per attempt: %.2f×. ", ratio(r.tcp.perAttempt(), r.tcpEach.perAttempt()))
	}
	fmt.Fprintf(w, "http_get, lbhad / net/http loop: %.2f×. ", ratio(r.http.perAttempt(), r.httpLoop.perAttempt()))
	fmt.Fprintf(w, "With the loops' own pacing cost (the no-I/O row) taken out of the raw loop, lbhad / raw connect+close: %.2f×.\n\n",
		ratio(r.tcp.perAttempt(), r.raw.perAttempt()-r.pacer.perAttempt()))
	if psi, err := os.ReadFile("/proc/pressure/cpu"); err == nil {
		fmt.Fprintf(w, "CPU pressure at the end (/proc/pressure/cpu): `%s`\n\n", strings.SplitN(strings.TrimSpace(string(psi)), "\n", 2)[0])
	}
	for _, x := range []rateResult{r.tcp, r.tcpEach, r.raw, r.dialer, r.http, r.httpLoop} {
		if x.firstErr != "" {
			fmt.Fprintf(w, "First failure of %s: %s\n\n", x.name, x.firstErr)
		}
	}

	fmt.Fprintf(w, "| detection (fall %d, interval %v, timeout %v) | backends | reported down | p50 | p99 | max | bound fall×interval+timeout+50ms | false downs before stop |\n",
		c.Fall, c.Interval, c.Timeout)
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, l := range []latResult{r.refused, r.hung} {
		if l.victims > 0 {
			l.row(w)
		}
	}
	fmt.Fprintln(w)

	if d := r.daemon; d.ran {
		fmt.Fprintf(w, "| `lbhad run` with %d tcp_checks (IPVS absent: degraded, checks running) | attempts/s | CPU, %% of one core | CPU per attempt | RSS before / after a metrics scrape | goroutines |\n|---|---:|---:|---:|---:|---:|\n", d.checks)
		perAttempt := 0.0
		if d.rate > 0 {
			perAttempt = d.cpu / d.rate * 1e6
		}
		fmt.Fprintf(w, "| the daemon, measured from outside | %.0f | %.1f %% | %.1f µs | %.1f / %.1f MiB | %d |\n\n", d.rate, d.cpu*100, perAttempt, mib(d.rssQuiet), mib(d.rss), d.goroutines)
	}

	m := r.mem
	fmt.Fprintf(w, "| memory with %d tcp_checks running | value |\n|---|---:|\n", c.Checks)
	fmt.Fprintf(w, "| RSS before the checks were set | %.1f MiB |\n", mib(m.rssBefore))
	fmt.Fprintf(w, "| RSS while running | %.1f MiB |\n", mib(m.rssRunning))
	fmt.Fprintf(w, "| Go heap in use while running | %.1f MiB |\n", mib(m.heapInuse))
	fmt.Fprintf(w, "| goroutines while running (attempts in flight at most %d) | %d |\n", m.workers, m.goroutines)
	fmt.Fprintf(w, "| TIME_WAIT sockets in the namespace at the end | %d |\n", m.timeWait)
	if e := r.memEach; e.goroutines > 0 {
		fmt.Fprintf(w, "| the same with net.Dialer per attempt: RSS while running / goroutines | %.1f MiB / %d |\n", mib(e.rssRunning), e.goroutines)
	}
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
