package daemon

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/porttest"
	"github.com/lbhad/lbhad/ipvssync"
)

func st(id string, kind checker.Kind, state checker.State, reason string) checker.Status {
	return checker.Status{Spec: &checker.Spec{ID: id, Kind: kind}, State: state, Last: checker.Result{OK: reason == "", Reason: reason}}
}

func TestCombine(t *testing.T) {
	up, down, unknown := checker.StateUp, checker.StateDown, checker.StateUnknown
	tests := []struct {
		name   string
		sts    []checker.Status
		state  checker.State
		reason string
	}{
		{"all up", []checker.Status{st("a", checker.KindHTTP, up, ""), st("a#2", checker.KindTCP, up, "")}, up, ""},
		{"first down", []checker.Status{st("a", checker.KindHTTP, down, "HTTP 503"), st("a#2", checker.KindTCP, up, "")}, down, "http_get: HTTP 503"},
		{"second down", []checker.Status{st("a", checker.KindHTTP, up, ""), st("a#2", checker.KindTCP, down, "connection refused")}, down, "tcp_check: connection refused"},
		{"both down, both named", []checker.Status{st("a", checker.KindHTTP, down, "HTTP 503"), st("a#2", checker.KindTCP, down, "connection refused")}, down, "http_get: HTTP 503; tcp_check: connection refused"},
		{"same kind twice: places", []checker.Status{st("a", checker.KindUDP, up, ""), st("a#2", checker.KindUDP, down, "no reply")}, down, "udp_check#2: no reply"},
		{"unknown without down", []checker.Status{st("a", checker.KindHTTP, unknown, ""), st("a#2", checker.KindTCP, up, "")}, unknown, ""},
		{"down beats unknown", []checker.Status{st("a", checker.KindHTTP, unknown, ""), st("a#2", checker.KindTCP, down, "timeout after 1s")}, down, "tcp_check: timeout after 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := combine(tt.sts)
			if got.State != tt.state || got.Last.Reason != tt.reason || got.Spec.ID != "a" {
				t.Errorf("combine = %v %q (id %s), want %v %q (id a)", got.State, got.Last.Reason, got.Spec.ID, tt.state, tt.reason)
			}
		})
	}
}

// TestFoldEvent: the real server's event fires only when its folded
// verdict changes: the second check failing while the first is already
// down, or the first recovering while the second is still down, is no
// event.
func TestFoldEvent(t *testing.T) {
	up, down := checker.StateUp, checker.StateDown
	w := func(n int) *int { return &n }
	steps := []struct {
		name    string
		sts     []checker.Status
		event   bool
		evUp    bool
		weight  *int
		changed bool
	}{
		{"first fails", []checker.Status{st("a", checker.KindHTTP, down, "HTTP 503"), st("a#2", checker.KindTCP, up, "")}, true, false, nil, true},
		{"second fails too", []checker.Status{st("a", checker.KindHTTP, down, "HTTP 503"), st("a#2", checker.KindTCP, down, "refused")}, false, false, nil, false},
		{"first recovers", []checker.Status{st("a", checker.KindHTTP, up, ""), st("a#2", checker.KindTCP, down, "refused")}, false, false, nil, false},
		{"second recovers", []checker.Status{st("a", checker.KindHTTP, up, ""), st("a#2", checker.KindTCP, up, "")}, true, true, nil, true},
		{"weight set while up", []checker.Status{st("a", checker.KindHTTP, up, ""), {Spec: &checker.Spec{ID: "a#2", Kind: checker.KindFile}, State: up, Weight: w(7)}}, true, true, w(7), false},
	}
	prev := allVerdict{up: true}
	for _, s := range steps {
		ev, now, ok := foldEvent(checker.Event{ID: "x", Up: s.sts[0].State == up}, s.sts, prev)
		if ok != s.event {
			t.Fatalf("%s: event = %v, want %v", s.name, ok, s.event)
		}
		if ok && (ev.Up != s.evUp || ev.ID != "a" || ev.StateChanged != s.changed || !sameWeight(ev.Weight, s.weight)) {
			t.Fatalf("%s: event %+v, want up=%v id=a changed=%v weight=%v", s.name, ev, s.evUp, s.changed, s.weight)
		}
		prev = now
	}
}

