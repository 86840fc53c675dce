package metrics

import (
	"bytes"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// family is one metric read from a Snapshot: its name, help and label
// names, and the Desc that the registry path (Collect) needs.
type family struct {
	index      int // in snapshotFamilies
	name, help string
	labels     []string
	// sorted lists the indexes of labels in name order, the order in
	// which a registry writes them.
	sorted []int
	desc   *prometheus.Desc
}

// snapshotFamilies lists every family newFamily made, for Describe.
var snapshotFamilies []*family

func newFamily(name, help string, labels ...string) *family {
	f := &family{index: len(snapshotFamilies), name: name, help: help, labels: labels, desc: prometheus.NewDesc(name, help, labels, nil)}
	for i := range labels {
		f.sorted = append(f.sorted, i)
	}
	slices.SortFunc(f.sorted, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	snapshotFamilies = append(snapshotFamilies, f)
	return f
}

// sink receives the series of a Snapshot, one value with its label
// values (in the order of the family's label names) at a time, and
// sends it to a registry's collection (ch) or writes it as text. It is
// one concrete type, not an interface, so that the label values of a
// call stay on the caller's stack.
type sink struct {
	ch   chan<- prometheus.Metric
	text *textSink
}

func (s sink) add(f *family, counter bool, v float64, labels ...string) {
	if s.text != nil {
		s.text.add(f, counter, v, labels)
		return
	}
	t := prometheus.GaugeValue
	if counter {
		t = prometheus.CounterValue
	}
	s.ch <- prometheus.MustNewConstMetric(f.desc, t, v, labels...)
}

// textSink writes the series in the Prometheus text format (0.0.4), each
// family in a buffer of its own so that its lines stay together while
// collectSnapshot walks instance by instance. The registry path builds a
// protobuf message, label pairs and a const metric for every series and
// keeps them all until the page is written: with 10,000 real servers
// that is tens of thousands of objects per scrape, where this keeps the
// text alone (docs/PERFORMANCE.md, "Metrics scrape").
type textSink struct {
	fams []*familyText // by family.index; nil for a family not seen
}

type familyText struct {
	counter bool
	buf     bytes.Buffer
}

func (t *textSink) add(f *family, counter bool, v float64, labels []string) {
	if t.fams == nil {
		t.fams = make([]*familyText, len(snapshotFamilies))
	}
	ft := t.fams[f.index]
	if ft == nil {
		ft = &familyText{counter: counter}
		t.fams[f.index] = ft
	}
	b := &ft.buf
	b.WriteString(f.name)
	if len(f.labels) > 0 {
		b.WriteByte('{')
		for k, j := range f.sorted {
			if k > 0 {
				b.WriteByte(',')
			}
			b.WriteString(f.labels[j])
			b.WriteString(`="`)
			if j < len(labels) {
				writeLabelValue(b, labels[j])
			}
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.Write(appendValue(b.AvailableBuffer(), v))
	b.WriteByte('\n')
}

// writeTo writes the families in name order, as a registry gathers them.
func (t *textSink) writeTo(w io.Writer) error {
	var seen []*family
	for _, f := range snapshotFamilies {
		if t.fams != nil && t.fams[f.index] != nil {
			seen = append(seen, f)
		}
	}
	slices.SortFunc(seen, func(a, b *family) int { return strings.Compare(a.name, b.name) })
	for _, f := range seen {
		ft, typ := t.fams[f.index], "gauge"
		if ft.counter {
			typ = "counter"
		}
		if _, err := io.WriteString(w, "# HELP "+f.name+" "+helpEscaper.Replace(f.help)+"\n# TYPE "+f.name+" "+typ+"\n"); err != nil {
			return err
		}
		if _, err := ft.buf.WriteTo(w); err != nil {
			return err
		}
	}
	return nil
}

var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

// writeLabelValue writes v escaped as the text format wants (backslash,
// double quote, newline), and invalid UTF-8 as U+FFFD, where a registry
// would fail the whole scrape.
func writeLabelValue(b *bytes.Buffer, v string) {
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRuneInString(v[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		default:
			b.WriteString(v[i : i+n])
		}
		i += n
	}
}

// appendValue formats v as the text format does: shortest 'g', and
// +Inf, -Inf, NaN spelled out.
func appendValue(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
