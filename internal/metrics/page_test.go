package metrics

import (
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/lbhad/lbhad/internal/control"
)

// pageSnapshot is the fixture with every family present and names that
// need escaping in the text format.
func pageSnapshot(t *testing.T) control.Snapshot {
	s := fixture(t)
	s.VirtualServers[0].Name = "we\"b\\1\nx"
	s.VirtualServers[0].RealServers[1].Name = "rs-ü"
	s.Degraded = []control.Problem{{Component: "ipvs", Error: "no table"}, {Component: "ipvs", Error: "again"}, {Component: "bgp"}}
	s.InterfaceDrops = []control.InterfaceDrops{{Interface: "eth0", Family: "ipv6", Dropped: map[string]uint64{"checksum": 3}}}
	s.BGP = &control.BGPStatus{Sessions: []control.BGPSession{{Neighbor: "r1", Up: true}}, Routes: []control.BGPRoute{{Prefix: "192.0.2.50/32"}}}
	return s
}

func scrapePage(t *testing.T, p *Page, gz bool) (string, http.Header) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	var body io.Reader = rec.Body
	if gz {
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), rec.Header()
}

// series renders a family's metrics as sorted lines, label pairs sorted,
// values only (no timestamps), so a parsed page and a gathered registry
// compare equal when they say the same.
func series(mf *dto.MetricFamily) []string {
	var out []string
	for _, m := range mf.GetMetric() {
		var l []string
		for _, p := range m.GetLabel() {
			l = append(l, fmt.Sprintf("%s=%q", p.GetName(), p.GetValue()))
		}
		slices.Sort(l)
		v := ""
		switch {
		case m.Gauge != nil:
			v = fmt.Sprint(m.GetGauge().GetValue())
		case m.Counter != nil:
			v = fmt.Sprint(m.GetCounter().GetValue())
		case m.Histogram != nil:
			h := m.GetHistogram()
			v = fmt.Sprint(h.GetSampleCount(), h.GetSampleSum())
			for _, b := range h.GetBucket() {
				if math.IsInf(b.GetUpperBound(), 1) {
					continue // implicit in the registry's message, written in the text
				}
				v += fmt.Sprintf(" %v:%d", b.GetUpperBound(), b.GetCumulativeCount())
			}
		case m.Untyped != nil:
			v = fmt.Sprint(m.GetUntyped().GetValue())
		}
		out = append(out, strings.Join(l, ",")+" "+v)
	}
	slices.Sort(out)
	return out
}

// TestPageMatchesRegistry: the page that Serve serves says exactly what
// the registry path (Collect, Gather) says for every lbhad family, with
// names that need escaping, gzipped or not.
func TestPageMatchesRegistry(t *testing.T) {
	m := New(fakeSource{pageSnapshot(t)})
	m.SetNotificationSource(func() map[string]NotificationCounts {
		return map[string]NotificationCounts{"webhook:chat": {Delivered: 1, Failed: 2}}
	})
	m.ObserveCheck("tcp_check", true, 3*time.Millisecond)
	m.ObserveCheck("tcp_check", false, time.Second)
	m.ObserveIPVS(3, nil)
	m.ObserveTransition("VI_1", 51, "MASTER")
	m.ObserveReload(true, time.Unix(1700000000, 0))
	reg, err := NewRegistry(m)
	if err != nil {
		t.Fatal(err)
	}
	gathered, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPage(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, gz := range []bool{false, true} {
		text, h := scrapePage(t, p, gz)
		if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
			t.Errorf("Content-Type %q", ct)
		}
		if got := h.Get("Content-Encoding") == "gzip"; got != gz {
			t.Errorf("gzip asked %v, Content-Encoding %q", gz, h.Get("Content-Encoding"))
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		page, err := parser.TextToMetricFamilies(strings.NewReader(text)) // fails on a family written twice
		if err != nil {
			t.Fatalf("parse the page: %v\n%s", err, text)
		}
		n := 0
		for _, want := range gathered {
			if !strings.HasPrefix(want.GetName(), "lbhad_") {
				continue
			}
			n++
			got := page[want.GetName()]
			if got == nil {
				t.Errorf("page lacks %s", want.GetName())
				continue
			}
			if got.GetType() != want.GetType() || got.GetHelp() != want.GetHelp() {
				t.Errorf("%s: page has %v %q, registry %v %q", want.GetName(), got.GetType(), got.GetHelp(), want.GetType(), want.GetHelp())
			}
			if g, w := series(got), series(want); !slices.Equal(g, w) {
				t.Errorf("%s:\npage     %q\nregistry %q", want.GetName(), g, w)
			}
		}
		for name := range page {
			if strings.HasPrefix(name, "lbhad_") && !slices.ContainsFunc(gathered, func(mf *dto.MetricFamily) bool { return mf.GetName() == name }) {
				t.Errorf("page has %s, the registry does not", name)
			}
		}
		if n < len(snapshotFamilies) || page["go_goroutines"] == nil || page["process_start_time_seconds"] == nil {
			t.Errorf("compared %d lbhad families (%d from the snapshot); go and process families present: %v %v",
				n, len(snapshotFamilies), page["go_goroutines"] != nil, page["process_start_time_seconds"] != nil)
		}
		if !strings.Contains(text, `lbhad_real_server_up{rs="rs1",vs="we\"b\\1\nx"} 1`) {
			t.Errorf("escaped label values not as the text format writes them:\n%s", text)
		}
	}
}

type slowSource struct{ release chan struct{} }

func (s slowSource) Snapshot() control.Snapshot { <-s.release; return control.Snapshot{} }

// TestPageHungSnapshot: a Snapshot that does not come (a hung IPVS
// read) fails the scrape after the page's timeout instead of hanging it,
// and scrapes beyond scrapesInFlight are refused at once.
func TestPageHungSnapshot(t *testing.T) {
	src := slowSource{make(chan struct{})}
	defer close(src.release)
	p, err := NewPage(New(src))
	if err != nil {
		t.Fatal(err)
	}
	p.timeout = 50 * time.Millisecond
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("hung snapshot: %d, want 503", rec.Code)
	}
	for range scrapesInFlight {
		p.slots <- struct{}{}
	}
	rec = httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "too many") {
		t.Errorf("scrape beyond %d in flight: %d %s", scrapesInFlight, rec.Code, rec.Body)
	}
}

