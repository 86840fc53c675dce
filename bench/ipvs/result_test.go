package ipvsbench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestVirtualServers checks the benchmark's table: the asked-for size,
// every virtual server distinct (a duplicate would shrink the kernel
// table and the measurement with it), real servers on the virtual port.
func TestVirtualServers(t *testing.T) {
	vss := VirtualServers(1200, 3)
	if len(vss) != 1200 {
		t.Fatalf("%d virtual servers, want 1200", len(vss))
	}
	seen := map[string]bool{}
	for _, vs := range vss {
		k := vs.Address.String()
		if seen[k] {
			t.Fatalf("virtual server %s twice", k)
		}
		seen[k] = true
		if len(vs.RealServers) != 3 {
			t.Fatalf("%s: %d real servers, want 3", k, len(vs.RealServers))
		}
		for _, rs := range vs.RealServers {
			if rs.Address.Port() != vs.Address.Port() {
				t.Errorf("%s: real server %s on another port", k, rs.Address)
			}
		}
	}
}

// TestWriteTable checks that every measurement has its row, with the
// median of its runs, and the ratios are computed from the medians.
func TestWriteTable(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	r := &Result{
		Config:  Config{Services: 2, Dests: 3, Runs: 3},
		Entries: 8, ConvergeWrites: 8,
		LbhadConverge: ms(10, 30, 20), IpvsadmConverge: ms(40, 40, 40),
		Fail: ms(1, 1, 1), Recover: ms(1, 3, 1), FailWrites: []int{1, 1, 1}, RecoverWrites: []int{1, 1, 1},
		FailReads: []int{2, 2, 2}, RecoverReads: []int{2, 2, 2},
		IpvsadmDelete: ms(2, 2, 2), IpvsadmAdd: ms(4, 4, 4),
		Noop: ms(0, 0, 0), NoopWrites: []int{0, 0, 0}, NoopReads: []int{0, 0, 0},
		Resync: ms(3, 3, 3), ResyncWrites: []int{0, 0, 0}, ResyncReads: []int{3, 3, 3},
		Read: ms(2, 2, 2), Plan: ms(1, 1, 1),
		Desired: ms(1, 1, 1), IpvsadmList: ms(6, 6, 6),
		RSSStartKB: 100, RSSKB: 200, HeapInuse: 4096,
	}
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"2 services x 3 real servers (8 entries), 3 runs each",
		"| converge from empty: lbhad Sync | 8 | 1 | 20.0 | 10.0 30.0 20.0 |",
		"| converge from empty: ipvsadm -R | 8 | – | 40.0 |",
		"| one real server fails: Sync | 1 1 1 | 2 2 2 | 1.0 |",
		"| one real server: ipvsadm -a (process) | 1 | – | 4.0 |",
		"| nothing changed: Sync | 0 0 0 | 0 0 0 | 0.0 |",
		"| periodic resync, nothing changed: Sync | 0 0 0 | 3 3 3 | 3.0 |",
		"| ipvsadm -Ln (process, for scale) | 0 | 3 | 6.0 |",
		"converge ratio lbhad/ipvsadm -R (medians): 0.50",
		"fail ratio Sync/ipvsadm -d (medians): 0.50",
		"recover ratio Sync/ipvsadm -a (medians): 0.25",
		"resync ratio to ipvsadm -Ln (medians): 0.50",
		"process VmRSS: 100 kB at start, 200 kB with the converged table held (Go heap in use 4 kB)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}
