package daemon

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/ipvssync"
)

const ipvsTestConf = `
virtual_server "web" {
  address = "192.0.2.50:80"
  lb_kind = "DR"
  real_server "a" {
    address = "198.51.100.7:80"
    weight  = 3
  }
  real_server "b" {
    address = "198.51.100.8:80"
  }
}
`

var (
	webKey = ipvssync.ServiceKey{Family: ipvssync.FamilyIPv4, Proto: ipvssync.ProtoTCP, Addr: netip.MustParseAddr("192.0.2.50"), Port: 80}
	destA  = ipvssync.DestKey{Addr: netip.MustParseAddr("198.51.100.7"), Port: 80}
	destB  = ipvssync.DestKey{Addr: netip.MustParseAddr("198.51.100.8"), Port: 80}
)

func ipvsTestConfig(t *testing.T, resync time.Duration) *config.Config {
	t.Helper()
	cfg, diags := config.Parse([]byte(ipvsTestConf), "test.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg.Global.LVSResyncInterval = resync
	return cfg
}

// newTestIPVS is an ipvs component on open with short timings.
func newTestIPVS(t *testing.T, open func() (ipvssync.Handle, error)) *ipvsComponent {
	c := newIPVSComponent(zaptest.NewLogger(t), open, nil, ipvsLinks{})
	c.retryMin, c.retryMax, c.callTimeout = 20*time.Millisecond, 200*time.Millisecond, 5*time.Second
	t.Cleanup(func() { c.Stop(context.Background()) })
	return c
}

// wantTable reports whether k holds exactly web with a (weight 3) and b.
func wantTable(k ipvssync.Kernel) bool {
	tab, err := ipvssync.Read(k)
	if err != nil {
		return false
	}
	e, ok := tab[webKey]
	return ok && len(e.Dests) == 2 && e.Dests[destA].Weight == 3 && e.Dests[destB].Weight == 1
}

func TestIPVSNextWake(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		name     string
		failures int
		resync   time.Duration
		want     time.Duration // after t0; -1 for never
		why      string
	}{
		{"all well, resync off: never", 0, 0, -1, ""},
		{"all well: next resync", 0, 30 * time.Second, 30 * time.Second, "resync"},
		{"one failure: first retry", 1, 30 * time.Second, 100 * time.Millisecond, "retry"},
		{"three failures: backed off", 3, 30 * time.Second, 400 * time.Millisecond, "retry"},
		{"many failures: capped", 50, 0, 10 * time.Second, "retry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := ipvsNextWake(t0, tc.failures, tc.resync, 100*time.Millisecond, 10*time.Second)
			if tc.want < 0 {
				if !got.IsZero() {
					t.Errorf("wake at %v, want never", got)
				}
				return
			}
			if got.Sub(t0) != tc.want || why != tc.why {
				t.Errorf("wake after %v (%s), want %v (%s)", got.Sub(t0), why, tc.want, tc.why)
			}
		})
	}
}

// A write the kernel refuses is retried on its own, without any new
// check verdict, and the table ends right.
func TestIPVSRetriesFailedSync(t *testing.T) {
	k := ipvssync.NewFakeKernel()
	var mu sync.Mutex
	fails := 3
	k.Fail = func(op string, _ ipvssync.ServiceKey, _ ipvssync.DestKey) error {
		mu.Lock()
		defer mu.Unlock()
		if op == "NewDestination" && fails > 0 {
			fails--
			return syscall.ENOMEM
		}
		return nil
	}
	c := newTestIPVS(t, func() (ipvssync.Handle, error) { return fakeHandle{k}, nil })
	if err := c.Apply(context.Background(), ipvsTestConfig(t, 0)); !errors.Is(err, syscall.ENOMEM) {
		t.Fatalf("first sync: %v, want the kernel's ENOMEM", err)
	}
	// The fake kernel holds the table while the good sync still runs;
	// its failure count resets when the sync returns, so both are
	// waited for (reading the count as soon as the table was right
	// failed one run in 25).
	eventually(t, "the table after retries, and no failure counted after the good sync", 5*time.Second, func() bool {
		c.mu.Lock()
		failures := c.failures
		c.mu.Unlock()
		return wantTable(k) && failures == 0
	})
}

