//go:build linux

package ipvsbench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/ipvs"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/ipvstest"
	"github.com/lbhad/lbhad/ipvssync"
)

// Options size one benchmark.
type Options struct {
	Services int // virtual services; 0 = 1000
	Dests    int // real servers per service; 0 = 10
	Runs     int // runs of each measurement; 0 = 5
	// Ipvsadm is the ipvsadm binary; "" = "ipvsadm" from $PATH.
	Ipvsadm string
	// Log receives a line per finished step; nil = discard.
	Log io.Writer
}

func (o *Options) defaults() {
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
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Result holds every sample of one benchmark; WriteTable prints it.
type Result struct {
	Options
	Entries int // services + destinations written by a converge

	// Converge from empty, each run in a fresh netns, alternating.
	LbhadConverge, IpvsadmConverge []time.Duration
	ConvergeWrites                 int // lbhad's writes in every converge run

	// One real server failing in the converged table, then recovering.
	Fail, Recover             []time.Duration
	FailWrites, RecoverWrites []int
	IpvsadmDelete             []time.Duration // `ipvsadm -d` of one real server, for scale

	// Sync with nothing to change, and its parts.
	Noop        []time.Duration
	NoopWrites  []int
	Read        []time.Duration // ipvssync.Read of the whole table
	Plan        []time.Duration // ipvssync.Plan of the unchanged table (pure)
	Desired     []time.Duration // ipvssync.Desired of the config (pure)
	IpvsadmList []time.Duration // `ipvsadm -Ln` of the same table, for scale

	// Memory of this process (kB from /proc/self/status), at start and
	// with the converged Reconciler, config and desired Table live (after
	// a GC), and the Go heap in use then.
	RSSStartKB, RSSKB int64
	HeapInuse         uint64
}

// Config returns services virtual servers of dests NAT real servers each:
// VIPs 192.0.2.1–250 on ports 80, 443, 8080 and 8443 (then further
// ports), real servers in 198.51.100.1–250 on the virtual port, weights
// 1–5, scheduler wlc.
func Config(services, dests int) []*config.VirtualServer {
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

// Run measures. It needs root and a kernel with IPVS (ip_vs loaded before
// the first ipvs handle of the process: see ipvstest.EnsureModule).
func Run(o Options) (*Result, error) {
	o.defaults()
	res := &Result{Options: o}
	res.RSSStartKB, _ = statusKB("VmRSS")
	if err := ipvstest.EnsureModule(); err != nil {
		return nil, err
	}
	cfg := Config(o.Services, o.Dests)
	desired := ipvssync.Desired(cfg, ipvssync.Health{})
	for _, e := range desired {
		res.Entries += 1 + len(e.Dests)
	}
	var save bytes.Buffer
	if err := ipvssync.FormatSave(&save, desired); err != nil {
		return nil, err
	}

	for i := 0; i < o.Runs; i++ {
		d, n, err := lbhadConverge(desired)
		if err != nil {
			return nil, fmt.Errorf("lbhad converge run %d: %w", i+1, err)
		}
		if n != res.Entries {
			return nil, fmt.Errorf("lbhad converge run %d: %d writes, want %d", i+1, n, res.Entries)
		}
		res.LbhadConverge, res.ConvergeWrites = append(res.LbhadConverge, d), n
		fmt.Fprintf(o.Log, "converge run %d: lbhad %v\n", i+1, d.Round(time.Millisecond))
		d, err = ipvsadmConverge(o.Ipvsadm, save.Bytes(), desired)
		if err != nil {
			return nil, fmt.Errorf("ipvsadm converge run %d: %w", i+1, err)
		}
		res.IpvsadmConverge = append(res.IpvsadmConverge, d)
		fmt.Fprintf(o.Log, "converge run %d: ipvsadm -R %v\n", i+1, d.Round(time.Millisecond))
	}
	if err := steady(res, cfg, desired); err != nil {
		return nil, err
	}
	return res, nil
}

// benchNS is a fresh netns (an empty IPVS table) where the real servers'
// subnet is routable, as the kernel requires of destinations.
func benchNS() (netns.NsHandle, error) {
	ns, err := ipvstest.NewNetNS()
	if err != nil {
		return ns, err
	}
	err = func() error {
		h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("netlink handle: %w", err)
		}
		defer h.Close()
		if err := h.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "bench0"}}); err != nil {
			return fmt.Errorf("add dummy link: %w", err)
		}
		l, err := h.LinkByName("bench0")
		if err != nil {
			return err
		}
		a, _ := netlink.ParseAddr("198.51.100.254/24")
		if err := h.AddrAdd(l, a); err != nil {
			return fmt.Errorf("add address: %w", err)
		}
		if err := h.LinkSetUp(l); err != nil {
			return fmt.Errorf("set link up: %w", err)
		}
		return nil
	}()
	if err != nil {
		ns.Close()
		return netns.None(), err
	}
	return ns, nil
}

