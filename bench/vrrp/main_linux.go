package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// kinds are run alternately, lbhad first.
var kinds = []string{"lbhad", "keepalived"}

type options struct {
	bin       string
	runs      int
	scaleRuns int
	window    time.Duration
	links     int
	perLink   int
	only      string
	authPass  string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "lbhad", "", "lbhad binary (default: go build ./cmd/lbhad into a temporary directory)")
	flag.IntVar(&o.runs, "runs", 5, "failover runs per daemon and event (SIGKILL, SIGTERM)")
	flag.IntVar(&o.scaleRuns, "scale-runs", 3, "many-instance runs per daemon")
	flag.DurationVar(&o.window, "window", 60*time.Second, "many-instance CPU measurement window")
	flag.IntVar(&o.links, "links", 4, "veth links between the directors for the many-instance runs")
	flag.IntVar(&o.perLink, "per-link", 250, "VRRP instances (VRIDs 1..N) per link for the many-instance runs")
	flag.StringVar(&o.only, "only", "", `run only "failover" or "scale"`)
	flag.StringVar(&o.authPass, "auth", "pw12", "PASS authentication for the failover runs (empty: none)")
	flag.Parse()
	os.Exit(run(o))
}

// labs tracks the live labs so that a signal can remove them.
var labs struct {
	sync.Mutex
	live    map[*lab.Lab]bool
	closing bool
}

func newLab() (*lab.Lab, error) {
	labs.Lock()
	defer labs.Unlock()
	if labs.closing {
		return nil, errors.New("interrupted")
	}
	l, err := lab.New(lab.Spec{})
	if err != nil {
		return nil, err
	}
	if labs.live == nil {
		labs.live = map[*lab.Lab]bool{}
	}
	labs.live[l] = true
	return l, nil
}

func closeLab(l *lab.Lab) {
	labs.Lock()
	delete(labs.live, l)
	labs.Unlock()
	if err := l.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "close lab %s: %v\n", l.ID, err)
	}
}

func closeAll() {
	labs.Lock()
	labs.closing = true
	live := labs.live
	labs.live = nil
	labs.Unlock()
	for l := range live {
		l.Close()
	}
}

func run(o options) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "vrrpbench needs root: sudo bash bench/vrrp/run.sh")
		return 2
	}
	if _, err := exec.LookPath("keepalived"); err != nil {
		fmt.Fprintln(os.Stderr, "keepalived not installed: apt-get install -y keepalived")
		return 2
	}
	if err := lab.CleanupStale(lab.Family); err != nil {
		fmt.Fprintf(os.Stderr, "cleaning up stale labs: %v\n", err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "\n%v: removing labs\n", s)
		closeAll()
		os.Exit(130)
	}()
	defer closeAll()

	if o.bin == "" {
		dir, err := os.MkdirTemp("", "vrrpbench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		o.bin = filepath.Join(dir, "lbhad")
		if out, err := exec.Command("go", "build", "-o", o.bin, "./cmd/lbhad").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build ./cmd/lbhad (run from the repository root): %v\n%s", err, out)
			return 1
		}
	}
	kv, _ := exec.Command("keepalived", "-v").CombinedOutput()
	host, _ := os.Hostname()
	fmt.Printf("vrrpbench %s on %s: %d CPUs, %s; %s; load average at start %s\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), host, runtime.NumCPU(), kernel(),
		strings.TrimSpace(strings.SplitN(string(kv), "\n", 2)[0]), loadavg())

	if o.only == "" || o.only == "failover" {
		if err := failovers(o); err != nil {
			fmt.Fprintf(os.Stderr, "failover runs: %v\n", err)
			return 1
		}
	}
	if o.only == "" || o.only == "scale" {
		if err := scales(o); err != nil {
			fmt.Fprintf(os.Stderr, "many-instance runs: %v\n", err)
			return 1
		}
	}
	fmt.Printf("load average at end %s\n", loadavg())
	return 0
}

func kernel() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return "Linux " + strings.TrimSpace(string(b))
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// ---- failover --------------------------------------------------------