// TestTwoCheckersEitherDownsServer runs the daemon as built for
// production with IPVS on the fake kernel and one real server carrying
// an http_get and a tcp_check against real listeners: the server leaves
// the table when either check fails, and comes back only when both
// pass; status names the failing checker.
func TestTwoCheckersEitherDownsServer(t *testing.T) {
	var mu sync.Mutex
	httpUp := true
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if !httpUp {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer backend.Close()
	setHTTP := func(v bool) { mu.Lock(); httpUp = v; mu.Unlock() }
	_, port, _ := net.SplitHostPort(backend.Listener.Addr().String())

	// The TCP check's listener is closed and reopened on the same port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpAddr := ln.Addr().String()
	_, tcpPort, _ := net.SplitHostPort(tcpAddr)
	serve := func(ln net.Listener) {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}
	go serve(ln)
	defer func() { ln.Close() }()

	dir := t.TempDir()
	conf := fmt.Sprintf(`
virtual_server "web" {
  address = "192.0.2.50:%s"
  real_server "a" {
    address = "127.0.0.1:%s"
    http_get {
      delay_loop      = 0.2
      connect_timeout = 0.5
    }
    tcp_check {
      connect_port    = %s
      delay_loop      = 0.2
      connect_timeout = 0.5
    }
  }
}
`, port, port, tcpPort)
	path := filepath.Join(dir, "lbhad.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	kernel := ipvssync.NewFakeKernel()
	parts := runBuilt(t, Options{ConfigPath: path, Ports: fakeIPVS(kernel)})

	a := netip.MustParseAddr("127.0.0.1")
	inTable := func() bool {
		tab, err := ipvssync.Read(kernel)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range tab {
			for dk := range e.Dests {
				if dk.Addr == a {
					return true
				}
			}
		}
		return false
	}
	reason := func() string {
		// RealStatuses reads a server by its names and number of checks.
		vs, rs := &config.VirtualServer{Name: "web"}, &config.RealServer{Name: "a", Checks: make([]*config.Check, 2)}
		if s, ok := parts.Checks.RealStatuses()(vs, rs); ok {
			return s.Last.Reason
		}
		return "<no status>"
	}
	const bound = 10 * time.Second
	eventually(t, "real server a in the table", bound, inTable)

	setHTTP(false)
	eventually(t, "a removed when http_get fails", bound, func() bool { return !inTable() })
	if r := reason(); !strings.Contains(r, "http_get: HTTP 503") || strings.Contains(r, "tcp_check") {
		t.Errorf("status reason %q, want only the http_get failure", r)
	}
	setHTTP(true)
	eventually(t, "a back when http_get passes", bound, inTable)

	ln.Close()
	eventually(t, "a removed when tcp_check fails", bound, func() bool { return !inTable() })
	setHTTP(false)
	eventually(t, "status names both failing checkers", bound, func() bool {
		r := reason()
		return strings.Contains(r, "http_get: HTTP 503") && strings.Contains(r, "tcp_check: connection refused")
	})
	setHTTP(true)
	// Only the tcp_check fails now: the server must stay out.
	eventually(t, "status names the tcp_check alone", bound, func() bool {
		r := reason()
		return !strings.Contains(r, "http_get") && strings.Contains(r, "tcp_check")
	})
	if inTable() {
		t.Fatal("a is back in the table while its tcp_check still fails")
	}
	ln2, err := net.Listen("tcp", tcpAddr)
	if err != nil {
		t.Fatal(err)
	}
	ln = ln2
	go serve(ln2)
	eventually(t, "a back when both pass", bound, inTable)
}

// TestReloadReplacingFailingCheck: a real server kept down by a check
// comes back when a reload replaces that check by one that passes,
// although the replaced check starts afresh without an event; with one
// check or with two.
func TestReloadReplacingFailingCheck(t *testing.T) {
	for _, two := range []bool{false, true} {
		t.Run(fmt.Sprintf("two checks %v", two), func(t *testing.T) { testReloadReplacing(t, two) })
	}
}

func testReloadReplacing(t *testing.T, two bool) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, open, _ := net.SplitHostPort(ln.Addr().String())
	closed := strconv.Itoa(int(porttest.Closed(t).Port()))
	conf := func(second string) *config.Config {
		first := "tcp_check {\n      delay_loop = 0.1\n    }"
		if !two {
			first = ""
		}
		return mustParse(t, fmt.Sprintf(`
virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "a" {
    address = "127.0.0.1:%s"
    %s
    tcp_check {
      connect_port = %s
      delay_loop   = 0.1
    }
  }
}
`, open, first, second))
	}
	var mu sync.Mutex
	var events []checker.Event
	c := newChecksComponent(zap.NewNop(), nil, func(_ realRef, ev checker.Event) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}, nil, nil, nil)
	defer func() { _ = c.Stop(context.Background()) }()
	last := func() (checker.Event, int) {
		mu.Lock()
		defer mu.Unlock()
		if len(events) == 0 {
			return checker.Event{}, 0
		}
		return events[len(events)-1], len(events)
	}
	if err := c.Apply(context.Background(), conf(closed)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a down by its second check", 10*time.Second, func() bool { ev, n := last(); return n == 1 && !ev.Up })
	if err := c.Apply(context.Background(), conf(open)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a up after the reload", 10*time.Second, func() bool { ev, n := last(); return n == 2 && ev.Up && ev.StateChanged })
}

// TestFileAndUDPChecksDriveIPVS runs the daemon as built for production
// (IPVS on the fake kernel) with one real server carrying a udp_check
// against a real UDP echo and a file_check: the file's number moves the
// weight in the table, its fault value and the echo's port closing each
// take the server out, and it comes back with the file's weight.
func TestFileAndUDPChecksDriveIPVS(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	echoAddr := pc.LocalAddr().String()
	echo := func(pc net.PacketConn) {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}
	go echo(pc)
	defer func() { pc.Close() }()
	_, port, _ := net.SplitHostPort(echoAddr)

	dir := t.TempDir()
	flag := filepath.Join(dir, "maint")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(flag, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("0\n")
	conf := fmt.Sprintf(`
track_file "maint" {
  file = "%s"
}
virtual_server "dns" {
  address  = "192.0.2.53:%s"
  protocol = "udp"
  real_server "a" {
    address = "127.0.0.1:%s"
    weight  = 10
    udp_check {
      payload         = "c0ffee"
      require_reply   = "c0ffee"
      delay_loop      = 0.2
      connect_timeout = 0.5
    }
    file_check {
      track_file = "maint"
      weight     = -3
      delay_loop = 0.2
    }
  }
}
`, flag, port, port)
	path := filepath.Join(dir, "lbhad.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	kernel := ipvssync.NewFakeKernel()
	runBuilt(t, Options{ConfigPath: path, Ports: fakeIPVS(kernel)})

	a := netip.MustParseAddr("127.0.0.1")
	weight := func() (int, bool) {
		tab, err := ipvssync.Read(kernel)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range tab {
			for dk, d := range e.Dests {
				if dk.Addr == a {
					return d.Weight, true
				}
			}
		}
		return 0, false
	}
	weightIs := func(w int) func() bool { return func() bool { got, ok := weight(); return ok && got == w } }
	const bound = 10 * time.Second
	eventually(t, "a at weight 10 (file says 0)", bound, weightIs(10))
	write("2\n")
	eventually(t, "a at weight 4 (10 + 2 × -3)", bound, weightIs(4))
	write("30000\n") // 30000 × -3 is below -65535: keepalived's fault
	eventually(t, "a out on the file's fault value", bound, func() bool { _, ok := weight(); return !ok })
	write("1\n")
	eventually(t, "a back at weight 7", bound, weightIs(7))
	pc.Close()
	eventually(t, "a out when the UDP port is closed", bound, func() bool { _, ok := weight(); return !ok })
	pc2, err := net.ListenPacket("udp", echoAddr)
	if err != nil {
		t.Fatal(err)
	}
	pc = pc2
	go echo(pc2)
	eventually(t, "a back at weight 7 with both checks passing", bound, weightIs(7))
}
