// Command checker measures lbhad's health-check engine (package checker)
// on loopback: sustained tcp_check and http_get attempts per second and
// the CPU they cost, beside baselines measured in the same run (a minimal
// loop of raw connect(2)+close(2), the same with net.Dialer, and a plain
// net/http client loop); how long a stopped backend takes to be reported
// down, for a refused connection and for a server that hangs; and the
// memory and goroutines of the process holding 10,000 checks.
//
// Backends for the throughput runs live in a separate process (this
// program re-executed with -child), so their CPU is reported apart from
// the checker's. Every check targets its own address in 127.0.0.0/8, which
// gives each the whole ephemeral port range, and by default the run
// happens in a fresh network namespace (needs root; otherwise the host's
// is used), so its TIME_WAIT sockets do not crowd anyone else's loopback.
//
// Reproduce the numbers in docs/PERFORMANCE.md with
//
//	go build -o /tmp/checkerbench ./bench/checker
//	/tmp/checkerbench -checks 10000 -http-checks 5000 -interval 1s -duration 20s
//
// and a smoke run of a few seconds with -short.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

// config sizes one run.
type config struct {
	checks     int           // tcp_check engine checks
	httpChecks int           // http_get engine checks
	interval   time.Duration // of every check
	timeout    time.Duration // ConnectTimeout of every check
	duration   time.Duration // measured window of each throughput phase
	warmup     time.Duration // before each window, so every check has run
	workers    int           // 0: as internal/daemon sizes the pool
	victims    int           // backends stopped in each detection phase
	fall       int
	netns      bool
	port       uint16 // listeners' port; 0 lets the kernel pick per listener
	only       string // comma-separated phases to run; "" runs all
}

// phases, in the order run runs them.
var phases = []string{"tcp", "pacer", "raw", "dialer", "http", "httploop", "refused", "hung"}

func (c config) runs(phase string) bool {
	return c.only == "" || slices.Contains(strings.Split(c.only, ","), phase)
}

func defaultConfig() config {
	return config{
		checks:     10000,
		httpChecks: 5000,
		interval:   time.Second,
		timeout:    time.Second,
		duration:   20 * time.Second,
		warmup:     3 * time.Second,
		victims:    200,
		fall:       3,
		netns:      true,
	}
}

// shortConfig is the smoke run: every phase, tiny numbers, a few seconds.
func shortConfig() config {
	return config{
		checks:     50,
		httpChecks: 20,
		interval:   200 * time.Millisecond,
		timeout:    200 * time.Millisecond,
		duration:   500 * time.Millisecond,
		warmup:     250 * time.Millisecond,
		victims:    10,
		fall:       2,
	}
}

