package metrics

import (
	"bufio"
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
	f := &family{name: name, help: help, labels: labels, desc: prometheus.NewDesc(name, help, labels, nil)}
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

// textSink writes the series in the Prometheus text format (0.0.4) as
// they come. collectSnapshot hands over each family's series in one
// run, so a family's HELP and TYPE lines go out before its first series
// and nothing holds the page: a scrape of 10,000 real servers allocates
// next to nothing beyond the Snapshot. The registry path builds a
// protobuf message, label pairs and a const metric for every series and
// keeps them all until the page is written (docs/PERFORMANCE.md,
// "Metrics scrape").
type textSink struct {
	w    *bufio.Writer
	cur  *family
	line []byte // the line being formatted, reused
	err  error  // the first write error; the rest is dropped
}

func newTextSink(w io.Writer) *textSink { return &textSink{w: bufio.NewWriterSize(w, 32<<10)} }

func (t *textSink) add(f *family, counter bool, v float64, labels []string) {
	if t.err != nil {
		return
	}
	b := t.line[:0]
	if f != t.cur {
		t.cur = f
		typ := "gauge"
		if counter {
			typ = "counter"
		}
		b = append(b, "# HELP "...)
		b = append(b, f.name...)
		b = append(b, ' ')
		b = append(b, helpEscaper.Replace(f.help)...)
		b = append(b, "\n# TYPE "...)
		b = append(b, f.name...)
		b = append(b, ' ')
		b = append(b, typ...)
		b = append(b, '\n')
	}
	b = append(b, f.name...)
	if len(f.labels) > 0 {
		b = append(b, '{')
		for k, j := range f.sorted {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, f.labels[j]...)
			b = append(b, `="`...)
			if j < len(labels) {
				b = appendLabelValue(b, labels[j])
			}
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = appendValue(b, v)
	b = append(b, '\n')
	t.line = b
	_, t.err = t.w.Write(b)
}

// flush writes what is buffered and returns the first error.
func (t *textSink) flush() error {
	if t.err != nil {
		return t.err
	}
	return t.w.Flush()
}

var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

// appendLabelValue appends v escaped as the text format wants
// (backslash, double quote, newline), and invalid UTF-8 as U+FFFD, where
// a registry would fail the whole scrape.
func appendLabelValue(b []byte, v string) []byte {
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRuneInString(v[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = utf8.AppendRune(b, utf8.RuneError)
		case r == '\\':
			b = append(b, `\\`...)
		case r == '"':
			b = append(b, `\"`...)
		case r == '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, v[i:i+n]...)
		}
		i += n
	}
	return b
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
