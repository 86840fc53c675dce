package checkerbench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// daemonResult is the "daemon" phase: `lbhad run` itself with
// cfg.Checks tcp_checks, as an operator runs it, measured from outside
// (its /proc entries and its own metrics), not the engine in this
// process.
type daemonResult struct {
	checks     int
	rate       float64 // tcp_check attempts a second over the window
	cpu        float64 // fraction of one core over the window
	rss        int64   // bytes, at the end of the window, after its last scrape
	rssQuiet   int64   // bytes, at the end of the window, before that scrape
	goroutines int
	ran        bool
}

// daemonPhase writes a config of cfg.Checks real servers (virtual
// servers of ten each, tcp_check every cfg.Interval), starts lbhad on
// it in this namespace and measures it over cfg.Duration after
// cfg.Warmup. The host needs no IPVS: without it lbhad runs degraded,
// and its health checks run all the same.
func daemonPhase(ctx context.Context, cfg Config, log io.Writer) (daemonResult, error) {
	r := daemonResult{checks: cfg.Checks}
	if cfg.Lbhad == "" {
		return r, errors.New("no lbhad binary (-lbhad)")
	}
	be, err := startBackend("tcp", cfg.Checks, 15, cfg.port())
	if err != nil {
		return r, err
	}
	defer be.close()
	dir, err := os.MkdirTemp("", "checkerbench-daemon-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	metrics, err := freeLoopbackAddr()
	if err != nil {
		return r, err
	}
	conf := filepath.Join(dir, "lbhad.hcl")
	if err := os.WriteFile(conf, daemonConf(cfg, dir, metrics, be), 0o644); err != nil {
		return r, err
	}
	cmd := exec.Command(cfg.Lbhad, "run", "-c", conf, "--log-level", "warn")
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return r, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	pid := cmd.Process.Pid
	// Loading 10,000 real servers takes seconds; the metrics answer
	// once the daemon runs.
	for start := time.Now(); ; {
		if _, _, err := scrape(metrics); err == nil {
			break
		} else if time.Since(start) > time.Minute {
			return r, err
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return r, ctx.Err()
		}
	}
	select {
	case <-time.After(cfg.Warmup + cfg.Interval):
	case <-ctx.Done():
		return r, ctx.Err()
	}
	n0, _, err := scrape(metrics)
	if err != nil {
		return r, err
	}
	c0, t0 := procCPU(pid), time.Now()
	select {
	case <-time.After(cfg.Duration):
	case <-ctx.Done():
		return r, ctx.Err()
	}
	// The metrics scrape that ends the window makes garbage of its own
	// (a status snapshot, the page), so RSS is read on both sides of it.
	r.rssQuiet = procRSS(pid)
	n1, g, err := scrape(metrics)
	if err != nil {
		return r, err
	}
	win := time.Since(t0).Seconds()
	r.rate, r.cpu = (n1-n0)/win, (procCPU(pid)-c0).Seconds()/win
	r.rss = procRSS(pid)
	r.goroutines, r.ran = g, true
	return r, nil
}

func daemonConf(cfg Config, dir, metrics string, be *backend) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "global {\n  router_id = \"bench\"\n  control_socket = %q\n  state_file = %q\n  metrics_listen = %q\n}\n",
		filepath.Join(dir, "lbhad.sock"), filepath.Join(dir, "state.json"), metrics)
	secs := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }
	for i, a := range be.addrs {
		if i%10 == 0 {
			if i > 0 {
				b.WriteString("}\n")
			}
			vs := i / 10
			fmt.Fprintf(&b, "virtual_server \"vs%d\" {\n  address = \"198.18.%d.%d:80\"\n  protocol = \"tcp\"\n  lb_algo = \"rr\"\n  lb_kind = \"NAT\"\n  delay_loop = %s\n",
				vs, vs/250, vs%250+1, secs(cfg.Interval))
		}
		fmt.Fprintf(&b, "  real_server \"rs%d\" {\n    address = %q\n    tcp_check {\n      connect_timeout = %s\n    }\n  }\n",
			i, a.String(), secs(cfg.Timeout))
	}
	if len(be.addrs) > 0 {
		b.WriteString("}\n")
	}
	return b.Bytes()
}

// scrape reads lbhad's tcp_check attempts so far and its goroutines
// from its metrics.
func scrape(addr string) (attempts float64, goroutines int, err error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, 0, fmt.Errorf("scrape lbhad: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(name, "lbhad_checks_total{") && strings.Contains(name, `kind="tcp_check"`):
			v, _ := strconv.ParseFloat(val, 64)
			attempts += v
		case name == "go_goroutines":
			v, _ := strconv.ParseFloat(val, 64)
			goroutines = int(v)
		}
	}
	return attempts, goroutines, sc.Err()
}

// freeLoopbackAddr is a loopback address with a port nobody listens on
// now, for lbhad's metrics.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// procRSS is a process's VmRSS in bytes.
func procRSS(pid int) int64 { return procField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:") * 1024 }

// procCPU is a process's user and system time so far.
func procCPU(pid int) time.Duration {
	f, err := lab.StatFields(pid)
	if err != nil {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // clock ticks: USER_HZ is 100 on Linux
}
