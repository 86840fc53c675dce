//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// procSample is what the sampler saw of lbhad and its scripts.
type procSample struct {
	mu                    sync.Mutex
	maxScripts, maxNotify int
	maxRSSKiB, lastRSSKiB int
	samples               int
	cpuTicks              int // lbhad's utime+stime at the last sample
}

// sampleProcs counts, every 100 ms until stop closes, the processes
// whose command line names one of the lab's scripts, and lbhad's RSS.
func sampleProcs(pid int, scripts []string, notify string, stop <-chan struct{}) *procSample {
	s := &procSample{}
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			// A script is a process group (script.Run starts each in its
			// own): count the groups of processes running a lab script,
			// so a shell forking a child is still one script.
			ents, _ := os.ReadDir("/proc")
			groups, notifyGroups := map[string]bool{}, map[string]bool{}
			for _, e := range ents {
				if _, err := strconv.Atoi(e.Name()); err != nil {
					continue
				}
				b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
				if err != nil {
					continue
				}
				st, err := os.ReadFile("/proc/" + e.Name() + "/stat")
				if err != nil {
					continue
				}
				f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
				if len(f) < 3 {
					continue
				}
				pgid := f[2]
				for _, sc := range scripts {
					if strings.Contains(string(b), sc) {
						groups[pgid] = true
						if sc == notify {
							notifyGroups[pgid] = true
						}
						break
					}
				}
			}
			all, nt := len(groups), len(notifyGroups)
			rss := 0
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
						rss, _ = strconv.Atoi(f[1])
					}
				}
			}
			ticks := 0
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
				if f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:])); len(f) > 12 {
					u, _ := strconv.Atoi(f[11])
					st, _ := strconv.Atoi(f[12])
					ticks = u + st
				}
			}
			s.mu.Lock()
			s.cpuTicks = max(s.cpuTicks, ticks)
			s.maxScripts = max(s.maxScripts, all)
			s.maxNotify = max(s.maxNotify, nt)
			s.maxRSSKiB = max(s.maxRSSKiB, rss)
			s.lastRSSKiB = rss
			s.samples++
			s.mu.Unlock()
		}
	}()
	return s
}

// longGaps describes the gaps between consecutive times longer than d,
// relative to t0, to tell a stall of lbhad from one of the machine.
func longGaps(ts []time.Time, d time.Duration, t0 time.Time) string {
	var out []string
	for i := 1; i < len(ts); i++ {
		if g := ts[i].Sub(ts[i-1]); g > d {
			out = append(out, fmt.Sprintf("%v at +%v", g.Round(time.Millisecond), ts[i-1].Sub(t0).Round(100*time.Millisecond)))
		}
	}
	return strings.Join(out, ", ")
}

// pcapAdverts returns the times of the VRRP adverts of vrid in the
// capture file, between from and to.
func pcapAdverts(t *testing.T, pcap string, vrid int, from, to time.Time) []time.Time {
	t.Helper()
	out, err := exec.Command("tcpdump", "-r", pcap, "-nn", "-tt").Output()
	if err != nil {
		t.Fatalf("tcpdump -r: %v", err)
	}
	var ts []time.Time
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.Contains(line, fmt.Sprintf("vrid %d,", vrid)) {
			continue
		}
		sec, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		if at := time.Unix(0, int64(sec*1e9)); at.After(from) && at.Before(to) {
			ts = append(ts, at)
		}
	}
	return ts
}

// maxGap is the longest time between consecutive times.
func maxGap(ts []time.Time) time.Duration {
	var g time.Duration
	for i := 1; i < len(ts); i++ {
		g = max(g, ts[i].Sub(ts[i-1]))
	}
	return g
}