// check returns an error unless k holds exactly want.
func check(k ipvssync.Kernel, want ipvssync.Table) error {
	got, err := ipvssync.Read(k)
	if err != nil {
		return err
	}
	if len(got) != len(want) {
		return fmt.Errorf("kernel has %d services, want %d", len(got), len(want))
	}
	if ops := ipvssync.Plan(got, want, nil, nil); len(ops) != 0 {
		return fmt.Errorf("kernel table differs from the desired one in %d entries, first: %s", len(ops), ops[0])
	}
	return nil
}

// withTable runs fn with an IPVS handle on a fresh benchNS and flushes
// the table before the namespace goes, so the kernel's asynchronous netns
// cleanup has little left to do while the next run is measured.
func withTable(fn func(ns netns.NsHandle, h *ipvs.Handle) error) error {
	ns, err := benchNS()
	if err != nil {
		return err
	}
	defer ns.Close()
	h, err := ipvs.New(ipvstest.Path(ns))
	if err != nil {
		return fmt.Errorf("ipvs handle: %w", err)
	}
	defer h.Close()
	err = fn(ns, h)
	if ferr := h.Flush(); ferr != nil && err == nil {
		err = fmt.Errorf("flush: %w", ferr)
	}
	return err
}

func lbhadConverge(desired ipvssync.Table) (d time.Duration, writes int, err error) {
	err = withTable(func(_ netns.NsHandle, h *ipvs.Handle) error {
		runtime.GC()
		t0 := time.Now()
		writes, err = ipvssync.NewReconciler(h, nil).Sync(desired)
		d = time.Since(t0)
		if err != nil {
			return err
		}
		return check(h, desired)
	})
	return d, writes, err
}