// The periodic resync puts back an owned service deleted behind lbhad's
// back and a changed weight, and leaves a foreign service alone.
func TestIPVSResyncRepairs(t *testing.T) {
	k := ipvssync.NewFakeKernel()
	foreign := ipvssync.Service{Key: ipvssync.ServiceKey{Family: ipvssync.FamilyIPv4, Proto: ipvssync.ProtoTCP, Addr: netip.MustParseAddr("203.0.113.9"), Port: 443}, Scheduler: "rr", Netmask: 32}
	foreignDest := ipvssync.Destination{Addr: netip.MustParseAddr("198.51.100.99"), Port: 443, Weight: 7}
	if err := k.NewService(foreign); err != nil {
		t.Fatal(err)
	}
	if err := k.NewDestination(foreign.Key, foreignDest); err != nil {
		t.Fatal(err)
	}
	c := newTestIPVS(t, func() (ipvssync.Handle, error) { return fakeHandle{k}, nil })
	if err := c.Apply(context.Background(), ipvsTestConfig(t, 100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if !wantTable(k) {
		t.Fatal("first sync did not make the table")
	}
	// A weight changed by hand.
	if err := k.UpdateDestination(webKey, ipvssync.Destination{Addr: destA.Addr, Port: 80, Weight: 9, Forward: ipvssync.ForwardDR}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "weight put back", 5*time.Second, func() bool { return wantTable(k) })

	// ipvsadm -D of the whole service.
	if err := k.DelService(webKey); err != nil {
		t.Fatal(err)
	}
	eventually(t, "service put back", 5*time.Second, func() bool { return wantTable(k) })

	tab, _ := ipvssync.Read(k)
	fk := ipvssync.ServiceKey{Family: ipvssync.FamilyIPv4, Proto: ipvssync.ProtoTCP, Addr: netip.MustParseAddr("203.0.113.9"), Port: 443}
	if e, ok := tab[fk]; !ok || len(e.Dests) != 1 || e.Dests[ipvssync.DestKey{Addr: netip.MustParseAddr("198.51.100.99"), Port: 443}].Weight != 7 {
		t.Errorf("foreign service changed: %+v", tab[fk])
	}
	if len(tab) != 2 {
		t.Errorf("table has %d services, want ours and the foreign one", len(tab))
	}
}

// With the resync off, nothing repairs the table until a change: the
// option really is what repairs it.
func TestIPVSResyncOff(t *testing.T) {
	k := ipvssync.NewFakeKernel()
	c := newTestIPVS(t, func() (ipvssync.Handle, error) { return fakeHandle{k}, nil })
	if err := c.Apply(context.Background(), ipvsTestConfig(t, 0)); err != nil {
		t.Fatal(err)
	}
	if err := k.DelService(webKey); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if wantTable(k) {
		t.Fatal("table repaired with lvs_resync_interval = 0")
	}
	c.RealServerEvent(ipvssync.RealKey{Service: webKey, Dest: destB}, checker.Event{Up: true})
	eventually(t, "repaired by the next change", 5*time.Second, func() bool { return wantTable(k) })
}

// blockingHandle is a fake whose destination writes block until
// released: a netlink call that hangs.
type blockingHandle struct {
	*ipvssync.FakeKernel
	entered chan struct{}
	release chan struct{}
}

func (b blockingHandle) Close() {}

func (b blockingHandle) UpdateDestination(s ipvssync.ServiceKey, d ipvssync.Destination) error {
	b.entered <- struct{}{}
	<-b.release
	return b.FakeKernel.UpdateDestination(s, d)
}

// While a netlink write hangs, check events, status (table and quorum)
// return at once: no lock they take is held across the call.
func TestIPVSLockNotHeldDuringApply(t *testing.T) {
	k := ipvssync.NewFakeKernel()
	bh := blockingHandle{FakeKernel: k, entered: make(chan struct{}, 1), release: make(chan struct{})}
	c := newTestIPVS(t, func() (ipvssync.Handle, error) { return bh, nil })
	if err := c.Apply(context.Background(), ipvsTestConfig(t, 0)); err != nil {
		t.Fatal(err)
	}
	// A dynamic weight makes the next sync an UpdateDestination, which
	// hangs.
	w := 5
	c.RealServerEvent(ipvssync.RealKey{Service: webKey, Dest: destA}, checker.Event{Up: true, Weight: &w})
	select {
	case <-bh.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the sync never reached the kernel")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.RealServerEvent(ipvssync.RealKey{Service: webKey, Dest: destB}, checker.Event{Up: false})
		c.Quorum()
		if tab, err := c.Table(); err != nil || len(tab) != 1 {
			t.Errorf("Table during a hung write = %v, %v", tab, err)
		}
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("RealServerEvent/Quorum/Table blocked while a netlink write hung")
	}
	close(bh.release)
	eventually(t, "the hung write and the later change applied", 5*time.Second, func() bool {
		tab, _ := ipvssync.Read(k)
		e := tab[webKey]
		_, hasB := e.Dests[destB]
		return e.Dests[destA].Weight == 5 && !hasB
	})
}

// stuckHandle hangs in every call until it is closed, as moby/ipvs does
// when the kernel never answers.
type stuckHandle struct {
	*ipvssync.FakeKernel
	closed chan struct{}
	once   *sync.Once
}

func (s stuckHandle) Close() { s.once.Do(func() { close(s.closed) }) }

func (s stuckHandle) GetServices() ([]ipvssync.Service, error) {
	<-s.closed
	return nil, errors.New("socket closed")
}

// A netlink call that never returns fails the sync after the deadline;
// the handle is replaced and the retry makes the table.
func TestIPVSStuckCallTimesOut(t *testing.T) {
	k := ipvssync.NewFakeKernel()
	var mu sync.Mutex
	opens := 0
	open := func() (ipvssync.Handle, error) {
		mu.Lock()
		defer mu.Unlock()
		opens++
		if opens == 1 { // the sync's first handle hangs
			return stuckHandle{FakeKernel: k, closed: make(chan struct{}), once: &sync.Once{}}, nil
		}
		return fakeHandle{k}, nil
	}
	c := newTestIPVS(t, open)
	c.callTimeout = 100 * time.Millisecond
	start := time.Now()
	err := c.Apply(context.Background(), ipvsTestConfig(t, 0))
	if !errors.Is(err, ipvssync.ErrTimeout) {
		t.Fatalf("Apply on a hung handle: %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Apply returned after %v, want about the 100ms deadline", d)
	}
	eventually(t, "the table through a new handle", 5*time.Second, func() bool { return wantTable(k) })
}

// A real server in maintenance that still has connections stays at
// weight 0; the component looks again a second later by its own clock
// (no wall-clock timer), and the server leaves once idle.
func TestIPVSRelooksDrainingOnItsClock(t *testing.T) {
	k := ipvssync.NewFakeKernel()
	clk := clock.NewFake(time.Unix(1000, 0))
	rk := ipvssync.RealKey{Service: webKey, Dest: destB}
	var mu sync.Mutex
	var left []ipvssync.MaintLeft
	c := newIPVSComponent(zaptest.NewLogger(t), func() (ipvssync.Handle, error) { return fakeHandle{k}, nil }, clk, ipvsLinks{
		maint: func([]*config.VirtualServer) map[ipvssync.RealKey]ipvssync.Maint {
			return map[ipvssync.RealKey]ipvssync.Maint{rk: {Since: time.Unix(1000, 0), Timeout: time.Hour}}
		},
		maintLeft: func(_ []*config.VirtualServer, l []ipvssync.MaintLeft) {
			mu.Lock()
			left = append(left, l...)
			mu.Unlock()
		},
	})
	t.Cleanup(func() { c.Stop(context.Background()) })
	// b must already be in the table with a connection, as on a director
	// that has been serving: a first sync without maintenance puts it in.
	maint := c.maint
	c.maint = nil
	if err := c.Apply(context.Background(), ipvsTestConfig(t, 0)); err != nil {
		t.Fatal(err)
	}
	if !k.SetConns(webKey, destB, 1, 0) {
		t.Fatal("b not in the table")
	}
	c.syncMu.Lock()
	c.maint = maint
	c.syncMu.Unlock()
	if err := c.sync(); err != nil {
		t.Fatal(err)
	}
	weightB := func() (int, bool) {
		tab, err := ipvssync.Read(k)
		if err != nil {
			return 0, false
		}
		d, ok := tab[webKey].Dests[destB]
		return d.Weight, ok
	}
	if w, ok := weightB(); !ok || w != 0 {
		t.Fatalf("b with a connection in maintenance: weight %d present %v, want draining at 0", w, ok)
	}
	k.SetConns(webKey, destB, 0, 0)
	// Only the relook can sync now: resync is off, nothing failed and no
	// verdict arrives. Move the clock until it fires.
	eventually(t, "b leaves after the relook", 5*time.Second, func() bool {
		clk.Advance(ipvsRelook)
		_, ok := weightB()
		return !ok
	})
	mu.Lock()
	defer mu.Unlock()
	if len(left) != 1 || left[0].Key != rk {
		t.Errorf("maintLeft heard %+v, want b once", left)
	}
}
