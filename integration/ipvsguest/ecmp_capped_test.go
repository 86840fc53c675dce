//go:build ipvsguest && linux

package ipvsguest

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// The capped measurement gives every director the same fixed
// forwarding capacity, so the director, not the guest's shared vCPUs,
// is what limits new connections; then the rate with 1, 2 and 3
// directors announced shows what ECMP scale-out is for.
//
// The capacity is a token bucket (tc tbf) on the director's eth0
// egress. In LVS-DR only the client->server direction crosses the
// director, and it leaves through eth0 toward the real servers, so the
// bucket caps exactly the forwarded half of every connection. tbf
// queues what exceeds the rate (up to limit bytes) instead of dropping
// it, and the client is closed-loop (a fixed number of workers, each
// waiting for its answer), so the queue stays a few packets deep and
// nothing is lost: the capacity shows as latency, as on a busy director.
// The director's own traffic (tcp_check connects to three real servers
// every second, BGP keepalives) shares the bucket: about 10% of it.
const (
	ecmpShapeRate  = 8000      // bytes/s (tc: 64kbit): ~20 conn/s of ~350 bytes
	ecmpShapeBurst = 1600      // bytes: one full-size frame, so no burst to speak of
	ecmpShapeLimit = 64 * 1024 // bytes queued before tbf drops; the queue holds ~2 KB
	// ecmpCappedWorkers keeps every director's queue busy: with 3
	// directors and the flows hashed at random, each holds about 5.
	ecmpCappedWorkers = 16
	ecmpCappedWindow  = 4 * time.Second
)

var ecmpQdiscSent = regexp.MustCompile(`Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+)`)

// ecmpQdisc is a director's shaper counters.
type ecmpQdisc struct{ bytes, pkts, dropped, overlimits int }

func (a ecmpQdisc) sub(b ecmpQdisc) ecmpQdisc {
	return ecmpQdisc{a.bytes - b.bytes, a.pkts - b.pkts, a.dropped - b.dropped, a.overlimits - b.overlimits}
}

// shape puts the token bucket on director i's eth0, replacing any root
// qdisc; unshape removes it.
func (l *ecmpLab) shape(i int) {
	l.t.Helper()
	out, err := nsExec(l.lbs[i].ns, "/usr/sbin/tc", "qdisc", "replace", "dev", "eth0", "root", "tbf",
		"rate", strconv.Itoa(ecmpShapeRate*8)+"bit", "burst", strconv.Itoa(ecmpShapeBurst), "limit", strconv.Itoa(ecmpShapeLimit))
	if err != nil {
		l.t.Fatalf("tbf on lb%d: %v\n%s", i+1, err, out)
	}
}

func (l *ecmpLab) unshape(i int) {
	l.t.Helper()
	if out, err := nsExec(l.lbs[i].ns, "/usr/sbin/tc", "qdisc", "del", "dev", "eth0", "root"); err != nil {
		l.t.Errorf("remove tbf on lb%d: %v\n%s", i+1, err, out)
	}
}

func (l *ecmpLab) qdisc(i int) ecmpQdisc {
	l.t.Helper()
	out, err := nsExec(l.lbs[i].ns, "/usr/sbin/tc", "-s", "qdisc", "show", "dev", "eth0")
	m := ecmpQdiscSent.FindStringSubmatch(out)
	if err != nil || m == nil {
		l.t.Fatalf("tc -s qdisc on lb%d: %v\n%s", i+1, err, out)
	}
	var q [4]int
	for j := range q {
		q[j], _ = strconv.Atoi(m[j+1])
	}
	return ecmpQdisc{q[0], q[1], q[2], q[3]}
}

