package daemon

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/internal/metrics"
	"github.com/lbhad/lbhad/ipvssync"
)

// TestTableCache steps the cache's rules with a fake time: one read per
// max age, a new read after invalidate, and a read that began before an
// invalidate handed to its caller but not kept.
func TestTableCache(t *testing.T) {
	now := time.Unix(1000, 0)
	clockNow := func() time.Time { return now }
	reads := 0
	var during func() // runs inside the next read
	read := func() (ipvssync.Table, error) {
		reads++
		if during != nil {
			f := during
			during = nil
			f()
		}
		return ipvssync.Table{}, nil
	}
	var c tableCache
	get := func() {
		if _, err := c.get(clockNow, 5*time.Second, read); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name      string
		do        func()
		wantReads int
	}{
		{"first get reads", get, 1},
		{"again at once: cached", get, 1},
		{"4.9 s later: cached", func() { now = now.Add(4900 * time.Millisecond); get() }, 1},
		{"5 s after the read: read again", func() { now = now.Add(100 * time.Millisecond); get() }, 2},
		{"invalidated: read again", func() { c.invalidate(); get() }, 3},
		{"then cached", get, 3},
		{"invalidated during a read: that read is not kept", func() {
			now = now.Add(time.Minute)
			during = c.invalidate
			get()
			get()
		}, 5},
		{"and the one after is", get, 5},
	}
	for _, s := range steps {
		s.do()
		if reads != s.wantReads {
			t.Fatalf("%s: %d reads, want %d", s.name, reads, s.wantReads)
		}
	}
	// An error is shared like a table, for the same time.
	var e tableCache
	boom := errors.New("netlink: timeout")
	n := 0
	for range 3 {
		_, err := e.get(clockNow, 5*time.Second, func() (ipvssync.Table, error) { n++; return nil, boom })
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	}
	if n != 1 {
		t.Errorf("failing reads = %d, want 1", n)
	}
}

// countingHandle counts the kernel reads (dumps) on the fake kernel and
// gives what it reads the traffic counters the fake does not model.
type countingHandle struct {
	*ipvssync.FakeKernel
	mu             sync.Mutex
	services, dsts int
}

func (h *countingHandle) GetServices() ([]ipvssync.Service, error) {
	h.mu.Lock()
	h.services++
	h.mu.Unlock()
	svcs, err := h.FakeKernel.GetServices()
	for i := range svcs {
		svcs[i].Stats = ipvssync.Stats{Conns: 30, PacketsIn: 300, PacketsOut: 200, BytesIn: 3e4, BytesOut: 5e5}
	}
	return svcs, err
}

func (h *countingHandle) GetDestinations(k ipvssync.ServiceKey) ([]ipvssync.Destination, error) {
	h.mu.Lock()
	h.dsts++
	h.mu.Unlock()
	ds, err := h.FakeKernel.GetDestinations(k)
	for i := range ds {
		ds[i].Stats = ipvssync.Stats{Conns: 15, PacketsIn: 150, PacketsOut: 100, BytesIn: 1.5e4, BytesOut: 2.5e5}
	}
	return ds, err
}

func (h *countingHandle) reads() (services, dests int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.services, h.dsts
}

func (h *countingHandle) Close() {}

// TestScrapesShareOneTableRead scrapes the daemon's metrics, as
// Prometheus does, many times and from many goroutines, and counts the
// kernel dumps: one per ipvsTableMaxAge, however many scrapes, and one
// more after a sync that wrote. The traffic counters are in the scrape.
func TestScrapesShareOneTableRead(t *testing.T) {
	clk := clock.NewFake(time.Unix(1700000000, 0))
	h := &countingHandle{FakeKernel: ipvssync.NewFakeKernel()}
	opens := 0
	c := newIPVSComponent(zaptest.NewLogger(t), func() (ipvssync.Handle, error) {
		opens++
		if opens == 1 {
			return fakeHandle{h.FakeKernel}, nil // the reconciler's handle: its reads are not scrapes
		}
		return h, nil // Table's reader
	}, clk, ipvsLinks{})
	c.callTimeout = 5 * time.Second
	t.Cleanup(func() { c.Stop(context.Background()) })
	cfg := ipvsTestConfig(t, 0)
	if err := c.Apply(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	d := &daemon{log: zap.NewNop(), cfg: cfg, parts: &Parts{IPVS: c}}
	d.metrics = metrics.New(d)
	reg, err := metrics.NewRegistry(d.metrics)
	if err != nil {
		t.Fatal(err)
	}
	scrape := func() {
		if _, err := reg.Gather(); err != nil {
			t.Error(err)
		}
	}
	wantReads := func(step string, services int) {
		t.Helper()
		s, ds := h.reads()
		if s != services || ds != services { // one service: one destination dump per table read
			t.Fatalf("%s: %d service and %d destination dumps, want %d each", step, s, ds, services)
		}
	}

	for range 20 {
		scrape()
	}
	wantReads("20 scrapes at once", 1)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(scrape)
	}
	wg.Wait()
	wantReads("8 concurrent scrapes", 1)
	clk.Advance(ipvsTableMaxAge - time.Millisecond)
	scrape()
	wantReads("just under the max age", 1)
	clk.Advance(time.Millisecond)
	scrape()
	scrape()
	wantReads("at the max age", 2)

	// A sync that writes makes the next read fresh: b goes down and
	// leaves the table.
	c.RealServerEvent(ipvssync.RealKey{Service: webKey, Dest: destB}, checker.Event{Up: false})
	eventually(t, "b removed", 5*time.Second, func() bool {
		tab, _ := ipvssync.Read(h.FakeKernel)
		return len(tab[webKey].Dests) == 1
	})
	eventually(t, "the cache dropped after the write", 5*time.Second, func() bool {
		scrape()
		s, _ := h.reads()
		return s == 3
	})

	page, err := testutil.GatherAndCount(reg, "lbhad_real_server_connections_total", "lbhad_virtual_server_bytes_total")
	if err != nil || page != 1+2 { // a (b left the table) and in/out of web
		t.Errorf("traffic series = %d (%v), want 3", page, err)
	}
	want := `
# HELP lbhad_virtual_server_connections_total Connections IPVS scheduled for a virtual server since it entered the table (ipvsadm --stats Conns; read at most every few seconds).
# TYPE lbhad_virtual_server_connections_total counter
lbhad_virtual_server_connections_total{vs="web"} 30
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "lbhad_virtual_server_connections_total"); err != nil {
		t.Error(err)
	}
	wantReads("after the checks above", 3)
}