// TestMassBackendHang (fault matrix P11): 10,000 real servers, TCP
// checked, whose backends (198.18.0.0/15, routed to a host that drops
// them) all hang at once, each with a notify_down script that takes a
// second. Adverts keep their 1 s interval (max gap < 1.5 s in the
// capture), the vrrp_script keeps its 1 s rhythm (gap < 1.5 s), never
// more than max_script_processes scripts exist at once, and lbhad's RSS
// stays bounded. A second lbhad with the same vrrp_script but no real
// servers runs beside it as a control: when the machine itself stalls
// (another heavy job), the control shows it, and the failure message
// says so.
func TestMassBackendHang(t *testing.T) {
	const (
		servers  = 10000
		maxProcs = 32
		runFor   = 45 * time.Second
	)
	b := newBed(t)
	// The backends "are" beyond the client, which does not forward: every
	// SYN vanishes and each check hangs until its connect_timeout.
	if err := b.l.IP(b.l.D1.NS, "route", "add", "198.18.0.0/15", "via", lab.ClientIP.String()); err != nil {
		t.Fatal(err)
	}
	if out, err := lab.Exec(b.l.Client.NS, "sysctl", "-n", "net.ipv4.ip_forward"); err != nil || strings.TrimSpace(out) != "0" {
		t.Fatalf("client forwards (%q, %v): the backends would not hang", out, err)
	}

	dir := filepath.Join(b.l.Dir, "scripts")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(b.l.Dir, "track-runs")
	controlRuns := filepath.Join(b.l.Dir, "control-runs")
	controlTrack := filepath.Join(dir, "control-track.sh")
	downs := filepath.Join(b.l.Dir, "downs")
	track := filepath.Join(dir, "track.sh")
	notify := filepath.Join(dir, "notify-down.sh")
	for path, body := range map[string]string{
		track:        "date +%s.%N >> " + runs,
		controlTrack: "date +%s.%N >> " + controlRuns,
		notify:       "echo \"$1\" >> " + downs + "\nsleep 1",
	} {
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	in := lab.Instance{Priority: 150, AuthPass: "pw12",
		Script:      &lab.Script{Command: track, Interval: 1, Weight: -10},
		LBHADGlobal: fmt.Sprintf("  enable_script_security = true\n  max_script_processes = %d\n", maxProcs)}
	var conf strings.Builder
	conf.WriteString(lab.LBHADConf(b.l.D1.Name, b.l.ControlSocket(b.l.D1), in))
	conf.WriteString("\nvirtual_server \"web\" {\n  address = \"192.0.2.50:80\"\n")
	for i := range servers {
		addr := fmt.Sprintf("198.18.%d.%d", i/250, i%250+1)
		fmt.Fprintf(&conf, "  real_server \"r%d\" {\n    address = \"%s:80\"\n    notify_down = \"%s %s\"\n    tcp_check {\n      delay_loop = 10\n      connect_timeout = 2\n    }\n  }\n",
			i, addr, notify, addr)
	}
	conf.WriteString("}\n")
	path := filepath.Join(b.l.Dir, "hang.hcl")
	if err := os.WriteFile(path, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	// The control: an lbhad on d2 with its own VRID and the same
	// vrrp_script but no real servers, on the same machine at the same
	// time. It tells a stall of the machine from one of lbhad.
	b.start("lbhad", b.l.D2, lab.Instance{Priority: 150, VRID: 52, State: "MASTER", VIPs: []string{"192.0.2.60/24"},
		Script: &lab.Script{Name: "ctl", Command: controlTrack, Interval: 1, Weight: -10}})

	// Advert times come from tcpdump's kernel timestamps: the lab's own
	// capture stamps a frame when the test process reads it, so a stall
	// of the test process would look like a gap in the adverts.
	pcap := filepath.Join(b.l.Dir, "vrrp.pcap")
	dump, err := b.l.Start(b.l.BridgeNS, "tcpdump-vrrp", "tcpdump", "-i", "br0", "-nn", "-U", "-w", pcap, "ip proto 112")
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	p, err := b.l.Start(b.l.D1.NS, "d1-lbhad-hang", lbhadBin(t), "run", "-c", path)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	samp := sampleProcs(p.PID(), []string{track, notify}, notify, stop)
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
	}()
	if !lab.Eventually(20*time.Second, func() bool {
		ok, _ := lab.HasAddr(b.l.D1.NS, b.l.D1.Dev, lab.VIP.String()+"/24")
		return ok
	}) {
		t.Fatalf("d1 never became master; log:\n%s", tail(p.Output(), 40))
	}
	master := time.Now()
	t.Logf("master %v after start", master.Sub(start).Round(10*time.Millisecond))
	time.Sleep(runFor - time.Since(start))
	close(stop)
	end := time.Now()
	if p.Exited() {
		t.Fatalf("lbhad exited; log:\n%s", tail(p.Output(), 40))
	}

	// Adverts while the checks hung, from the kernel's timestamps.
	_ = dump.Signal(syscall.SIGINT)
	if _, err := dump.Wait(10 * time.Second); err != nil {
		t.Fatalf("tcpdump: %v", err)
	}
	adverts, controlAdverts := pcapAdverts(t, pcap, 51, master.Add(time.Second), end), pcapAdverts(t, pcap, 52, master.Add(time.Second), end)
	// The vrrp_scripts' runs, from their own timestamps.
	stamps := func(path string) []time.Time {
		var ts []time.Time
		raw, _ := os.ReadFile(path)
		for _, line := range strings.Fields(string(raw)) {
			if f, err := strconv.ParseFloat(line, 64); err == nil {
				if t := time.Unix(0, int64(f*1e9)); t.After(master) && t.Before(end) {
					ts = append(ts, t)
				}
			}
		}
		return ts
	}
	scriptRuns, controlScript := stamps(runs), stamps(controlRuns)
	down := strings.Count(p.Output(), "is gone")
	notified := 0
	if raw, err := os.ReadFile(downs); err == nil {
		notified = strings.Count(string(raw), "\n")
	}
	samp.mu.Lock()
	maxScripts, maxNotify, maxRSS, lastRSS, samples := samp.maxScripts, samp.maxNotify, samp.maxRSSKiB, samp.lastRSSKiB, samp.samples
	samp.mu.Unlock()
	t.Logf("%d real servers: %d reported gone, %d notify_down runs done in the window", servers, down, notified)
	t.Logf("adverts: %d, longest gap %v; vrrp_script runs: %d, longest gap %v",
		len(adverts), maxGap(adverts).Round(time.Millisecond), len(scriptRuns), maxGap(scriptRuns).Round(time.Millisecond))
	control := fmt.Sprintf("control lbhad without checks, same time: longest advert gap %v, vrrp_script gap %v",
		maxGap(controlAdverts).Round(time.Millisecond), maxGap(controlScript).Round(time.Millisecond))
	if maxGap(controlAdverts) >= 1500*time.Millisecond || maxGap(controlScript) >= 1500*time.Millisecond {
		control += " - the machine itself stalled; this run cannot judge lbhad"
	}
	t.Log(control)
	t.Logf("gaps over 1.2 s: adverts [%s], vrrp_script [%s]; lbhad used %.1f s of CPU in %v; load %s",
		longGaps(adverts, 1200*time.Millisecond, start), longGaps(scriptRuns, 1200*time.Millisecond, start),
		float64(samp.cpuTicks)/100, end.Sub(start).Round(time.Second), loadavg())
	t.Logf("script processes at once: at most %d (notify_down %d) in %d samples, limit %d; lbhad RSS peak %d MiB, last %d MiB",
		maxScripts, maxNotify, samples, maxProcs, maxRSS/1024, lastRSS/1024)

	if down < servers {
		t.Errorf("only %d of %d real servers went down: the backends did not all hang", down, servers)
	}
	if len(adverts) < int((end.Sub(master)-time.Second).Seconds()*0.8) {
		t.Errorf("only %d adverts in %v", len(adverts), end.Sub(master))
	}
	if g := maxGap(adverts); g >= 1500*time.Millisecond {
		t.Errorf("advert gap %v, want < 1.5 × advert_int (%s)", g, control)
	}
	if len(scriptRuns) < int(end.Sub(master).Seconds()*0.8) {
		t.Errorf("only %d vrrp_script runs in %v", len(scriptRuns), end.Sub(master))
	}
	if g := maxGap(scriptRuns); g >= 1500*time.Millisecond {
		t.Errorf("vrrp_script gap %v, want < 1.5 × interval (%s)", g, control)
	}
	if maxScripts > maxProcs {
		t.Errorf("%d script processes at once, limit %d", maxScripts, maxProcs)
	}
	if maxNotify < maxProcs/2 {
		t.Errorf("at most %d notify_down scripts at once: the storm never pressed on the limit, the bound is untested", maxNotify)
	}
	if maxRSS > 512*1024 {
		t.Errorf("lbhad RSS peaked at %d MiB", maxRSS/1024)
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}