// bigSnapshot has vs virtual servers of 10 real servers each, as the
// checker bench's daemon phase runs them.
func bigSnapshot(vs int) control.Snapshot {
	var s control.Snapshot
	for i := range vs {
		v := control.VSStatus{Name: fmt.Sprintf("vs%d", i), QuorumUp: true}
		for j := range 10 {
			v.RealServers = append(v.RealServers, control.RSStatus{Name: fmt.Sprintf("rs%d", i*10+j), Health: control.HealthUp, Weight: 1})
		}
		s.VirtualServers = append(s.VirtualServers, v)
	}
	return s
}

// TestPageAllocatesLessThanRegistry: with 10,000 real servers a scrape
// of the page allocates under half of what the registry path does for
// the same snapshot. The measured figures are in docs/PERFORMANCE.md.
func TestPageAllocatesLessThanRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 10,000 real servers")
	}
	m := New(fakeSource{bigSnapshot(1000)})
	p, err := NewPage(m)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(m)
	if err != nil {
		t.Fatal(err)
	}
	allocated := func(f func()) uint64 {
		var a, b runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&a)
		f()
		runtime.ReadMemStats(&b)
		return b.TotalAlloc - a.TotalAlloc
	}
	// Both write to a sink that keeps nothing, as a server's response
	// streams out.
	req := httptest.NewRequest("GET", "/metrics", nil)
	pageBytes := allocated(func() { p.ServeHTTP(discard{http.Header{}}, req) })
	regBytes := allocated(func() { writeRegistry(t, reg) })
	t.Logf("one scrape with 10,000 real servers: page %.1f MB allocated, registry %.1f MB", float64(pageBytes)/1e6, float64(regBytes)/1e6)
	if pageBytes*2 > regBytes {
		t.Errorf("page allocates %d bytes, registry %d: not under half", pageBytes, regBytes)
	}
}

type discard struct{ h http.Header }

func (d discard) Header() http.Header       { return d.h }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// BenchmarkScrape: one scrape with 10,000 real servers, the page
// against the registry path it replaced (docs/PERFORMANCE.md, "Metrics
// scrape").
func BenchmarkScrape(b *testing.B) {
	m := New(fakeSource{bigSnapshot(1000)})
	b.Run("page", func(b *testing.B) {
		p, err := NewPage(m)
		if err != nil {
			b.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/metrics", nil)
		b.ReportAllocs()
		for b.Loop() {
			p.ServeHTTP(discard{http.Header{}}, req)
		}
	})
	b.Run("registry", func(b *testing.B) {
		reg, err := NewRegistry(m)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			writeRegistry(b, reg)
		}
	})
}

// writeRegistry is a scrape through the registry path: gather, then the
// text of every family, into nothing.
func writeRegistry(tb testing.TB, reg *prometheus.Registry) {
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(io.Discard, mf); err != nil {
			tb.Fatal(err)
		}
	}
}
