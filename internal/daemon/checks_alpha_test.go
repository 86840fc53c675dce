package daemon

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lbhad/lbhad/ipvssync"
)

// TestAlphaKeepsServerOutUntilCheckPasses runs the daemon as built for
// production with IPVS on the fake kernel and two virtual servers whose
// real servers share one HTTP backend that holds every request until the
// test releases it, so no check can pass before then. The real server of
// the virtual server without alpha is in IPVS at once (keepalived's
// default: up until proven down); the one with alpha = true stays out
// while its first check is pending and enters once it passes.
func TestAlphaKeepsServerOutUntilCheckPasses(t *testing.T) {
	release := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer backend.Close()
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	_, port, _ := net.SplitHostPort(backend.Listener.Addr().String())

	dir := t.TempDir()
	conf := fmt.Sprintf(`
virtual_server "plain" {
  address = "192.0.2.50:80"
  real_server "a" {
    address = "127.0.0.1:%[1]s"
    http_get {
      delay_loop      = 0.2
      connect_timeout = 30
    }
  }
}
virtual_server "alpha" {
  address = "192.0.2.51:80"
  alpha   = true
  real_server "a" {
    address = "127.0.0.1:%[1]s"
    http_get {
      delay_loop      = 0.2
      connect_timeout = 30
    }
  }
}
`, port)
	path := filepath.Join(dir, "lbhad.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	kernel := ipvssync.NewFakeKernel()
	// Every write adding alpha's real server is counted, so a transient
	// add (before any check passed) is caught even if it is undone before
	// the table is next read.
	alphaVIP := netip.MustParseAddr("192.0.2.51")
	var alphaAdds atomic.Int32
	kernel.Fail = func(op string, svc ipvssync.ServiceKey, _ ipvssync.DestKey) error {
		if op == "NewDestination" && svc.Addr == alphaVIP {
			alphaAdds.Add(1)
		}
		return nil
	}
	runBuilt(t, Options{ConfigPath: path, Ports: fakeIPVS(kernel)})

	// dests reports, per virtual address, whether the service is in the
	// table and how many real servers it has (none when it is absent).
	dests := func(vip string) (bool, int) {
		tab, err := ipvssync.Read(kernel)
		if err != nil {
			t.Fatal(err)
		}
		v := netip.MustParseAddr(vip)
		for k, e := range tab {
			if k.Addr == v {
				return true, len(e.Dests)
			}
		}
		return false, 0
	}
	const bound = 10 * time.Second
	eventually(t, "plain's real server in the table while its check is pending", bound, func() bool {
		_, n := dests("192.0.2.50")
		return n == 1
	})
	// Checks are held, so nothing passed: alpha's server must be out, and
	// stay out across several check intervals.
	for range 5 {
		if _, n := dests("192.0.2.51"); n != 0 {
			t.Fatalf("alpha real server in the table (%d dests) before any check passed", n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := alphaAdds.Load(); n != 0 {
		t.Fatalf("alpha real server added to IPVS %d times before any check passed", n)
	}
	close(release)
	released = true
	eventually(t, "alpha real server enters once its check passes", bound, func() bool {
		_, n := dests("192.0.2.51")
		return n == 1
	})
}
