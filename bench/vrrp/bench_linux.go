package vrrpbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
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

// bench is one Run: its config, its writers and the labs it has live.
type bench struct {
	cfg      Config
	out, log io.Writer
	kinds    []string

	// labs tracks the live labs so that cancelling Run can remove them.
	mu      sync.Mutex
	live    map[*lab.Lab]bool
	closing bool
}

func (b *bench) newLab() (*lab.Lab, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return nil, errors.New("interrupted")
	}
	l, err := lab.New(lab.Spec{})
	if err != nil {
		return nil, err
	}
	if b.live == nil {
		b.live = map[*lab.Lab]bool{}
	}
	b.live[l] = true
	return l, nil
}

func (b *bench) closeLab(l *lab.Lab) {
	b.mu.Lock()
	delete(b.live, l)
	b.mu.Unlock()
	if err := l.Close(); err != nil {
		fmt.Fprintf(b.log, "close lab %s: %v\n", l.ID, err)
	}
}

func (b *bench) closeAll() {
	b.mu.Lock()
	b.closing = true
	live := b.live
	b.live = nil
	b.mu.Unlock()
	for l := range live {
		l.Close()
	}
}

// Run runs the benchmark c describes, writing the markdown tables to out
// and progress to log, and returns every sample. It needs root
// (ErrNotRoot) and, unless c.Kinds leaves it out, keepalived
// (ErrNoKeepalived). When ctx is done Run removes the labs and the
// processes it started and returns ctx.Err() at once; the measurement
// under way then fails on its own, and its late output should be
// ignored, as cmd/vrrpbench does by exiting.
func Run(ctx context.Context, c Config, out, log io.Writer) (*Result, error) {
	b := &bench{cfg: c, out: out, log: log, kinds: c.Kinds}
	if b.cfg.Settle <= 0 {
		b.cfg.Settle = 7 * time.Second
	}
	if len(b.kinds) == 0 {
		b.kinds = []string{"lbhad", "keepalived"}
	}
	for _, k := range b.kinds {
		if k != "lbhad" && k != "keepalived" {
			return nil, fmt.Errorf("unknown daemon kind %q: want lbhad or keepalived", k)
		}
	}
	if os.Geteuid() != 0 {
		return nil, ErrNotRoot
	}
	if slices.Contains(b.kinds, "keepalived") {
		if _, err := exec.LookPath("keepalived"); err != nil {
			return nil, ErrNoKeepalived
		}
	}
	if err := lab.CleanupStale(lab.Family); err != nil {
		fmt.Fprintf(b.log, "cleaning up stale labs: %v\n", err)
	}
	type done struct {
		res *Result
		err error
	}
	ch := make(chan done, 1)
	go func() {
		defer b.closeAll()
		res, err := b.run()
		ch <- done{res, err}
	}()
	select {
	case d := <-ch:
		return d.res, d.err
	case <-ctx.Done():
		b.closeAll()
		return nil, ctx.Err()
	}
}