func main() {
	fs := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	short := fs.Bool("short", false, "smoke run: small numbers, a few seconds, host network namespace")
	child := fs.String("child", "", "internal: run as the tcp or http backend process")
	inNetns := fs.Bool("in-netns", false, "internal: this process was started in a fresh network namespace")
	n := fs.Int("n", 0, "internal: backend listeners")
	octet := fs.Int("octet", 10, "internal: second octet of the backend addresses")
	port := fs.Int("port", 0, "internal: backend port")
	c := defaultConfig()
	fs.IntVar(&c.checks, "checks", c.checks, "tcp_check checks configured in the engine")
	fs.IntVar(&c.httpChecks, "http-checks", c.httpChecks, "http_get checks configured in the engine")
	fs.DurationVar(&c.interval, "interval", c.interval, "interval of every check")
	fs.DurationVar(&c.timeout, "timeout", c.timeout, "connect timeout of every check")
	fs.DurationVar(&c.duration, "duration", c.duration, "measured window of each throughput phase")
	fs.DurationVar(&c.warmup, "warmup", c.warmup, "time before each window")
	fs.IntVar(&c.workers, "workers", 0, "engine workers; 0 sizes the pool as internal/daemon does")
	fs.IntVar(&c.victims, "victims", c.victims, "backends stopped in each detection phase")
	fs.IntVar(&c.fall, "fall", c.fall, "fall of the detection checks")
	fs.StringVar(&c.only, "only", "", "run only these comma-separated phases: "+strings.Join(phases, ","))
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the measuring process to this file")
	fs.BoolVar(&c.netns, "netns", c.netns, "run in a fresh network namespace (needs root)")
	fs.Parse(os.Args[1:])

	if *child != "" {
		if err := serveChild(*child, *n, *octet, uint16(*port)); err != nil {
			fmt.Fprintln(os.Stderr, "backend:", err)
			os.Exit(1)
		}
		return
	}
	if *short {
		s := shortConfig()
		s.netns = false
		c = s
	}
	if c.netns && !*inNetns {
		// Run the whole benchmark again inside a new namespace; its
		// backends inherit it.
		cmd := netnsCmd(exec.Command(os.Args[0], append(os.Args[1:], "-in-netns")...))
		if exe, err := os.Executable(); err == nil {
			cmd.Path = exe
		}
		cmd.Env = append(os.Environ(), childEnv+"=1")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		err := cmd.Run()
		if err == nil {
			return
		}
		if _, exited := err.(*exec.ExitError); exited || !isPermission(err) {
			fmt.Fprintln(os.Stderr, "checker bench:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "checker bench: cannot create a network namespace, using the host's:", err)
		c.netns = false
	}
	if *inNetns {
		if err := setupNetns(); err != nil {
			fmt.Fprintln(os.Stderr, "checker bench:", err)
			os.Exit(1)
		}
		c.port = 7000 // nobody else listens in this namespace
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "checker bench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	if _, err := run(ctx, c, os.Stdout, os.Stderr); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "checker bench:", err)
		os.Exit(1)
	}
}

// report is everything one run measured.
type report struct {
	cfg       config
	start     time.Time
	loadStart string
	loadEnd   string
	tcp       rateResult
	pacer     rateResult
	raw       rateResult
	dialer    rateResult
	http      rateResult
	httpLoop  rateResult
	mem       memResult
	refused   latResult
	hung      latResult
}

// run executes every phase in order, logging progress to log, and writes
// the markdown report to w.
func run(ctx context.Context, c config, w, log io.Writer) (*report, error) {
	r := &report{cfg: c, start: time.Now(), loadStart: loadavg()}
	var err error
	for _, p := range phases {
		if !c.runs(p) {
			continue
		}
		fmt.Fprintln(log, "phase", p)
		switch p {
		case "tcp":
			r.tcp, r.mem, err = engineThroughput(ctx, c, false, log)
		case "pacer":
			r.pacer, err = loopThroughput(ctx, c, loopNoop, log)
		case "raw":
			r.raw, err = loopThroughput(ctx, c, loopRaw, log)
		case "dialer":
			r.dialer, err = loopThroughput(ctx, c, loopDialer, log)
		case "http":
			r.http, _, err = engineThroughput(ctx, c, true, log)
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

func (r *report) write(w io.Writer) {
	c := r.cfg
	ns := "fresh network namespace"
	if !c.netns {
		ns = "host network namespace"
	}
	fmt.Fprintf(w, "### lbhad checker benchmark, %s\n\n", r.start.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "%s, %d CPUs (GOMAXPROCS %d), %s; load average %s at start, %s at end.\n",
		runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), ns, r.loadStart, r.loadEnd)
	fmt.Fprintf(w, "Interval %v, timeout %v, %v measured after %v of warm-up; %d engine workers for %d checks.\n\n",
		c.interval, c.timeout, c.duration, c.warmup, c.poolSize(c.checks), c.checks)

	fmt.Fprintln(w, "| throughput | target/s | achieved/s | slowest–fastest second | failed | CPU, % of one core | CPU per attempt | backend process CPU |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, x := range []rateResult{r.tcp, r.pacer, r.raw, r.dialer, r.http, r.httpLoop} {
		if x.window > 0 {
			x.row(w)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "CPU per tcp_check attempt, lbhad / raw connect loop: **%.2f×**; lbhad / net.Dialer loop: %.2f×. ",
		ratio(r.tcp.perAttempt(), r.raw.perAttempt()), ratio(r.tcp.perAttempt(), r.dialer.perAttempt()))
	fmt.Fprintf(w, "http_get, lbhad / net/http loop: %.2f×. ", ratio(r.http.perAttempt(), r.httpLoop.perAttempt()))
	fmt.Fprintf(w, "With the loops' own pacing cost (the no-I/O row) taken out of the raw loop, lbhad / raw connect+close: %.2f×.\n\n",
		ratio(r.tcp.perAttempt(), r.raw.perAttempt()-r.pacer.perAttempt()))
	if psi, err := os.ReadFile("/proc/pressure/cpu"); err == nil {
		fmt.Fprintf(w, "CPU pressure at the end (/proc/pressure/cpu): `%s`\n\n", strings.SplitN(strings.TrimSpace(string(psi)), "\n", 2)[0])
	}
	for _, x := range []rateResult{r.tcp, r.raw, r.dialer, r.http, r.httpLoop} {
		if x.firstErr != "" {
			fmt.Fprintf(w, "First failure of %s: %s\n\n", x.name, x.firstErr)
		}
	}

	fmt.Fprintf(w, "| detection (fall %d, interval %v, timeout %v) | backends | reported down | p50 | p99 | max | bound fall×interval+timeout+50ms | false downs before stop |\n",
		c.fall, c.interval, c.timeout)
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, l := range []latResult{r.refused, r.hung} {
		if l.victims > 0 {
			l.row(w)
		}
	}
	fmt.Fprintln(w)

	m := r.mem
	fmt.Fprintf(w, "| memory with %d tcp_checks running | value |\n|---|---:|\n", c.checks)
	fmt.Fprintf(w, "| RSS before the checks were set | %.1f MiB |\n", mib(m.rssBefore))
	fmt.Fprintf(w, "| RSS while running | %.1f MiB |\n", mib(m.rssRunning))
	fmt.Fprintf(w, "| Go heap in use while running | %.1f MiB |\n", mib(m.heapInuse))
	fmt.Fprintf(w, "| goroutines while running (engine workers: %d) | %d |\n", m.workers, m.goroutines)
	fmt.Fprintf(w, "| TIME_WAIT sockets in the namespace at the end | %d |\n", m.timeWait)
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
