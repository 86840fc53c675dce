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
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// childEnv marks a copy of the running program that Run re-executed as a
// backend process, and carries its parameters ("kind n octet port
// first": n listeners from target index first on), so
// that any program calling BackendMain first (cmd/checkerbench, this
// package's test binary) can serve as its own backend.
const childEnv = "LBHAD_CHECKER_BENCH_CHILD"

// BackendMain returns at once unless this process is a backend that Run
// started by re-executing the program; then it serves until its stdin
// closes and exits. Call it first thing in main (and in TestMain).
func BackendMain() {
	v, ok := os.LookupEnv(childEnv)
	if !ok {
		return
	}
	var (
		kind                string
		n, octet, pt, first int
	)
	if _, err := fmt.Sscanf(v, "%s %d %d %d %d", &kind, &n, &octet, &pt, &first); err != nil {
		fmt.Fprintf(os.Stderr, "backend: bad %s=%q: %v\n", childEnv, v, err)
		os.Exit(1)
	}
	if err := serveChild(kind, n, octet, uint16(pt), first); err != nil {
		fmt.Fprintln(os.Stderr, "backend:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// target is the i-th backend address in 127.<octet>.0.0/16. Every check
// gets its own address, so each has the whole ephemeral port range to
// itself: at 10,000 connects a second the TIME_WAIT sockets (60 s each)
// would exhaust the 28,000 ports of one address pair in three seconds.
func target(octet, i int, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, byte(octet), byte(i / 250), byte(i%250 + 1)}), port)
}

// serveChild is the backend process: n listeners, one per target address
// from index first on,
// that accept and close (tcp) or answer "OK" (http). It prints each
// address, then "ready", and answers "cpu" on stdin with its own CPU time
// in nanoseconds, so the runner can charge it separately. It exits when
// stdin closes.
func serveChild(kind string, n, octet int, port uint16, first int) error {
	lns := make([]net.Listener, 0, n)
	out := bufio.NewWriter(os.Stdout)
	for i := first; i < first+n; i++ {
		ln, err := net.Listen("tcp4", target(octet, i, port).String())
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		lns = append(lns, ln)
		fmt.Fprintln(out, "addr", ln.Addr())
	}
	switch kind {
	case "tcp":
		if err := serveAcceptClose(lns); err != nil {
			return err
		}
	case "http":
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte("OK\n"))
		}), ReadHeaderTimeout: 5 * time.Second}
		for _, ln := range lns {
			go srv.Serve(ln)
		}
	default:
		return fmt.Errorf("unknown backend kind %q", kind)
	}
	fmt.Fprintln(out, "ready")
	out.Flush()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() == "cpu" {
			fmt.Println("cpu", int64(cpuTime()))
		}
	}
	return nil
}

func acceptClose(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

// perProcess is the most listeners one backend process holds, under the
// usual 20,000-descriptor hard limit (which a sandboxed root may not be
// allowed to raise): -checks 20000 runs three processes.
const perProcess = 8000

// backend is the runner's handle on the backend processes.
type backend struct {
	procs []*backendProc
	addrs []netip.AddrPort
}

// backendProc is one backend process.
type backendProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// startBackend starts enough backend processes for n listeners.
func startBackend(kind string, n, octet int, port uint16) (*backend, error) {
	b := &backend{}
	for first := 0; first < n; first += perProcess {
		p, addrs, err := startBackendProc(kind, min(perProcess, n-first), octet, port, first)
		if err != nil {
			b.close()
			return nil, err
		}
		b.procs = append(b.procs, p)
		b.addrs = append(b.addrs, addrs...)
	}
	return b, nil
}

func startBackendProc(kind string, n, octet int, port uint16, first int) (*backendProc, []netip.AddrPort, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, fmt.Errorf("find own executable: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %d %d %d", childEnv, kind, n, octet, port, first))
	cmd.Stderr = os.Stderr
	b := &backendProc{cmd: cmd}
	if b.in, err = cmd.StdinPipe(); err != nil {
		return nil, nil, fmt.Errorf("backend stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, fmt.Errorf("backend stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start backend: %w", err)
	}
	b.out = bufio.NewScanner(stdout)
	var addrs []netip.AddrPort
	for b.out.Scan() {
		line := b.out.Text()
		if line == "ready" {
			return b, addrs, nil
		}
		if a, ok := strings.CutPrefix(line, "addr "); ok {
			ap, err := netip.ParseAddrPort(a)
			if err != nil {
				b.close()
				return nil, nil, fmt.Errorf("backend address: %w", err)
			}
			addrs = append(addrs, ap)
		}
	}
	b.close()
	return nil, nil, errors.New("backend exited before it was ready")
}

// cpu asks the backend processes for the CPU time they have used so far.
func (b *backend) cpu() (time.Duration, error) {
	var sum time.Duration
	for _, p := range b.procs {
		d, err := p.cpu()
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

func (b *backend) close() {
	for _, p := range b.procs {
		p.close()
	}
}

func (b *backendProc) cpu() (time.Duration, error) {
	if _, err := io.WriteString(b.in, "cpu\n"); err != nil {
		return 0, fmt.Errorf("ask backend for cpu: %w", err)
	}
	if !b.out.Scan() {
		return 0, errors.New("backend exited")
	}
	v, ok := strings.CutPrefix(b.out.Text(), "cpu ")
	if !ok {
		return 0, fmt.Errorf("backend said %q", b.out.Text())
	}
	ns, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("backend cpu: %w", err)
	}
	return time.Duration(ns), nil
}

func (b *backendProc) close() {
	b.in.Close()
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
}

// victim is an in-process backend the detection benchmark stops: either
// its listener closes (connects are refused) or it hangs (accepts, reads
// the request, never answers, so the check runs into its timeout).
type victim struct {
	ln     net.Listener
	srv    *http.Server
	hung   atomic.Bool
	closed sync.Once
}

func newVictim(a netip.AddrPort, httpMode bool, release <-chan struct{}) (*victim, error) {
	ln, err := net.Listen("tcp4", a.String())
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	v := &victim{ln: ln}
	if !httpMode {
		go acceptClose(ln)
		return v, nil
	}
	v.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v.hung.Load() {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte("OK\n"))
	}), ReadHeaderTimeout: 5 * time.Second}
	go v.srv.Serve(ln)
	return v, nil
}

func (v *victim) addr() netip.AddrPort { return netip.MustParseAddrPort(v.ln.Addr().String()) }

// stop makes the backend fail: hang it, or close its listener.
func (v *victim) stop(hang bool) {
	if hang {
		v.hung.Store(true)
		return
	}
	v.closed.Do(func() { v.ln.Close() })
}

func (v *victim) shutdown() {
	if v.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		v.srv.Shutdown(ctx)
		v.srv.Close()
	}
	v.closed.Do(func() { v.ln.Close() })
}