// failoverResult is one failover of one daemon kind.
type failoverResult struct {
	gap       time.Duration // client's longest ping silence
	takeover  time.Duration // old master's last (or priority-0) advert -> new master's first
	advToGARP time.Duration // new master's first advert -> its first GARP (negative: GARP first)
	garps     int           // GARPs from the new master in the first second
	sent, got int           // pings
}

func failovers(o options) error {
	res := map[string]map[bool][]failoverResult{}
	for _, k := range kinds {
		res[k] = map[bool][]failoverResult{}
	}
	for _, graceful := range []bool{false, true} {
		for i := 0; i < o.runs; i++ {
			for _, k := range kinds {
				r, err := failoverRun(o, k, graceful)
				if err != nil {
					return fmt.Errorf("%s %s run %d: %w", k, event(graceful), i+1, err)
				}
				fmt.Fprintf(os.Stderr, "%-10s %-7s run %d: gap %v, takeover %v, first advert -> first GARP %v (%d GARPs), pings %d/%d, load %s\n",
					k, event(graceful), i+1, ms(r.gap), ms(r.takeover), us(r.advToGARP), r.garps, r.got, r.sent, loadavg())
				res[k][graceful] = append(res[k][graceful], r)
			}
		}
	}

	fmt.Printf("### Failover (advert_int 1, priorities 150/100, PASS auth %q, %d runs each, alternating; median, range in brackets)\n\n", o.authPass, o.runs)
	fmt.Println("| metric | lbhad | keepalived | lbhad/keepalived | target |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	row := func(name, target string, graceful bool, get func(failoverResult) time.Duration, unit func(time.Duration) string) {
		var a, b []time.Duration
		for _, r := range res["lbhad"][graceful] {
			a = append(a, get(r))
		}
		for _, r := range res["keepalived"][graceful] {
			b = append(b, get(r))
		}
		fmt.Printf("| %s | %s | %s | %s | %s |\n", name, summary(a, unit), summary(b, unit), ratio(median(a), median(b)), target)
	}
	gap := func(r failoverResult) time.Duration { return r.gap }
	take := func(r failoverResult) time.Duration { return r.takeover }
	garp := func(r failoverResult) time.Duration { return r.advToGARP }
	row("SIGKILL of master: client ping gap", "≤ keepalived", false, gap, ms)
	row("SIGKILL: old master's last advert → new master's first advert", "3 × 1 s + skew 0.609 s = 3.609 s", false, take, ms)
	row("SIGTERM of master: client ping gap", "≤ skew + 20 ms = 629 ms", true, gap, ms)
	row("SIGTERM: priority-0 advert → new master's first advert", "skew 609 ms", true, take, ms)
	row("new master's first advert → first GARP (after SIGKILL)", "≤ 1 ms", false, garp, us)
	row("new master's first advert → first GARP (after SIGTERM)", "≤ 1 ms", true, garp, us)
	for _, k := range kinds {
		var n []string
		for _, g := range []bool{false, true} {
			for _, r := range res[k][g] {
				n = append(n, strconv.Itoa(r.garps))
			}
		}
		fmt.Printf("\nGARPs in the new master's first second, %s: %s", k, strings.Join(n, " "))
	}
	fmt.Print("\n\n")
	return nil
}

func event(graceful bool) string {
	if graceful {
		return "SIGTERM"
	}
	return "SIGKILL"
}

func start(l *lab.Lab, o options, kind string, n *lab.Node, prio uint8) (*lab.Director, error) {
	in := lab.Instance{Priority: prio, AuthPass: o.authPass}
	if kind == "lbhad" {
		return l.StartLBHAD(o.bin, n, in)
	}
	return l.StartKeepalived(n, in)
}

