package daemon

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"

	"github.com/lbhad/lbhad/checker"
)

func TestHASuspended(t *testing.T) {
	cfg := mustParse(t, `
virtual_server "web" {
  address    = "192.0.2.50:80"
  ha_suspend = true
  real_server "a" {
    address = "198.51.100.10:80"
    tcp_check {}
    http_get {}
  }
  real_server "unchecked" {
    address = "198.51.100.11:80"
  }
}
virtual_server "always" {
  address = "192.0.2.51:80"
  real_server "a" {
    address = "198.51.100.10:80"
    tcp_check {}
  }
}
virtual_server_group "G" {
  addresses = ["192.0.2.60-61:80"]
}
virtual_server "grp" {
  group      = "G"
  ha_suspend = true
  real_server "a" {
    address = "198.51.100.10:80"
    tcp_check {}
  }
}
`)
	rules := haSuspendRules(cfg)
	web := []string{"rs/web/a", "rs/web/a#2"}
	for _, tc := range []struct {
		name  string
		local []string
		want  []string
	}{
		{"no address here", nil, append(web, "rs/grp/a")},
		{"web's VIP here", []string{"192.0.2.50"}, []string{"rs/grp/a"}},
		{"one group member here", []string{"192.0.2.61", "192.0.2.51"}, web},
		{"all here", []string{"192.0.2.50", "192.0.2.60"}, nil},
	} {
		local := map[netip.Addr]bool{}
		for _, a := range tc.local {
			local[netip.MustParseAddr(a)] = true
		}
		want := map[string]bool{}
		for _, id := range tc.want {
			want[id] = true
		}
		if diff := cmp.Diff(want, haSuspended(rules, local)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// fakeAddrs is an addrWatch the test drives.
type fakeAddrs struct {
	mu       sync.Mutex
	onChange func(map[netip.Addr]bool)
	stopped  bool
}

func (f *fakeAddrs) watch(on func(map[netip.Addr]bool)) (func(), error) {
	f.mu.Lock()
	f.onChange = on
	f.mu.Unlock()
	on(map[netip.Addr]bool{})
	return func() { f.mu.Lock(); f.stopped = true; f.mu.Unlock() }, nil
}

func (f *fakeAddrs) set(addrs ...string) {
	m := map[netip.Addr]bool{}
	for _, a := range addrs {
		m[netip.MustParseAddr(a)] = true
	}
	f.mu.Lock()
	on := f.onChange
	f.mu.Unlock()
	on(m)
}

type countingCheck struct{ n *atomic.Int64 }

func (c countingCheck) Check(context.Context) checker.Result {
	c.n.Add(1)
	return checker.Result{OK: true}
}

// TestHASuspendRunsChecksOnlyWithTheAddress: with an hour between checks,
// the check of an ha_suspend virtual server does not run while its
// address is absent, runs at once (not an hour later) when the address
// appears, and stops again when it goes.
func TestHASuspendRunsChecksOnlyWithTheAddress(t *testing.T) {
	var runs atomic.Int64
	c := newChecksComponent(zap.NewNop(), nil, nil, nil, func(checker.Spec) (checker.Checker, error) {
		return countingCheck{&runs}, nil
	}, nil)
	fa := &fakeAddrs{}
	c.ha.watch = fa.watch
	defer func() { _ = c.Stop(context.Background()) }()
	cfg := mustParse(t, `
virtual_server "web" {
  address    = "192.0.2.50:80"
  ha_suspend = true
  real_server "a" {
    address = "198.51.100.10:80"
    tcp_check {
      delay_loop = 3600
    }
  }
}
`)
	if err := c.Apply(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	fa.set("192.0.2.1") // another address: still suspended
	time.Sleep(300 * time.Millisecond)
	if n := runs.Load(); n != 0 {
		t.Fatalf("check ran %d times without the virtual server's address", n)
	}
	fa.set("192.0.2.1", "192.0.2.50")
	eventually(t, "the check runs once the address is here", 5*time.Second, func() bool { return runs.Load() == 1 })
	fa.set("192.0.2.1")
	// A reload keeps the suspension.
	if err := c.Apply(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if !c.reals.e.Suspended("rs/web/a") {
		t.Error("check not suspended after the address left and a reload")
	}
	fa.set("192.0.2.50")
	eventually(t, "the check runs again at once", 5*time.Second, func() bool { return runs.Load() == 2 })
	_ = c.Stop(context.Background())
	fa.mu.Lock()
	defer fa.mu.Unlock()
	if !fa.stopped {
		t.Error("Stop left the address watcher running")
	}
}
