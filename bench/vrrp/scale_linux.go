package vrrpbench

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

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
			fmt.Fprintf(b.log, "%-10s %d instances run %d: all VIPs owned after %v; master CPU %.2f%% RSS %.1f MB (anon %.1f, file %.1f) PSS %.1f MB; backup CPU %.2f%% RSS %.1f MB (anon %.1f, file %.1f) PSS %.1f MB; load %s\n",
				k, n, i+1, ms(r.AllOwned), r.CPU[0], r.RSS[0], r.RSSAnon[0], r.RSSFile[0], r.PSS[0],
				r.CPU[1], r.RSS[1], r.RSSAnon[1], r.RSSFile[1], r.PSS[1], loadavg())
			res[k] = append(res[k], r)
		}
	}
	proto := "advert_int 1"
	if o.ScaleAdvert > 0 {
		proto = fmt.Sprintf("VRRPv3, advert_int %v", o.ScaleAdvert.Seconds())
	}
	fmt.Fprintf(b.out, "### %d VRRP instances (VRIDs 1–%d on each of %d veth links, one /32 VIP each, no auth, %s; master lbhad/keepalived at 150, backup the same daemon at 100; %v window; %d runs each, alternating; median, range in brackets)\n\n",
		n, o.PerLink, o.Links, proto, o.Window, o.ScaleRuns)
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
		if before[i], _, err = nsUsage(n.NS); err != nil {
			return r, err
		}
	}
	w0 := time.Now()
	time.Sleep(o.Window)
	win := time.Since(w0)
	hz := float64(clockTicks())
	for i, n := range nodes {
		ticks, m, err := nsUsage(n.NS)
		if err != nil {
			return r, err
		}
		r.CPU[i] = float64(ticks-before[i]) / hz / win.Seconds() * 100
		r.RSS[i], r.PSS[i] = float64(m.rss)/1024, float64(m.pss)/1024
		r.RSSAnon[i], r.RSSFile[i] = float64(m.anon)/1024, float64(m.file)/1024
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
	if kind == "lbhad" {
		// A graceful stop, so that a daemon run with LBHAD_MEMPROFILE
		// writes its heap profile before the lab kills what is left.
		for _, p := range []*lab.Proc{master, backup} {
			_ = p.Signal(syscall.SIGTERM)
		}
		for _, p := range []*lab.Proc{master, backup} {
			_, _ = p.Wait(10 * time.Second)
		}
	}
	return r, nil
}

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

// memKB is a node's memory in KiB: VmRSS, its anonymous (RssAnon) and
// file-backed (RssFile) parts, and Pss.
type memKB struct{ rss, anon, file, pss uint64 }

// nsUsage sums utime+stime (clock ticks) and memory over the
// processes living in namespace ns: lbhad, or keepalived's parent and
// VRRP child.
func nsUsage(ns string) (ticks uint64, m memKB, err error) {
	var want syscall.Stat_t
	if err := syscall.Stat(filepath.Join("/run/netns", ns), &want); err != nil {
		return 0, m, fmt.Errorf("stat netns %s: %w", ns, err)
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
		f, err := lab.StatFields(pid)
		if err != nil {
			continue
		}
		ut, _ := strconv.ParseUint(f[11], 10, 64)
		stt, _ := strconv.ParseUint(f[12], 10, 64)
		ticks += ut + stt
		m.rss += statusKB(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
		m.anon += statusKB(fmt.Sprintf("/proc/%d/status", pid), "RssAnon:")
		m.file += statusKB(fmt.Sprintf("/proc/%d/status", pid), "RssFile:")
		m.pss += statusKB(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
		if dir := os.Getenv("VRRPBENCH_SMAPS"); dir != "" {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid)); err == nil {
				_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("smaps.%s.%d", ns, pid)), b, 0o644)
			}
		}
		found++
	}
	if found == 0 {
		return 0, m, fmt.Errorf("no process in %s", ns)
	}
	return ticks, m, nil
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