// failoverRun builds a fresh lab, elects d1 (150) over d2 (100), pings the
// VIP from the client every 10 ms, then kills or stops d1.
func failoverRun(o options, kind string, graceful bool) (_ failoverResult, err error) {
	var r failoverResult
	l, err := newLab()
	if err != nil {
		return r, err
	}
	defer closeLab(l)
	defer func() {
		if err != nil {
			dumpLogs(l)
		}
	}()
	c, err := l.StartCapture()
	if err != nil {
		return r, err
	}
	defer c.Stop()
	d1, err := start(l, o, kind, l.D1, 150)
	if err != nil {
		return r, err
	}
	if _, err := start(l, o, kind, l.D2, 100); err != nil {
		return r, err
	}
	only := func(n *lab.Node) func() bool {
		return func() bool {
			o := l.Owners(lab.VIP)
			return len(o) == 1 && o[0] == n
		}
	}
	if !lab.Eventually(20*time.Second, only(l.D1)) {
		return r, errors.New("d1 did not become the only VIP owner within 20 s")
	}
	time.Sleep(time.Second)
	if !only(l.D1)() {
		return r, errors.New("VIP left d1 while settling")
	}
	p, err := lab.StartPinger(l.Client.NS, lab.VIP, 10*time.Millisecond)
	if err != nil {
		return r, err
	}
	defer p.Stop()
	if !p.WaitReply(time.Time{}, 5*time.Second) {
		return r, errors.New("no ping reply from the VIP")
	}
	time.Sleep(500 * time.Millisecond)

	t0 := time.Now()
	if graceful {
		err = d1.Stop(10 * time.Second)
	} else {
		err = d1.Crash()
	}
	if err != nil {
		return r, err
	}
	if !lab.Eventually(15*time.Second, only(l.D2)) {
		return r, errors.New("d2 did not take the VIP within 15 s")
	}
	if !p.WaitReply(time.Now(), 5*time.Second) {
		return r, errors.New("no ping reply after failover")
	}
	time.Sleep(1200 * time.Millisecond) // the first GARP burst and a few more pings
	r.gap = p.LongestGap(t0.Add(-100*time.Millisecond), time.Now()).Len
	r.sent, r.got = p.Counts()

	const vrid = 51
	first := c.Adverts(vrid, l.D2.MAC, t0)
	if len(first) == 0 {
		return r, errors.New("no advert from d2 after the failover")
	}
	adv := first[0]
	var before lab.Frame
	if graceful {
		zero := c.Frames(func(f lab.Frame) bool {
			return f.VRRP != nil && f.VRRP.VRID == vrid && f.VRRP.Priority == 0 &&
				f.SrcMAC.String() == l.D1.MAC.String() && f.Time.After(t0)
		})
		if len(zero) == 0 {
			return r, errors.New("no priority-0 advert from d1")
		}
		before = zero[0]
	} else {
		old := c.Adverts(vrid, l.D1.MAC, time.Time{})
		for _, f := range old {
			if f.Time.Before(t0) {
				before = f
			}
		}
		if before.Time.IsZero() {
			return r, errors.New("no advert from d1 before the crash")
		}
	}
	r.takeover = adv.Time.Sub(before.Time)
	var garps []lab.Frame
	for _, g := range c.GARPs(lab.VIP.AsSlice(), t0) {
		if g.SrcMAC.String() == l.D2.MAC.String() {
			garps = append(garps, g)
		}
	}
	if len(garps) == 0 {
		return r, errors.New("no GARP from d2")
	}
	r.advToGARP = garps[0].Time.Sub(adv.Time)
	for _, g := range garps {
		if g.Time.Sub(garps[0].Time) < time.Second {
			r.garps++
		}
	}
	return r, nil
}

func dumpLogs(l *lab.Lab) {
	files, _ := filepath.Glob(filepath.Join(l.Dir, "*.err"))
	outs, _ := filepath.Glob(filepath.Join(l.Dir, "*.out"))
	for _, f := range append(files, outs...) {
		b, _ := os.ReadFile(f)
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > 30 {
			lines = lines[len(lines)-30:]
		}
		fmt.Fprintf(os.Stderr, "--- %s ---\n%s\n", filepath.Base(f), strings.Join(lines, "\n"))
	}
}

// ---- many instances ----------------------------------------------------

// scaleResult is one many-instance run of one daemon kind: d1 master of
// all instances, d2 (same kind) backup of all.
type scaleResult struct {
	allOwned         time.Duration // d1 start -> every VIP on d1
	cpu              [2]float64    // % of one core: master, backup
	rss, pss         [2]float64    // MB, summed over the node's processes
	masterVIPs, bVIP int           // at the end of the window
}

