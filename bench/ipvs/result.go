package ipvsbench

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lbhad/lbhad/config"
)

// Config sizes one benchmark; the zero value, or DefaultConfig, is the run
// of docs/PERFORMANCE.md.
type Config struct {
	Services int // virtual services; 0 = 1000
	Dests    int // real servers per service; 0 = 10
	Runs     int // runs of each measurement; 0 = 5
	// Ipvsadm is the ipvsadm binary; "" = "ipvsadm" from $PATH.
	Ipvsadm string
}

// DefaultConfig is the run recorded in docs/PERFORMANCE.md.
func DefaultConfig() Config {
	var c Config
	c.defaults()
	return c
}

func (o *Config) defaults() {
	if o.Services <= 0 {
		o.Services = 1000
	}
	if o.Dests <= 0 {
		o.Dests = 10
	}
	if o.Runs <= 0 {
		o.Runs = 5
	}
	if o.Ipvsadm == "" {
		o.Ipvsadm = "ipvsadm"
	}
}

// Result holds every sample of one benchmark; WriteTable prints it.
type Result struct {
	Config
	Entries int // services + destinations written by a converge

	// Converge from empty, each run in a fresh netns, alternating.
	LbhadConverge, IpvsadmConverge []time.Duration
	ConvergeWrites                 int // lbhad's writes in every converge run
	// The same converge with one netlink round trip per write (moby/ipvs
	// alone, as before batching), for the gain in the same run.
	LbhadConvergeSingle []time.Duration
	// Go GC CPU time taken from the work (see gcCPU) and KiB allocated
	// during each lbhad converge: where part of its time goes.
	ConvergeGC      []time.Duration
	ConvergeAllocKB []int

	// One real server failing in the converged table, then recovering,
	// through an incremental Reconciler (SetResync, as the daemon);
	// reads are netlink read requests (dumps and gets).
	Fail, Recover             []time.Duration
	FailWrites, RecoverWrites []int
	FailReads, RecoverReads   []int
	// `ipvsadm -d` and `ipvsadm -a` of the same real server, one process
	// each: the anchor.
	IpvsadmDelete, IpvsadmAdd []time.Duration

	// Sync with nothing to change, and its parts.
	Noop       []time.Duration
	NoopWrites []int
	NoopReads  []int
	// The same Sync once the resync interval has passed: a full read.
	Resync                    []time.Duration
	ResyncWrites, ResyncReads []int
	Read                      []time.Duration // ipvssync.Read of the whole table
	Plan                      []time.Duration // ipvssync.Plan of the unchanged table (pure)
	Desired                   []time.Duration // ipvssync.Desired of the config (pure)
	IpvsadmList               []time.Duration // `ipvsadm -Ln` of the same table, for scale

	// Memory of this process (kB from /proc/self/status), at start and
	// with the converged Reconciler, config and desired Table live (after
	// a GC), and the Go heap in use then.
	RSSStartKB, RSSKB int64
	HeapInuse         uint64
}

// VirtualServers returns services virtual servers of dests NAT real servers each:
// VIPs 192.0.2.1–250 on ports 80, 443, 8080 and 8443 (then further
// ports), real servers in 198.51.100.1–250 on the virtual port, weights
// 1–5, scheduler wlc.
func VirtualServers(services, dests int) []*config.VirtualServer {
	ports := []uint16{80, 443, 8080, 8443}
	vss := make([]*config.VirtualServer, 0, services)
	for i := 0; i < services; i++ {
		port := uint16(9000 + i/1000)
		if p := (i / 250) % 1000; p < len(ports) {
			port = ports[p]
		}
		vip := netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + i%250)})
		vs := &config.VirtualServer{
			Name: fmt.Sprintf("vs%d", i), Address: netip.AddrPortFrom(vip, port),
			Protocol: config.TCP, Scheduler: "wlc", Kind: config.KindNAT, Quorum: 1,
		}
		for j := 0; j < dests; j++ {
			rip := netip.AddrFrom4([4]byte{198, 51, 100, byte(1 + (i*7+j)%250)})
			vs.RealServers = append(vs.RealServers, &config.RealServer{
				Address: netip.AddrPortFrom(rip, port), Weight: 1 + j%5, Kind: config.KindNAT,
			})
		}
		vss = append(vss, vs)
	}
	return vss
}