func ipvsadmConverge(bin string, save []byte, desired ipvssync.Table) (d time.Duration, err error) {
	err = withTable(func(ns netns.NsHandle, h *ipvs.Handle) error {
		runtime.GC()
		err := ipvstest.Do(ns, func() error {
			cmd := exec.Command(bin, "-R")
			cmd.Stdin = bytes.NewReader(save)
			t0 := time.Now()
			out, err := cmd.CombinedOutput()
			d = time.Since(t0)
			if err != nil {
				return fmt.Errorf("ipvsadm -R: %w: %s", err, out)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return check(h, desired)
	})
	return d, err
}

// runIn times one ipvsadm invocation inside ns, output discarded.
func runIn(ns netns.NsHandle, bin string, args ...string) (d time.Duration, err error) {
	err = ipvstest.Do(ns, func() error {
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		t0 := time.Now()
		err := cmd.Run()
		d = time.Since(t0)
		if err != nil {
			return fmt.Errorf("ipvsadm %s: %w: %s", strings.Join(args, " "), err, stderr.Bytes())
		}
		return nil
	})
	return d, err
}

// steady converges one table with a Reconciler that it keeps, then
// measures what the daemon does all day on it.
func steady(res *Result, cfg []*config.VirtualServer, desired ipvssync.Table) error {
	o := res.Options
	return withTable(func(ns netns.NsHandle, h *ipvs.Handle) error {
		r := ipvssync.NewReconciler(h, nil)
		if _, err := r.Sync(desired); err != nil {
			return fmt.Errorf("converge: %w", err)
		}
		runtime.GC()
		debug.FreeOSMemory()
		res.RSSKB, _ = statusKB("VmRSS")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		res.HeapInuse = ms.HeapInuse

		for i := 0; i < o.Runs; i++ {
			// A different real server each run, spread over the table.
			vs := cfg[(i*len(cfg)/o.Runs+i)%len(cfg)]
			rs := vs.RealServers[i%len(vs.RealServers)]
			h1 := ipvssync.Health{Real: map[ipvssync.RealKey]ipvssync.RealState{
				ipvssync.RealKeyOf(vs, rs): {Alive: false},
			}}
			failed := ipvssync.Desired(cfg, h1)

			t0 := time.Now()
			n, err := r.Sync(failed)
			d := time.Since(t0)
			if err != nil {
				return fmt.Errorf("sync with %s failed: %w", rs.Address, err)
			}
			res.Fail, res.FailWrites = append(res.Fail, d), append(res.FailWrites, n)

			t0 = time.Now()
			n, err = r.Sync(desired)
			d = time.Since(t0)
			if err != nil {
				return fmt.Errorf("sync with %s back: %w", rs.Address, err)
			}
			res.Recover, res.RecoverWrites = append(res.Recover, d), append(res.RecoverWrites, n)

			// ipvsadm's cost for the same single write, for scale: delete
			// and re-add (the re-add is not timed).
			proto := "-t"
			d, err = runIn(ns, o.Ipvsadm, "-d", proto, vs.Address.String(), "-r", rs.Address.String())
			if err != nil {
				return err
			}
			res.IpvsadmDelete = append(res.IpvsadmDelete, d)
			if _, err := runIn(ns, o.Ipvsadm, "-a", proto, vs.Address.String(), "-r", rs.Address.String(),
				"-m", "-w", strconv.Itoa(rs.Weight)); err != nil {
				return err
			}
			fmt.Fprintf(o.Log, "failure run %d: fail %v (%d writes), recover %v (%d writes), ipvsadm -d %v\n",
				i+1, res.Fail[i].Round(time.Microsecond), res.FailWrites[i], res.Recover[i].Round(time.Microsecond),
				res.RecoverWrites[i], d.Round(time.Microsecond))
		}

		for i := 0; i < o.Runs; i++ {
			t0 := time.Now()
			n, err := r.Sync(desired)
			d := time.Since(t0)
			if err != nil {
				return fmt.Errorf("unchanged sync: %w", err)
			}
			res.Noop, res.NoopWrites = append(res.Noop, d), append(res.NoopWrites, n)

			t0 = time.Now()
			cur, err := ipvssync.Read(h)
			res.Read = append(res.Read, time.Since(t0))
			if err != nil {
				return err
			}
			t0 = time.Now()
			ops := ipvssync.Plan(cur, desired, r.Owned(), nil)
			res.Plan = append(res.Plan, time.Since(t0))
			if len(ops) != 0 {
				return fmt.Errorf("unchanged table plans %d ops, first %s", len(ops), ops[0])
			}
			t0 = time.Now()
			ipvssync.Desired(cfg, ipvssync.Health{})
			res.Desired = append(res.Desired, time.Since(t0))

			d, err = runIn(ns, o.Ipvsadm, "-Ln")
			if err != nil {
				return err
			}
			res.IpvsadmList = append(res.IpvsadmList, d)
			fmt.Fprintf(o.Log, "unchanged run %d: sync %v (%d writes), read %v, ipvsadm -Ln %v\n",
				i+1, res.Noop[i].Round(time.Microsecond), n, res.Read[i].Round(time.Microsecond), d.Round(time.Microsecond))
		}
		return nil
	})
}

// statusKB returns a "kB" field of /proc/self/status.
func statusKB(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && k == field {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New(field + " not in /proc/self/status")
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
	fmt.Fprintln(bw, "| measurement | writes | median ms | runs (ms) |")
	fmt.Fprintln(bw, "|---|---|---|---|")
	row := func(name, writes string, ds []time.Duration) {
		fmt.Fprintf(bw, "| %s | %s | %s | %s |\n", name, writes, ms(Median(ds)), runs(ds))
	}
	row("converge from empty: lbhad Sync", strconv.Itoa(r.ConvergeWrites), r.LbhadConverge)
	row("converge from empty: ipvsadm -R", strconv.Itoa(r.Entries), r.IpvsadmConverge)
	row("one real server fails: Sync", ints(r.FailWrites), r.Fail)
	row("it recovers: Sync", ints(r.RecoverWrites), r.Recover)
	row("one real server: ipvsadm -d (process)", "1", r.IpvsadmDelete)
	row("nothing changed: Sync", ints(r.NoopWrites), r.Noop)
	row("  of which ipvssync.Read (whole table)", "0", r.Read)
	row("  of which ipvssync.Plan (pure)", "0", r.Plan)
	row("ipvssync.Desired (pure, before Sync)", "0", r.Desired)
	row("ipvsadm -Ln (process, for scale)", "0", r.IpvsadmList)
	fmt.Fprintln(bw)
	ratio := float64(Median(r.LbhadConverge)) / float64(Median(r.IpvsadmConverge))
	fmt.Fprintf(bw, "converge ratio lbhad/ipvsadm (medians): %.2f\n", ratio)
	fmt.Fprintf(bw, "unchanged-Sync ratio to ipvsadm -Ln (medians): %.2f\n",
		float64(Median(r.Noop))/float64(Median(r.IpvsadmList)))
	fmt.Fprintf(bw, "process VmRSS: %d kB at start, %d kB with the converged table held (Go heap in use %d kB)\n",
		r.RSSStartKB, r.RSSKB, r.HeapInuse/1024)
	return bw.Flush()
}