func scales(o options) error {
	n := o.links * o.perLink
	res := map[string][]scaleResult{}
	for i := 0; i < o.scaleRuns; i++ {
		for _, k := range kinds {
			r, err := scaleRun(o, k)
			if err != nil {
				return fmt.Errorf("%s run %d: %w", k, i+1, err)
			}
			fmt.Fprintf(os.Stderr, "%-10s %d instances run %d: all VIPs owned after %v; master CPU %.2f%% RSS %.1f MB PSS %.1f MB; backup CPU %.2f%% RSS %.1f MB PSS %.1f MB; load %s\n",
				k, n, i+1, ms(r.allOwned), r.cpu[0], r.rss[0], r.pss[0], r.cpu[1], r.rss[1], r.pss[1], loadavg())
			res[k] = append(res[k], r)
		}
	}
	fmt.Printf("### %d VRRP instances (VRIDs 1–%d on each of %d veth links, one /32 VIP each, no auth, advert_int 1; master lbhad/keepalived at 150, backup the same daemon at 100; %v window; %d runs each, alternating; median, range in brackets)\n\n",
		n, o.perLink, o.links, o.window, o.scaleRuns)
	fmt.Println("| metric | lbhad | keepalived | lbhad/keepalived |")
	fmt.Println("| --- | --- | --- | --- |")
	row := func(name string, get func(scaleResult) float64, format string) {
		var a, b []float64
		for _, r := range res["lbhad"] {
			a = append(a, get(r))
		}
		for _, r := range res["keepalived"] {
			b = append(b, get(r))
		}
		ma, mb := medianF(a), medianF(b)
		rt := "–"
		if mb > 0 {
			rt = fmt.Sprintf("%.2f", ma/mb)
		}
		fmt.Printf("| %s | %s | %s | %s |\n", name, summaryF(a, format), summaryF(b, format), rt)
	}
	row("start → all VIPs owned by the master (s)", func(r scaleResult) float64 { return r.allOwned.Seconds() }, "%.2f")
	row("master CPU (% of one core)", func(r scaleResult) float64 { return r.cpu[0] }, "%.2f")
	row("backup CPU (% of one core)", func(r scaleResult) float64 { return r.cpu[1] }, "%.2f")
	row("master RSS (MB; keepalived parent + child)", func(r scaleResult) float64 { return r.rss[0] }, "%.1f")
	row("backup RSS (MB; keepalived parent + child)", func(r scaleResult) float64 { return r.rss[1] }, "%.1f")
	row("master PSS (MB; shared pages counted once)", func(r scaleResult) float64 { return r.pss[0] }, "%.1f")
	row("backup PSS (MB; shared pages counted once)", func(r scaleResult) float64 { return r.pss[1] }, "%.1f")
	fmt.Println()
	return nil
}

// linkNet returns the addresses of d1 and d2 on link i (198.19.i.0/24)
// and the VIP of VRID v on it (198.18.i.v/32): the RFC 2544 benchmarking
// range, since the documentation ranges hold fewer than 1,000 addresses.
// Both live only inside the lab's namespaces.
func linkNet(i int) (d1, d2 string) {
	return fmt.Sprintf("198.19.%d.1/24", i), fmt.Sprintf("198.19.%d.2/24", i)
}

func vipOf(i, v int) string { return fmt.Sprintf("198.18.%d.%d/32", i, v) }

func linkName(i int) string { return fmt.Sprintf("vr%d", i) }

