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
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lbhad/lbhad/internal/control"

	"github.com/lbhad/lbhad/ipvssync"
)

// fakeHandle lets the IPVS component run on the in-memory kernel.
type fakeHandle struct{ *ipvssync.FakeKernel }

func (fakeHandle) Close() {}

// fakeIPVS is the ports of a daemon whose IPVS is the in-memory kernel.
func fakeIPVS(kernel *ipvssync.FakeKernel) Ports {
	return Ports{OpenIPVS: func() (ipvssync.Handle, error) { return fakeHandle{kernel}, nil }}
}

// runBuilt runs the daemon as production builds it, on ports, until
// the test ends, and returns its parts. The maintenance state file is
// the test's own.
func runBuilt(t *testing.T, opts Options) *Parts {
	t.Helper()
	t.Setenv(StateFileEnv, filepath.Join(t.TempDir(), "state.json"))
	opts.Logger = zaptest.NewLogger(t)
	built := make(chan *Parts, 1)
	opts.Built = func(p *Parts) { built <- p }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, opts) }()
	var p *Parts
	select {
	case p = <-built:
	case err := <-done:
		cancel()
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return p
}

// trackScript is the last verdict of a vrrp_script the VRRP part
// received (it keeps them for the router).
func (c *vrrpComponent) trackScript(name string) (ok, seen bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ok, seen = c.scripts[name]
	return ok, seen
}

func eventually(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not happen within %v", what, within)
}

// TestHealthDrivesIPVSAndVRRP runs the daemon as built for production,
// with IPVS on the fake kernel: a real HTTP
// backend dies and recovers, a tracked script fails and recovers, and
// the table and the script verdict follow within fall × interval +
// timeout (plus scheduling slack).
func TestHealthDrivesIPVSAndVRRP(t *testing.T) {
	var healthy sync.Mutex
	up := true
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		healthy.Lock()
		defer healthy.Unlock()
		if !up {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer backend.Close()
	setUp := func(v bool) { healthy.Lock(); up = v; healthy.Unlock() }
	_, port, _ := net.SplitHostPort(backend.Listener.Addr().String())

	dir := t.TempDir()
	flag := filepath.Join(dir, "ok")
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`
global { control_socket = "%s" }
vrrp_script "chk" {
  script   = "/bin/test -f %s"
  interval = 0.2
  fall     = 2
  rise     = 1
}
virtual_server "web" {
  address = "192.0.2.50:%s"
  lb_algo = "wrr"
  real_server "a" {
    address = "127.0.0.1:%s"
    weight  = 3
    http_get {
      path            = "/"
      delay_loop      = 0.2
      connect_timeout = 0.5
      fall            = 2
    }
  }
  real_server "b" {
    address = "127.0.0.2:%s"
  }
}
`, filepath.Join(dir, "lbhad.sock"), flag, port, port, port)
	path := filepath.Join(dir, "lbhad.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}

	kernel := ipvssync.NewFakeKernel()
	parts := runBuilt(t, Options{ConfigPath: path, Ports: fakeIPVS(kernel)})

	vip := netip.MustParseAddr("192.0.2.50")
	a := netip.MustParseAddr("127.0.0.1")
	weightOfA := func() (int, bool) {
		tab, err := ipvssync.Read(kernel)
		if err != nil {
			t.Fatal(err)
		}
		for k, e := range tab {
			if k.Addr != vip {
				continue
			}
			for dk, d := range e.Dests {
				if dk.Addr == a {
					return d.Weight, true
				}
			}
		}
		return 0, false
	}
	// fall × interval + timeout, with generous slack for a busy machine:
	// this bounds correctness (the verdict arrives), not speed.
	const bound = 10 * time.Second

	eventually(t, "real server a in the table at weight 3", bound, func() bool { w, ok := weightOfA(); return ok && w == 3 })
	setUp(false)
	eventually(t, "real server a removed after HTTP 503", bound, func() bool { _, ok := weightOfA(); return !ok })
	setUp(true)
	eventually(t, "real server a back at weight 3", bound, func() bool { w, ok := weightOfA(); return ok && w == 3 })

	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	eventually(t, "track script reported failing", bound, func() bool { ok, seen := parts.VRRP.trackScript("chk"); return seen && !ok })
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "track script reported OK again", bound, func() bool { ok, seen := parts.VRRP.trackScript("chk"); return seen && ok })
}

