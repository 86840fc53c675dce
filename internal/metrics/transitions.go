package metrics

import (
	"slices"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

var descTransitions = prometheus.NewDesc(ns+"_vrrp_transitions_total",
	"VRRP state transitions of an instance, by the state entered.",
	[]string{"vrrp_instance", "vrid", "to"}, nil)

// transitionCounts counts VRRP transitions by instance and state
// entered, and exports them as const metrics at scrape time. A
// CounterVec did the same with one child per instance and state (the
// counter, its label pairs and the vec's index: about 1.4 KB per
// instance at 1,000 instances); here an instance is one map entry of
// five integers, and the label strings are made only while a scrape
// runs. Series exist from the first transition into a state, as the
// CounterVec's children did, and outlive a reload that drops the
// instance, so a counter never goes back.
type transitionCounts struct {
	mu sync.Mutex
	// byState is indexed like States.
	byState map[transitionKey][5]uint64
	// other holds states outside States (none today), so a new state
	// name is still counted exactly.
	other map[otherTransition]uint64
}

type transitionKey struct {
	instance string
	vrid     uint8
}

type otherTransition struct {
	transitionKey
	to string
}

func (t *transitionCounts) observe(instance string, vrid uint8, to string) {
	k := transitionKey{instance, vrid}
	t.mu.Lock()
	defer t.mu.Unlock()
	if i := slices.Index(States, to); i >= 0 && i < 5 {
		if t.byState == nil {
			t.byState = map[transitionKey][5]uint64{}
		}
		c := t.byState[k]
		c[i]++
		t.byState[k] = c
		return
	}
	if t.other == nil {
		t.other = map[otherTransition]uint64{}
	}
	t.other[otherTransition{k, to}]++
}

// collect sends one counter per instance and state entered at least
// once. It copies the counts under the lock and sends after, so a slow
// scrape never holds up the VRRP callback that counts.
func (t *transitionCounts) collect(ch chan<- prometheus.Metric) {
	type row struct {
		otherTransition
		n uint64
	}
	t.mu.Lock()
	rows := make([]row, 0, len(t.byState)+len(t.other))
	for k, c := range t.byState {
		for i, n := range c {
			if n > 0 {
				rows = append(rows, row{otherTransition{k, States[i]}, n})
			}
		}
	}
	for k, n := range t.other {
		rows = append(rows, row{k, n})
	}
	t.mu.Unlock()
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(descTransitions, prometheus.CounterValue, float64(r.n),
			r.instance, strconv.Itoa(int(r.vrid)), r.to)
	}
}