func scaleConf(kind, router, sock string, o options, prio int) string {
	var b strings.Builder
	if kind == "lbhad" {
		fmt.Fprintf(&b, "global {\n  router_id = %q\n  control_socket = %q\n}\n", router, sock)
		for i := 0; i < o.links; i++ {
			for v := 1; v <= o.perLink; v++ {
				fmt.Fprintf(&b, "\nvrrp_instance \"VI_%d_%d\" {\n  interface = %q\n  virtual_router_id = %d\n  priority = %d\n  advert_int = 1\n  state = \"BACKUP\"\n  virtual_ipaddress = [%q]\n}\n",
					i, v, linkName(i), v, prio, vipOf(i, v))
			}
		}
		return b.String()
	}
	fmt.Fprintf(&b, "global_defs {\n  router_id %s\n}\n", router)
	for i := 0; i < o.links; i++ {
		for v := 1; v <= o.perLink; v++ {
			fmt.Fprintf(&b, "\nvrrp_instance VI_%d_%d {\n  state BACKUP\n  interface %s\n  virtual_router_id %d\n  priority %d\n  advert_int 1\n  virtual_ipaddress {\n    %s\n  }\n}\n",
				i, v, linkName(i), v, prio, vipOf(i, v))
		}
	}
	return b.String()
}

func startScale(l *lab.Lab, o options, kind string, n *lab.Node, prio int) (*lab.Proc, error) {
	conf := filepath.Join(l.Dir, n.Name+"-"+kind+".conf")
	sock := filepath.Join(lab.StateDir, fmt.Sprintf("%s-%s.sock", l.ID, n.Name))
	if err := os.WriteFile(conf, []byte(scaleConf(kind, n.Name, sock, o, prio)), 0o644); err != nil {
		return nil, fmt.Errorf("write config: %w", err)
	}
	if kind == "lbhad" {
		return l.Start(n.NS, n.Name+"-lbhad", o.bin, "run", "-c", conf, "--log-level", "info")
	}
	pid := filepath.Join(l.Dir, n.Name+"-keepalived.pid")
	child := filepath.Join(l.Dir, n.Name+"-keepalived-vrrp.pid")
	return l.Start(n.NS, n.Name+"-keepalived", "keepalived", "-n", "-l", "-G", "-D", "--vrrp", "-f", conf, "-p", pid, "-r", child)
}