func (b *bench) run() (*Result, error) {
	o := &b.cfg
	if o.Lbhad == "" {
		dir, err := os.MkdirTemp("", "vrrpbench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		o.Lbhad = filepath.Join(dir, "lbhad")
		if out, err := exec.Command("go", "build", "-o", o.Lbhad, "./cmd/lbhad").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/lbhad (run from the repository root): %w\n%s", err, out)
		}
	}
	kv, _ := exec.Command("keepalived", "-v").CombinedOutput()
	host, _ := os.Hostname()
	fmt.Fprintf(b.out, "vrrpbench %s on %s: %d CPUs, %s; %s; load average at start %s\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), host, runtime.NumCPU(), kernel(),
		strings.TrimSpace(strings.SplitN(string(kv), "\n", 2)[0]), loadavg())

	res := &Result{}
	if o.Only == "" || o.Only == "failover" {
		f, err := b.failovers()
		if err != nil {
			return nil, fmt.Errorf("failover runs: %w", err)
		}
		res.Failovers = f
	}
	if o.Only == "" || o.Only == "scale" {
		s, err := b.scales()
		if err != nil {
			return nil, fmt.Errorf("many-instance runs: %w", err)
		}
		res.Scales = s
	}
	fmt.Fprintf(b.out, "load average at end %s\n", loadavg())
	return res, nil
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

func (b *bench) failovers() (map[string]map[bool][]Failover, error) {
	o := b.cfg
	res := map[string]map[bool][]Failover{}
	for _, k := range b.kinds {
		res[k] = map[bool][]Failover{}
	}
	for _, graceful := range []bool{false, true} {
		for i := 0; i < o.Runs; i++ {
			for _, k := range b.kinds {
				r, err := b.failoverRun(k, graceful)
				if err != nil {
					return nil, fmt.Errorf("%s %s run %d: %w", k, event(graceful), i+1, err)
				}
				fmt.Fprintf(b.log, "%-10s %-7s run %d: gap %v, takeover %v, first advert -> first GARP %v (%d GARPs), pings %d/%d, load %s\n",
					k, event(graceful), i+1, ms(r.Gap), ms(r.Takeover), us(r.AdvToGARP), r.GARPs, r.Got, r.Sent, loadavg())
				res[k][graceful] = append(res[k][graceful], r)
			}
		}
	}

	fmt.Fprintf(b.out, "### Failover (advert_int 1, priorities 150/100, PASS auth %q, %d runs each, alternating; median, range in brackets)\n\n", o.AuthPass, o.Runs)
	fmt.Fprintln(b.out, "| metric | lbhad | keepalived | lbhad/keepalived | target |")
	fmt.Fprintln(b.out, "| --- | --- | --- | --- | --- |")
	row := func(name, target string, graceful bool, get func(Failover) time.Duration, unit func(time.Duration) string) {
		var lb, ka []time.Duration
		for _, r := range res["lbhad"][graceful] {
			lb = append(lb, get(r))
		}
		for _, r := range res["keepalived"][graceful] {
			ka = append(ka, get(r))
		}
		fmt.Fprintf(b.out, "| %s | %s | %s | %s | %s |\n", name, summary(lb, unit), summary(ka, unit), ratio(median(lb), median(ka)), target)
	}
	gap := func(r Failover) time.Duration { return r.Gap }
	take := func(r Failover) time.Duration { return r.Takeover }
	garp := func(r Failover) time.Duration { return r.AdvToGARP }
	row("SIGKILL of master: client ping gap", "≤ keepalived", false, gap, ms)
	row("SIGKILL: old master's last advert → new master's first advert", "3 × 1 s + skew 0.609 s = 3.609 s", false, take, ms)
	row("SIGTERM of master: client ping gap", "≤ skew + 20 ms = 629 ms", true, gap, ms)
	row("SIGTERM: priority-0 advert → new master's first advert", "skew 609 ms", true, take, ms)
	row("new master's first advert → first GARP (after SIGKILL)", "≤ 1 ms", false, garp, us)
	row("new master's first advert → first GARP (after SIGTERM)", "≤ 1 ms", true, garp, us)
	for _, k := range b.kinds {
		var n []string
		for _, g := range []bool{false, true} {
			for _, r := range res[k][g] {
				n = append(n, strconv.Itoa(r.GARPs))
			}
		}
		fmt.Fprintf(b.out, "\nGARPs in the new master's first second, %s: %s", k, strings.Join(n, " "))
	}
	fmt.Fprint(b.out, "\n\n")
	return res, nil
}

func event(graceful bool) string {
	if graceful {
		return "SIGTERM"
	}
	return "SIGKILL"
}

func start(l *lab.Lab, o Config, kind string, n *lab.Node, prio uint8) (*lab.Director, error) {
	in := lab.Instance{Priority: prio, AuthPass: o.AuthPass}
	if kind == "lbhad" {
		return l.StartLBHAD(o.Lbhad, n, in)
	}
	return l.StartKeepalived(n, in)
}

// failoverRun builds a fresh lab, elects d1 (150) over d2 (100), pings the
// VIP from the client every 10 ms, then kills or stops d1.
func (b *bench) failoverRun(kind string, graceful bool) (_ Failover, err error) {
	o := b.cfg
	var r Failover
	l, err := b.newLab()
	if err != nil {
		return r, err
	}
	defer b.closeLab(l)
	defer func() {
		if err != nil {
			b.dumpLogs(l)
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
	r.Gap = p.LongestGap(t0.Add(-100*time.Millisecond), time.Now()).Len
	r.Sent, r.Got = p.Counts()

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
	r.Takeover = adv.Time.Sub(before.Time)
	var garps []lab.Frame
	for _, g := range c.GARPs(lab.VIP.AsSlice(), t0) {
		if g.SrcMAC.String() == l.D2.MAC.String() {
			garps = append(garps, g)
		}
	}
	if len(garps) == 0 {
		return r, errors.New("no GARP from d2")
	}
	r.AdvToGARP = garps[0].Time.Sub(adv.Time)
	for _, g := range garps {
		if g.Time.Sub(garps[0].Time) < time.Second {
			r.GARPs++
		}
	}
	return r, nil
}

func (b *bench) dumpLogs(l *lab.Lab) {
	files, _ := filepath.Glob(filepath.Join(l.Dir, "*.err"))
	outs, _ := filepath.Glob(filepath.Join(l.Dir, "*.out"))
	for _, f := range append(files, outs...) {
		data, _ := os.ReadFile(f)
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 30 {
			lines = lines[len(lines)-30:]
		}
		fmt.Fprintf(b.log, "--- %s ---\n%s\n", filepath.Base(f), strings.Join(lines, "\n"))
	}
}

// ---- many instances ----------------------------------------------------

func (b *bench) scales() (map[string][]Scale, error) {
	o := b.cfg
	n := o.Links * o.PerLink
	res := map[string][]Scale{}
	for i := 0; i < o.ScaleRuns; i++ {
		for _, k := range b.kinds {
			r, err := b.scaleRun(k)
			if err != nil {
				return nil, fmt.Errorf("%s run %d: %w", k, i+1, err)
			}
			fmt.Fprintf(b.log, "%-10s %d instances run %d: all VIPs owned after %v; master CPU %.2f%% RSS %.1f MB PSS %.1f MB; backup CPU %.2f%% RSS %.1f MB PSS %.1f MB; load %s\n",
				k, n, i+1, ms(r.AllOwned), r.CPU[0], r.RSS[0], r.PSS[0], r.CPU[1], r.RSS[1], r.PSS[1], loadavg())
			res[k] = append(res[k], r)
		}
	}
	fmt.Fprintf(b.out, "### %d VRRP instances (VRIDs 1–%d on each of %d veth links, one /32 VIP each, no auth, advert_int 1; master lbhad/keepalived at 150, backup the same daemon at 100; %v window; %d runs each, alternating; median, range in brackets)\n\n",
		n, o.PerLink, o.Links, o.Window, o.ScaleRuns)
	fmt.Fprintln(b.out, "| metric | lbhad | keepalived | lbhad/keepalived |")
	fmt.Fprintln(b.out, "| --- | --- | --- | --- |")
	row := func(name string, get func(Scale) float64, format string) {
		var lb, ka []float64
		for _, r := range res["lbhad"] {
			lb = append(lb, get(r))
		}
		for _, r := range res["keepalived"] {
			ka = append(ka, get(r))
		}
		ma, mb := medianF(lb), medianF(ka)
		rt := "–"
		if mb > 0 {
			rt = fmt.Sprintf("%.2f", ma/mb)
		}
		fmt.Fprintf(b.out, "| %s | %s | %s | %s |\n", name, summaryF(lb, format), summaryF(ka, format), rt)
	}
	row("start → all VIPs owned by the master (s)", func(r Scale) float64 { return r.AllOwned.Seconds() }, "%.2f")
	row("master CPU (% of one core)", func(r Scale) float64 { return r.CPU[0] }, "%.2f")
	row("backup CPU (% of one core)", func(r Scale) float64 { return r.CPU[1] }, "%.2f")
	row("master RSS (MB; keepalived parent + child)", func(r Scale) float64 { return r.RSS[0] }, "%.1f")
	row("backup RSS (MB; keepalived parent + child)", func(r Scale) float64 { return r.RSS[1] }, "%.1f")
	row("master PSS (MB; shared pages counted once)", func(r Scale) float64 { return r.PSS[0] }, "%.1f")
	row("backup PSS (MB; shared pages counted once)", func(r Scale) float64 { return r.PSS[1] }, "%.1f")
	fmt.Fprintln(b.out)
	return res, nil
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

func scaleConf(kind, router, sock string, o Config, prio int) string {
	var b strings.Builder
	if kind == "lbhad" {
		fmt.Fprintf(&b, "global {\n  router_id = %q\n  control_socket = %q\n}\n", router, sock)
		for i := 0; i < o.Links; i++ {
			for v := 1; v <= o.PerLink; v++ {
				fmt.Fprintf(&b, "\nvrrp_instance \"VI_%d_%d\" {\n  interface = %q\n  virtual_router_id = %d\n  priority = %d\n  advert_int = 1\n  state = \"BACKUP\"\n  virtual_ipaddress = [%q]\n}\n",
					i, v, linkName(i), v, prio, vipOf(i, v))
			}
		}
		return b.String()
	}
	fmt.Fprintf(&b, "global_defs {\n  router_id %s\n}\n", router)
	for i := 0; i < o.Links; i++ {
		for v := 1; v <= o.PerLink; v++ {
			fmt.Fprintf(&b, "\nvrrp_instance VI_%d_%d {\n  state BACKUP\n  interface %s\n  virtual_router_id %d\n  priority %d\n  advert_int 1\n  virtual_ipaddress {\n    %s\n  }\n}\n",
				i, v, linkName(i), v, prio, vipOf(i, v))
		}
	}
	return b.String()
}

func startScale(l *lab.Lab, o Config, kind string, n *lab.Node, prio int) (*lab.Proc, error) {
	conf := filepath.Join(l.Dir, n.Name+"-"+kind+".conf")
	sock := filepath.Join(lab.StateDir, fmt.Sprintf("%s-%s.sock", l.ID, n.Name))
	if err := os.WriteFile(conf, []byte(scaleConf(kind, n.Name, sock, o, prio)), 0o644); err != nil {
		return nil, fmt.Errorf("write config: %w", err)
	}
	if kind == "lbhad" {
		return l.Start(n.NS, n.Name+"-lbhad", o.Lbhad, "run", "-c", conf, "--log-level", "info")
	}
	pid := filepath.Join(l.Dir, n.Name+"-keepalived.pid")
	child := filepath.Join(l.Dir, n.Name+"-keepalived-vrrp.pid")
	return l.Start(n.NS, n.Name+"-keepalived", "keepalived", "-n", "-l", "-G", "-D", "--vrrp", "-f", conf, "-p", pid, "-r", child)
}

func (b *bench) scaleRun(kind string) (_ Scale, err error) {
	o := b.cfg
	var r Scale
	l, err := b.newLab()
	if err != nil {
		return r, err
	}
	defer b.closeLab(l)
	defer func() {
		if err != nil {
			b.dumpLogs(l)
		}
	}()
	for i := 0; i < o.Links; i++ {
		a1, a2 := linkNet(i)
		for _, s := range []struct {
			ns   string
			args []string
		}{
			{l.D1.NS, []string{"link", "add", linkName(i), "type", "veth", "peer", "name", linkName(i), "netns", l.D2.NS}},
			{l.D1.NS, []string{"addr", "add", a1, "dev", linkName(i)}},
			{l.D2.NS, []string{"addr", "add", a2, "dev", linkName(i)}},
			{l.D1.NS, []string{"link", "set", linkName(i), "up"}},
			{l.D2.NS, []string{"link", "set", linkName(i), "up"}},
		} {
			if err := l.IP(s.ns, s.args...); err != nil {
				return r, err
			}
		}
	}
	total := o.Links * o.PerLink
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
			r.AllOwned = time.Since(t0)
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
	time.Sleep(o.Settle)
	nodes := []*lab.Node{l.D1, l.D2}
	var before [2]uint64
	for i, n := range nodes {
		if before[i], _, _, err = nsUsage(n.NS); err != nil {
			return r, err
		}
	}
	w0 := time.Now()
	time.Sleep(o.Window)
	win := time.Since(w0)
	hz := float64(clockTicks())
	for i, n := range nodes {
		ticks, rss, pss, err := nsUsage(n.NS)
		if err != nil {
			return r, err
		}
		r.CPU[i] = float64(ticks-before[i]) / hz / win.Seconds() * 100
		r.RSS[i], r.PSS[i] = float64(rss)/1024, float64(pss)/1024
	}
	if r.MasterVIPs, err = countVIPs(l.D1.NS); err != nil {
		return r, err
	}
	if r.BackupVIPs, err = countVIPs(l.D2.NS); err != nil {
		return r, err
	}
	if r.MasterVIPs != total || r.BackupVIPs != 0 {
		return r, fmt.Errorf("after the window the master owns %d and the backup %d of %d VIPs", r.MasterVIPs, r.BackupVIPs, total)
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