// Median returns the median of ds (the mean of the middle two for an even
// count), 0 for none.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return strconv.FormatFloat(d.Seconds()*1000, 'f', 1, 64) }

func runs(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = ms(d)
	}
	return strings.Join(parts, " ")
}

func ints(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, " ")
}

// WriteTable prints r as a Markdown table (times in milliseconds, medians
// with all runs beside them).
func (r *Result) WriteTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%d services x %d real servers (%d entries), %d runs each; times in ms, median (runs)\n\n",
		r.Services, r.Dests, r.Entries, r.Runs)
	fmt.Fprintln(bw, "| measurement | writes | reads | median ms | runs (ms) |")
	fmt.Fprintln(bw, "|---|---|---|---|---|")
	row := func(name, writes, reads string, ds []time.Duration) {
		fmt.Fprintf(bw, "| %s | %s | %s | %s | %s |\n", name, writes, reads, ms(Median(ds)), runs(ds))
	}
	full := strconv.Itoa(r.Services + 1) // one service dump + one destination dump per service
	row("converge from empty: lbhad Sync", strconv.Itoa(r.ConvergeWrites), "1", r.LbhadConverge)
	row("converge from empty: ipvsadm -R", strconv.Itoa(r.Entries), "–", r.IpvsadmConverge)
	if len(r.LbhadConvergeSingle) > 0 {
		row("converge from empty: lbhad Sync, one request per write", strconv.Itoa(r.ConvergeWrites), "1", r.LbhadConvergeSingle)
	}
	row("one real server fails: Sync", ints(r.FailWrites), ints(r.FailReads), r.Fail)
	row("one real server: ipvsadm -d (process)", "1", "–", r.IpvsadmDelete)
	row("it recovers: Sync", ints(r.RecoverWrites), ints(r.RecoverReads), r.Recover)
	row("one real server: ipvsadm -a (process)", "1", "–", r.IpvsadmAdd)
	row("nothing changed: Sync", ints(r.NoopWrites), ints(r.NoopReads), r.Noop)
	row("periodic resync, nothing changed: Sync", ints(r.ResyncWrites), ints(r.ResyncReads), r.Resync)
	row("  of which ipvssync.Read (whole table)", "0", full, r.Read)
	row("  of which ipvssync.Plan (pure)", "0", "0", r.Plan)
	row("ipvssync.Desired (pure, before Sync)", "0", "0", r.Desired)
	row("ipvsadm -Ln (process, for scale)", "0", full, r.IpvsadmList)
	fmt.Fprintln(bw)
	ratio := func(a, b []time.Duration) float64 { return float64(Median(a)) / float64(Median(b)) }
	fmt.Fprintf(bw, "converge ratio lbhad/ipvsadm -R (medians): %.2f\n", ratio(r.LbhadConverge, r.IpvsadmConverge))
	if len(r.LbhadConvergeSingle) > 0 {
		fmt.Fprintf(bw, "converge ratio lbhad one request per write/ipvsadm -R (medians): %.2f\n", ratio(r.LbhadConvergeSingle, r.IpvsadmConverge))
	}
	if len(r.ConvergeGC) > 0 {
		fmt.Fprintf(bw, "lbhad converge: Go GC CPU (assist, dedicated, pauses) %s ms median (%s), %s KiB allocated per run\n",
			ms(Median(r.ConvergeGC)), runs(r.ConvergeGC), ints(r.ConvergeAllocKB))
	}
	fmt.Fprintf(bw, "fail ratio Sync/ipvsadm -d (medians): %.2f\n", ratio(r.Fail, r.IpvsadmDelete))
	fmt.Fprintf(bw, "recover ratio Sync/ipvsadm -a (medians): %.2f\n", ratio(r.Recover, r.IpvsadmAdd))
	fmt.Fprintf(bw, "resync ratio to ipvsadm -Ln (medians): %.2f\n", ratio(r.Resync, r.IpvsadmList))
	fmt.Fprintf(bw, "process VmRSS: %d kB at start, %d kB with the converged table held (Go heap in use %d kB)\n",
		r.RSSStartKB, r.RSSKB, r.HeapInuse/1024)
	return bw.Flush()
}