func scaleRun(o options, kind string) (_ scaleResult, err error) {
	var r scaleResult
	l, err := newLab()
	if err != nil {
		return r, err
	}
	defer closeLab(l)
	defer func() {
		if err != nil {
			dumpLogs(l)
		}
	}()
	for i := 0; i < o.links; i++ {
		a, b := linkNet(i)
		for _, s := range []struct {
			ns   string
			args []string
		}{
			{l.D1.NS, []string{"link", "add", linkName(i), "type", "veth", "peer", "name", linkName(i), "netns", l.D2.NS}},
			{l.D1.NS, []string{"addr", "add", a, "dev", linkName(i)}},
			{l.D2.NS, []string{"addr", "add", b, "dev", linkName(i)}},
			{l.D1.NS, []string{"link", "set", linkName(i), "up"}},
			{l.D2.NS, []string{"link", "set", linkName(i), "up"}},
		} {
			if err := l.IP(s.ns, s.args...); err != nil {
				return r, err
			}
		}
	}
	total := o.links * o.perLink
	t0 := time.Now()
	master, err := startScale(l, o, kind, l.D1, 150)
	if err != nil {
		return r, err
	}
	backup, err := startScale(l, o, kind, l.D2, 100)
	if err != nil {
		return r, err
	}
	var owned int
	for {
		if owned, err = countVIPs(l.D1.NS); err != nil {
			return r, err
		}
		if owned == total {
			r.allOwned = time.Since(t0)
			break
		}
		if master.Exited() || backup.Exited() {
			return r, fmt.Errorf("a daemon exited (master %v, backup %v)", master.Exited(), backup.Exited())
		}
		if time.Since(t0) > 90*time.Second {
			return r, fmt.Errorf("master owns %d of %d VIPs after 90 s", owned, total)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Past the second GARP burst (garp_master_delay 5 s) into steady state.
	time.Sleep(7 * time.Second)
	nodes := []*lab.Node{l.D1, l.D2}
	var before [2]uint64
	for i, n := range nodes {
		if before[i], _, _, err = nsUsage(n.NS); err != nil {
			return r, err
		}
	}
	w0 := time.Now()
	time.Sleep(o.window)
	win := time.Since(w0)
	hz := float64(clockTicks())
	for i, n := range nodes {
		ticks, rss, pss, err := nsUsage(n.NS)
		if err != nil {
			return r, err
		}
		r.cpu[i] = float64(ticks-before[i]) / hz / win.Seconds() * 100
		r.rss[i], r.pss[i] = float64(rss)/1024, float64(pss)/1024
	}
	if r.masterVIPs, err = countVIPs(l.D1.NS); err != nil {
		return r, err
	}
	if r.bVIP, err = countVIPs(l.D2.NS); err != nil {
		return r, err
	}
	if r.masterVIPs != total || r.bVIP != 0 {
		return r, fmt.Errorf("after the window the master owns %d and the backup %d of %d VIPs", r.masterVIPs, r.bVIP, total)
	}
	if master.Exited() || backup.Exited() {
		return r, errors.New("a daemon exited during the window")
	}
	return r, nil
}

var benchNet = netip.MustParsePrefix("198.18.0.0/16")

// countVIPs counts the benchmark VIPs configured in namespace ns.
func countVIPs(ns string) (int, error) {
	h, err := netns.GetFromName(ns)
	if err != nil {
		return 0, fmt.Errorf("open netns %s: %w", ns, err)
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		return 0, fmt.Errorf("netlink in %s: %w", ns, err)
	}
	defer nl.Close()
	var addrs []netlink.Addr
	for try := 0; ; try++ {
		// A dump racing with address changes is flagged as interrupted
		// (NLM_F_DUMP_INTR); the daemons are adding VIPs, so try again.
		addrs, err = nl.AddrList(nil, netlink.FAMILY_V4)
		if !errors.Is(err, netlink.ErrDumpInterrupted) || try == 20 {
			break
		}
	}
	if err != nil {
		return 0, fmt.Errorf("list addresses in %s: %w", ns, err)
	}
	n := 0
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && benchNet.Contains(ip.Unmap()) {
			n++
		}
	}
	return n, nil
}

// nsUsage sums utime+stime (clock ticks), VmRSS and Pss (KiB) over the
// processes living in namespace ns: lbhad, or keepalived's parent and
// VRRP child.
func nsUsage(ns string) (ticks, rssKB, pssKB uint64, err error) {
	var want syscall.Stat_t
	if err := syscall.Stat(filepath.Join("/run/netns", ns), &want); err != nil {
		return 0, 0, 0, fmt.Errorf("stat netns %s: %w", ns, err)
	}
	dirs, _ := os.ReadDir("/proc")
	found := 0
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st) != nil || st.Dev != want.Dev || st.Ino != want.Ino {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+1:]))
		ut, _ := strconv.ParseUint(f[11], 10, 64)
		stt, _ := strconv.ParseUint(f[12], 10, 64)
		ticks += ut + stt
		rssKB += statusKB(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
		pssKB += statusKB(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
		found++
	}
	if found == 0 {
		return 0, 0, 0, fmt.Errorf("no process in %s", ns)
	}
	return ticks, rssKB, pssKB, nil
}

func statusKB(path, key string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseUint(f[0], 10, 64)
				return v
			}
		}
	}
	return 0
}

func clockTicks() int {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && n > 0 {
			return n
		}
	}
	return 100
}

// ---- statistics ------------------------------------------------------

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianF(d []float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]float64(nil), d...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func summary(d []time.Duration, unit func(time.Duration) string) string {
	if len(d) == 0 {
		return "–"
	}
	lo, hi := d[0], d[0]
	for _, x := range d {
		lo, hi = min(lo, x), max(hi, x)
	}
	return fmt.Sprintf("%s (%s … %s)", unit(median(d)), unit(lo), unit(hi))
}

func summaryF(d []float64, format string) string {
	if len(d) == 0 {
		return "–"
	}
	lo, hi := d[0], d[0]
	for _, x := range d {
		lo, hi = min(lo, x), max(hi, x)
	}
	f := func(x float64) string { return fmt.Sprintf(format, x) }
	return fmt.Sprintf("%s (%s … %s)", f(medianF(d)), f(lo), f(hi))
}

func ratio(a, b time.Duration) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }
