package checker

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/internal/porttest"
)

// connectOnce runs one attempt through c and waits for its result.
func connectOnce(t *testing.T, c *connector, to netip.AddrPort, bind netip.Addr, timeout time.Duration) Result {
	t.Helper()
	ch := make(chan Result, 1)
	c.start(to, bind, timeout, func(r Result) { ch <- r })
	select {
	case r := <-ch:
		return r
	case <-time.After(timeout + 5*time.Second):
		t.Fatalf("no result for %v after %v", to, timeout+5*time.Second)
		return Result{}
	}
}

// dialerResult is the same attempt through net.Dialer, the path every
// other check kind takes: the reasons must read the same.
func dialerResult(t *testing.T, to netip.AddrPort, bind netip.Addr, timeout time.Duration) Result {
	t.Helper()
	s := Spec{Kind: KindTCP, Target: to, ConnectTimeout: timeout, BindTo: bind}
	c, err := newTCP(s)
	if err != nil {
		t.Fatal(err)
	}
	return c.Check(context.Background())
}

// stuckListener is a listening socket whose accept queue is full and
// never drained: further SYNs are dropped, so a connect to it hangs
// until its timeout, without a packet leaving the loopback.
func stuckListener(t *testing.T) netip.AddrPort {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port))
	// Fill the queue: these complete the handshake and stay queued.
	for i := 0; i < 4; i++ {
		c, err := net.DialTimeout("tcp", addr.String(), 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	return addr
}

func TestConnectorResults(t *testing.T) {
	open := acceptingListener(t)
	closed := porttest.Closed(t)
	open6 := acceptingListenerOn(t, "[::1]:0")
	mapped := netip.AddrPortFrom(netip.AddrFrom16(open.Addr().As16()), open.Port())
	stuck := stuckListener(t)
	loop := netip.MustParseAddr("127.0.0.1")
	foreign := netip.MustParseAddr("192.0.2.1") // not on this host: bind fails, nothing is sent

	c := newConnector()
	if c == nil {
		t.Fatal("no connector on Linux")
	}
	defer func() { c.stop(); c.wait() }()
	for _, tc := range []struct {
		name    string
		to      netip.AddrPort
		bind    netip.Addr
		timeout time.Duration
		ok      bool
		reason  string
	}{
		{"open port", open, netip.Addr{}, time.Second, true, ""},
		{"open port, bound", open, loop, time.Second, true, ""},
		{"open port over IPv6", open6, netip.Addr{}, time.Second, true, ""},
		{"closed port over IPv6", netip.AddrPortFrom(open6.Addr(), closed.Port()), netip.Addr{}, time.Second, false, "connection refused"},
		{"IPv4-mapped address", mapped, netip.Addr{}, time.Second, true, ""},
		{"closed port", closed, netip.Addr{}, time.Second, false, "connection refused"},
		{"no answer", stuck, netip.Addr{}, 300 * time.Millisecond, false, "timeout after 300ms"},
		{"source not on the host", open, foreign, time.Second, false, "source address not available"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := connectOnce(t, c, tc.to, tc.bind, tc.timeout)
			if got.OK != tc.ok || got.Reason != tc.reason {
				t.Fatalf("connector: %+v, want ok=%v reason %q", got, tc.ok, tc.reason)
			}
			if want := dialerResult(t, tc.to, tc.bind, tc.timeout); got.OK != want.OK || got.Reason != want.Reason {
				t.Fatalf("connector says %+v, net.Dialer %+v", got, want)
			}
			if !tc.ok && tc.reason == "timeout after 300ms" && got.Latency < 300*time.Millisecond {
				t.Fatalf("timed out after %v, before its 300ms", got.Latency)
			}
		})
	}
}

// TestConnectorStopCancels: attempts in flight when the engine stops
// report "cancelled", each once, and the loop ends.
func TestConnectorStopCancels(t *testing.T) {
	stuck := stuckListener(t)
	c := newConnector()
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		c.start(stuck, netip.Addr{}, time.Minute, func(r Result) {
			mu.Lock()
			got[r.Reason]++
			mu.Unlock()
			wg.Done()
		})
	}
	c.stop()
	done := make(chan struct{})
	go func() { wg.Wait(); c.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("stop did not end the attempts in flight")
	}
	if got["cancelled"] != 20 || len(got) != 1 {
		t.Fatalf("results %v, want 20 cancelled", got)
	}
}

// TestConnectorGoroutines: a thousand attempts in flight cost no
// goroutine each, which the net.Dialer path does.
func TestConnectorGoroutines(t *testing.T) {
	stuck := stuckListener(t)
	c := newConnector()
	defer func() { c.stop(); c.wait() }()
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		c.start(stuck, netip.Addr{}, 2*time.Second, func(Result) { wg.Done() })
	}
	if n := runtime.NumGoroutine(); n > before+5 {
		t.Fatalf("%d goroutines with 1,000 connects in flight, %d before", n, before)
	}
	wg.Wait()
}

// TestEngineConnectsThroughConnector: the engine's bare tcp_checks take
// the connect loop and reach the same verdicts as through net.Dialer:
// an accepting port comes up, a closed one goes down with the reason.
func TestEngineConnectsThroughConnector(t *testing.T) {
	open := acceptingListener(t)
	closed := porttest.Closed(t)
	for _, dialEach := range []bool{true, false} {
		events := make(chan Event, 8)
		e := NewEngine(Options{DialEach: dialEach, OnEvent: func(ev Event) { events <- ev }})
		err := e.Set([]Spec{
			{ID: "open", Kind: KindTCP, Target: open, Interval: 100 * time.Millisecond, ConnectTimeout: time.Second, Initial: StartDown},
			{ID: "closed", Kind: KindTCP, Target: closed, Interval: 100 * time.Millisecond, ConnectTimeout: time.Second},
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- e.Run(ctx) }()
		got := map[string]Event{}
		for len(got) < 2 {
			select {
			case ev := <-events:
				got[ev.ID] = ev
			case <-time.After(10 * time.Second):
				t.Fatalf("DialEach=%v: events %+v after 10s, want both checks'", dialEach, got)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if o, c := got["open"], got["closed"]; !o.Up || c.Up || c.Reason != "connection refused" {
			t.Fatalf("DialEach=%v: open %+v, closed %+v", dialEach, o, c)
		}
	}
}
