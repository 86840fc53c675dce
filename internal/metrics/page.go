package metrics

import (
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/lbhad/lbhad/internal/control"
)

// Page is the /metrics handler: the registry's families (the Observe
// metrics, build info, the Go runtime and the process) through
// client_golang, then the Snapshot's series written straight as text
// (textSink), in the Prometheus text format 0.0.4, gzipped when the
// scraper accepts it. Going through the registry, the Snapshot's series
// would each cost a const metric, label pairs and a protobuf message,
// all held until the page is written.
type Page struct {
	m      *Metrics
	events *prometheus.Registry
	slots  chan struct{}
	// timeout bounds the wait for the Snapshot, which may read the IPVS
	// table: a hung read must not hang every scrape after it.
	timeout time.Duration
}

// scrapesInFlight is how many scrapes run at once; more get 503.
const scrapesInFlight = 4

// NewPage returns the handler for m.
func NewPage(m *Metrics) (*Page, error) {
	reg, err := registryWith(eventCollector{m})
	if err != nil {
		return nil, err
	}
	return &Page{m: m, events: reg, slots: make(chan struct{}, scrapesInFlight), timeout: 20 * time.Second}, nil
}

// eventCollector is Metrics without the Snapshot.
type eventCollector struct{ m *Metrics }

func (e eventCollector) Describe(ch chan<- *prometheus.Desc) { e.m.describeEvents(ch) }
func (e eventCollector) Collect(ch chan<- prometheus.Metric) { e.m.collectEvents(ch) }

func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	default:
		http.Error(w, "too many scrapes in flight", http.StatusServiceUnavailable)
		return
	}
	var snap control.Snapshot
	if p.m.src != nil {
		var ok bool
		if snap, ok = p.snapshot(r); !ok {
			http.Error(w, "the status snapshot did not come within "+p.timeout.String(), http.StatusServiceUnavailable)
			return
		}
	}
	mfs, err := p.events.Gather()
	if err != nil {
		http.Error(w, "gather metrics: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	var out io.Writer = w
	if acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		gz := gzip.NewWriter(w)
		defer gz.Close()
		out = gz
	}
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(out, mf); err != nil {
			return // the scraper went away
		}
	}
	if p.m.src != nil {
		text := newTextSink(out)
		collectSnapshot(sink{text: text}, snap)
		_ = text.flush()
	}
}

// snapshot takes the Snapshot within p.timeout; false if it did not
// come, or the scraper went away.
func (p *Page) snapshot(r *http.Request) (control.Snapshot, bool) {
	ch := make(chan control.Snapshot, 1)
	go func() { ch <- p.m.src.Snapshot() }()
	t := time.NewTimer(p.timeout)
	defer t.Stop()
	select {
	case s := <-ch:
		return s, true
	case <-t.C:
	case <-r.Context().Done():
	}
	return control.Snapshot{}, false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
			v, err := strconv.ParseFloat(q, 64)
			return !ok || err != nil || v > 0 // "gzip;q=0" refuses it
		}
	}
	return false
}