// ecmpCappedRate measures new connections per second through the k
// directors announced, each capped by its shaper, and returns the rate
// and what each director's shaper sent meanwhile.
func ecmpCappedRate(t *testing.T, l *ecmpLab, k int) (float64, [3]ecmpQdisc) {
	t.Helper()
	// Each shaper's bytes are divided by the time between its own two
	// reads: one tc run takes a noticeable time under TCG.
	var before, d [3]ecmpQdisc
	var from [3]time.Time
	for i := range l.lbs {
		before[i], from[i] = l.qdisc(i), time.Now()
	}
	p := l.probe(ecmpCappedWorkers, 0)
	time.Sleep(ecmpCappedWindow)
	ok, failed, errs, rate := p.end()
	var perLB string
	for i := range l.lbs {
		d[i] = l.qdisc(i).sub(before[i])
		bps := float64(d[i].bytes) / time.Since(from[i]).Seconds()
		perLB += fmt.Sprintf(" lb%d %.0f B/s (%.0f%% of the cap) %d pkt, %d dropped, %d overlimits;", i+1,
			bps, 100*bps/ecmpShapeRate, d[i].pkts, d[i].dropped, d[i].overlimits)
	}
	t.Logf("ECMP-RESULT capped at %d B/s per director, %d director(s): %.0f new connections/s (%d answered, %d failed); shapers:%s",
		ecmpShapeRate, k, rate, ok, failed, perLB)
	if ok == 0 || failed > 0 {
		t.Errorf("capped rate with %d director(s): %d answered, %d failed: %v", k, ok, failed, errs)
	}
	return rate, d
}

// ecmpCapped is the last phase of TestECMPThreeDirectors: all three
// directors announced, rs1..rs3 in every table, no other traffic. It
// caps every director, measures 3, 2 and 1 directors (the others in
// maintenance), and removes the caps.
func ecmpCapped(t *testing.T, l *ecmpLab) {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("ECMP-RESULT capped phase took %v", time.Since(start).Round(100*time.Millisecond)) }()
	for i := range l.lbs {
		l.shape(i)
	}
	defer func() {
		for i := range l.lbs {
			l.unshape(i)
		}
	}()

	// 3 directors: every one must carry connections (IPVS's own count,
	// read once its 2 s estimator has summed them).
	var conns0 [3]int
	for i := range l.lbs {
		conns0[i] = l.connsTotal(i)
	}
	r3, q3 := ecmpCappedRate(t, l, 3)
	var carried [3]int
	for deadline := time.Now().Add(10 * time.Second); ; {
		for i := range l.lbs {
			carried[i] = l.connsTotal(i) - conns0[i]
		}
		if carried[0] > 0 && carried[1] > 0 && carried[2] > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("ECMP-RESULT capped, 3 directors: connections scheduled by lb1..lb3 %v", carried)
	for i := range l.lbs {
		if carried[i] == 0 || q3[i].pkts == 0 {
			t.Errorf("capped, 3 directors: lb%d carried %d connections, its shaper sent %d packets: the router does not spread", i+1, carried[i], q3[i].pkts)
		}
	}

	l.cli(2, "maint", "director", "on")
	l.waitHops("lb3 withdrawn in maintenance (capped)", 20*time.Second, hopsAre(1, 2))
	r2, _ := ecmpCappedRate(t, l, 2)
	l.cli(1, "maint", "director", "on")
	l.waitHops("lb2 withdrawn in maintenance (capped)", 20*time.Second, hopsAre(1))
	r1, q1 := ecmpCappedRate(t, l, 1)
	l.cli(1, "maint", "director", "off")
	l.cli(2, "maint", "director", "off")

	t.Logf("ECMP-RESULT capped scaling: %.0f / %.0f / %.0f new connections/s with 1 / 2 / 3 directors (%.2fx / %.2fx / %.2fx of one)",
		r1, r2, r3, 1.0, r2/r1, r3/r1)
	// Proof that the cap held (so the figures measure it): a connection
	// needs at least three packets through its director (SYN, request,
	// FIN) of at least 40 bytes (IP and TCP headers), so one director
	// cannot carry more than its bytes allow. Uncapped, one director
	// carries several times that.
	if limit := float64(ecmpShapeRate)/120 + float64(ecmpShapeBurst)/120/ecmpCappedWindow.Seconds(); r1 > limit {
		t.Errorf("capped, 1 director: %.0f new connections/s, more than its %d B/s shaper can carry (%.0f/s): the shaper did not hold", r1, ecmpShapeRate, limit)
	}
	if q1[0].pkts == 0 {
		t.Errorf("capped, 1 director: lb1's shaper sent nothing")
	}
}