// TestStatusOverControlSocket asks the running daemon for its status the
// way `lbhad status` does and finds the virtual server and its checks:
// a server without a check, one whose tcp_check passes and one whose
// two checks fail, folded into one verdict.
func TestStatusOverControlSocket(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "lbhad.sock")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close() // nothing listens there: refused
	conf := fmt.Sprintf(`
global { control_socket = %q }
virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "a" {
    address = "198.51.100.7:80"
  }
  real_server "b" {
    address = %q
    tcp_check {
      delay_loop = 0.2
    }
  }
  real_server "c" {
    address = %q
    tcp_check {
      delay_loop = 0.2
    }
    tcp_check {
      delay_loop = 0.2
    }
  }
}
`, sock, ln.Addr().String(), closed.Addr().String())
	path := filepath.Join(dir, "lbhad.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	kernel := ipvssync.NewFakeKernel()
	runBuilt(t, Options{ConfigPath: path, Ports: fakeIPVS(kernel)})

	var snap control.Snapshot
	eventually(t, "status with b checked up and c's two checks down", 10*time.Second, func() bool {
		s, err := control.Status(context.Background(), sock)
		snap = s
		if err != nil || len(s.VirtualServers) != 1 || len(s.VirtualServers[0].RealServers) != 3 {
			return false
		}
		rss := s.VirtualServers[0].RealServers
		return !rss[1].LastCheck.IsZero() && rss[2].Health == control.HealthDown && strings.Count(rss[2].LastReason, "refused") == 2
	})
	if len(snap.VirtualServers) != 1 || snap.VirtualServers[0].Name != "web" || len(snap.VirtualServers[0].RealServers) != 3 {
		t.Fatalf("status = %+v", snap)
	}
	rss := snap.VirtualServers[0].RealServers
	if rs := rss[0]; rs.CurrentWeight == nil || *rs.CurrentWeight != 1 || rs.Health != control.HealthUp || rs.Check != "" {
		t.Errorf("real server a = %+v, want up without a check, kernel weight 1", rs)
	}
	if rs := rss[1]; rs.Check != "tcp_check" || rs.Health != control.HealthUp || rs.LastReason != "" {
		t.Errorf("real server b = %+v, want a passing tcp_check", rs)
	}
	if rs := rss[2]; rs.Check != "tcp_check+tcp_check" || !strings.Contains(rs.LastReason, "tcp_check#1: ") || !strings.Contains(rs.LastReason, "tcp_check#2: ") {
		t.Errorf("real server c = %+v, want both failing tcp_checks named in its reason", rs)
	}
	if snap.VirtualServers[0].QuorumUp != true {
		t.Errorf("quorum down with two servers up")
	}
	st, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("control socket mode %v, want 0600", st.Mode().Perm())
	}
}

// TestDrainOnConfigRemoval removes a real server from the config while
// the kernel still counts connections on it: with lvs_drain_timeout it
// stays at weight 0 until they end, then leaves the table.
func TestDrainOnConfigRemoval(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lbhad.hcl")
	conf := func(withB bool) string {
		b := ""
		if withB {
			b = `real_server "b" {
    address = "198.51.100.8:80"
  }`
		}
		return fmt.Sprintf(`
global {
  control_socket    = %q
  lvs_drain_timeout = "1m"
}
virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "a" {
    address = "198.51.100.7:80"
  }
  %s
}
`, filepath.Join(dir, "lbhad.sock"), b)
	}
	if err := os.WriteFile(path, []byte(conf(true)), 0o644); err != nil {
		t.Fatal(err)
	}
	kernel := ipvssync.NewFakeKernel()
	reload := make(chan struct{})
	runBuilt(t, Options{ConfigPath: path, Ports: fakeIPVS(kernel), Reload: reload})

	svc := ipvssync.ServiceKey{Family: ipvssync.FamilyIPv4, Proto: ipvssync.ProtoTCP, Addr: netip.MustParseAddr("192.0.2.50"), Port: 80}
	b := ipvssync.DestKey{Addr: netip.MustParseAddr("198.51.100.8"), Port: 80}
	weightOfB := func() (int, bool) {
		tab, err := ipvssync.Read(kernel)
		if err != nil {
			t.Fatal(err)
		}
		d, ok := tab[svc].Dests[b]
		return d.Weight, ok
	}
	eventually(t, "b in the table", 10*time.Second, func() bool { _, ok := weightOfB(); return ok })
	if !kernel.SetConns(svc, b, 3, 0) {
		t.Fatal("fake kernel has no destination b")
	}
	if err := os.WriteFile(path, []byte(conf(false)), 0o644); err != nil {
		t.Fatal(err)
	}
	reload <- struct{}{}
	eventually(t, "b drained to weight 0", 10*time.Second, func() bool { w, ok := weightOfB(); return ok && w == 0 })
	time.Sleep(1500 * time.Millisecond) // a re-sync passes while connections remain
	if _, ok := weightOfB(); !ok {
		t.Fatal("b left the table while it still had active connections")
	}
	kernel.SetConns(svc, b, 0, 0)
	eventually(t, "b removed once idle", 10*time.Second, func() bool { _, ok := weightOfB(); return !ok })
}

// TestKeepOnStop: with lvs_keep_on_stop the owned services survive a
// clean stop (for the next lbhad to adopt); without it they are removed.
func TestKeepOnStop(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprint("keep=", keep), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "lbhad.hcl")
			conf := fmt.Sprintf(`
global {
  control_socket   = %q
  lvs_keep_on_stop = %v
}
virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "a" {
    address = "198.51.100.7:80"
  }
}
`, filepath.Join(dir, "lbhad.sock"), keep)
			if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			kernel := ipvssync.NewFakeKernel()
			t.Setenv(StateFileEnv, filepath.Join(dir, "state.json"))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- Run(ctx, Options{ConfigPath: path, Logger: zaptest.NewLogger(t), Ports: fakeIPVS(kernel)})
			}()
			eventually(t, "service programmed", 10*time.Second, func() bool { tab, _ := ipvssync.Read(kernel); return len(tab) == 1 })
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			tab, _ := ipvssync.Read(kernel)
			if got := len(tab) == 1; got != keep {
				t.Errorf("after stop the table has %d services; keep=%v", len(tab), keep)
			}
		})
	}
}
