//go:build integration

package integration

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/internal/lab"
)

// notifyListener is a stand-in for systemd's notify socket: it keeps
// every sd_notify line a daemon sends.
type notifyListener struct {
	path string
	conn *net.UnixConn
	mu   sync.Mutex
	msgs []string
}

func listenNotify(t *testing.T, dir, name string) *notifyListener {
	t.Helper()
	path := filepath.Join(dir, name+"-notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	n := &notifyListener{path: path, conn: conn}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			n.msgs = append(n.msgs, strings.Split(strings.TrimSpace(string(buf[:k])), "\n")...)
			n.mu.Unlock()
		}
	}()
	return n
}

// lines returns the notifications so far that start with prefix.
func (n *notifyListener) lines(prefix string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, m := range n.msgs {
		if strings.HasPrefix(m, prefix) {
			out = append(out, m)
		}
	}
	return out
}

// startNotified runs lbhad on n as systemd would: with NOTIFY_SOCKET and
// a 2 s watchdog. conf is the HCL to run.
func (b *bed) startNotified(n *lab.Node, conf string, nl *notifyListener) *lab.Director {
	b.t.Helper()
	path := filepath.Join(b.l.Dir, n.Name+"-lbhad.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		b.t.Fatal(err)
	}
	p, err := b.l.Start(n.NS, n.Name+"-lbhad", "env", "NOTIFY_SOCKET="+nl.path, "WATCHDOG_USEC=2000000",
		lbhadBin(b.t), "run", "-c", path, "--log-level", "debug")
	if err != nil {
		b.t.Fatal(err)
	}
	d := &lab.Director{Node: n, Kind: "lbhad", Proc: p, ConfPath: path}
	b.dirs = append(b.dirs, d)
	return d
}

// execReload runs the unit's ExecReload= lines in order as systemd does
// (the first that fails fails the reload and the rest are skipped), with
// the binary, config and $MAINPID of d. It returns the failing line's
// error, nil when all succeeded.
func execReload(t *testing.T, d *lab.Director) (ran []string, err error) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "scripts", "packaging", "lbhad.service"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cmd, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "ExecReload=")
		if !ok {
			continue
		}
		cmd = strings.ReplaceAll(cmd, "/usr/sbin/lbhad", lbhadBin(t))
		cmd = strings.ReplaceAll(cmd, "/etc/lbhad/lbhad.hcl", d.ConfPath)
		cmd = strings.ReplaceAll(cmd, "$MAINPID", strconv.Itoa(d.Proc.PID()))
		ran = append(ran, cmd)
		if out, err := lab.Exec(d.Node.NS, strings.Fields(cmd)...); err != nil {
			t.Logf("ExecReload %q failed:\n%s", cmd, out)
			return ran, err
		}
	}
	return ran, nil
}

// metric returns the value of one sample line (name with labels) from
// the daemon's metrics endpoint inside ns, or "" when absent.
func metric(t *testing.T, ns, addr, sample string) string {
	t.Helper()
	out, err := lab.Exec(ns, "curl", "-sS", "--max-time", "5", "http://"+addr+"/metrics")
	if err != nil {
		t.Fatalf("scrape metrics: %v", err)
	}
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func transitions(d *lab.Director) int { return strings.Count(d.Log(), " is now ") }

// Fault matrix 3: a reload one component refuses. The file parses (its
// ca_file exists and is readable) but holds no certificate, so the
// checker cannot build the check, and the priority drop it carries would
// hand the VIP to d2 if it were applied. systemctl reload (validate, then
// SIGHUP) fails and never signals; a SIGHUP sent directly is refused by
// the daemon. Nothing changes, and status, metrics and STATUS= say why.
func TestFaultReloadRejected(t *testing.T) {
	b := newBed(t)
	nl := listenNotify(t, b.l.Dir, "d1")
	const metricsAddr = "127.0.0.1:9469"
	in1 := lab.Instance{Priority: 150, AuthPass: "pw12", LBHADGlobal: "  metrics_listen = \"" + metricsAddr + "\"\n"}
	sock := b.l.ControlSocket(b.l.D1)
	good := lab.LBHADConf("d1", sock, in1)
	d1 := b.startNotified(b.l.D1, good, nl)
	d2 := b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})
	b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started")
	if !lab.Eventually(5*time.Second, func() bool { return len(nl.lines("WATCHDOG=1")) > 0 }) {
		t.Fatalf("no watchdog ping from a healthy daemon; notifications: %v", nl.lines(""))
	}
	before1, before2 := transitions(d1), transitions(d2)

	junk := filepath.Join(b.l.Dir, "junk-ca.pem")
	if err := os.WriteFile(junk, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in1.Priority = 50
	bad := lab.LBHADConf("d1", sock, in1) + `
virtual_server "web" {
  address = "192.0.2.60:443"
  real_server "a" {
    address = "192.0.2.7:443"
    ssl_get {
      ca_file = "` + junk + `"
    }
  }
}
`
	if err := os.WriteFile(d1.ConfPath, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}

	// systemctl reload: validate refuses, the SIGHUP is never sent.
	ran, err := execReload(t, d1)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("ExecReload with a bad file: err %v, want a non-zero exit", err)
	}
	if len(ran) != 1 || !strings.Contains(ran[0], " validate ") {
		t.Errorf("ExecReload ran %q; want it to stop at validate", ran)
	}
	time.Sleep(500 * time.Millisecond)
	if strings.Contains(d1.Log(), "reloading") {
		t.Error("the daemon reloaded although validate refused the file")
	}

	// A SIGHUP sent some other way: the daemon's own two-phase check.
	hup := time.Now()
	if err := d1.Proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !lab.Eventually(5*time.Second, func() bool { return hasLine(d1.Log(), "reload failed", "checker") }) {
		t.Fatalf("no reload failure logged:\n%s", d1.Log())
	}
	b.holdsFor(b.l.D1, 4*time.Second, "a refused reload must not lower d1's priority")
	if a, c := transitions(d1), transitions(d2); a != before1 || c != before2 {
		t.Errorf("refused reload caused transitions: d1 %d→%d, d2 %d→%d", before1, a, before2, c)
	}

	st, err := control.Status(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	if r := st.LastReload; r == nil || r.OK || r.Component != "checker" || !strings.Contains(r.Error, "PEM") || r.At.Before(hup.Add(-time.Second)) {
		t.Errorf("status last_reload = %+v, want a failure by the checker about the CA file", r)
	}
	if len(st.Instances) != 1 || st.Instances[0].BasePriority != 150 {
		t.Errorf("status instances = %+v, want VI_1 still at priority 150", st.Instances)
	}
	if v := metric(t, b.l.D1.NS, metricsAddr, "lbhad_config_reload_last_success"); v != "0" {
		t.Errorf("lbhad_config_reload_last_success = %q, want 0", v)
	}
	if v := metric(t, b.l.D1.NS, metricsAddr, `lbhad_config_reload_failures_total{stage="checker"}`); v != "1" {
		t.Errorf(`lbhad_config_reload_failures_total{stage="checker"} = %q, want 1`, v)
	}
	status := nl.lines("STATUS=")
	if len(status) == 0 || !strings.HasPrefix(status[len(status)-1], "STATUS=reload failed (checker rejects the config") {
		t.Errorf("last STATUS= %q, want the refused reload", status)
	}
	// The watchdog keeps pinging: VRRP runs on.
	n := len(nl.lines("WATCHDOG=1"))
	if !lab.Eventually(5*time.Second, func() bool { return len(nl.lines("WATCHDOG=1")) > n }) {
		t.Error("watchdog pings stopped after the refused reload")
	}
	t.Logf("refused reload: STATUS %q", status[len(status)-1])
}

// Fault matrix 4 (VRRP half; the IPVS half is TestReloadStormNoIPVSWrite
// on the fake kernel): 50 SIGHUPs in 5 s with an unchanged file cause no
// transition anywhere, then SIGHUPs every 100 ms on the backup while the
// master is gone cause exactly one transition (to MASTER), in time.
func TestFaultReloadStorm(t *testing.T) {
	b := newBed(t)
	d1 := b.start("lbhad", b.l.D1, lab.Instance{Priority: 150, AuthPass: "pw12"})
	d2 := b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})
	b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started")
	b.startPing()

	before1, before2 := transitions(d1), transitions(d2)
	storm := time.Now()
	for range 50 {
		for _, d := range []*lab.Director{d1, d2} {
			if err := d.Proc.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
		}
		if o := b.owners(); len(o) != 1 || o[0] != "d1" {
			t.Fatalf("VIP owners became %v during the SIGHUP storm", o)
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.holdsFor(b.l.D1, 2*time.Second, "after the SIGHUP storm")
	if a, c := transitions(d1), transitions(d2); a != before1 || c != before2 {
		t.Errorf("50 unchanged reloads caused transitions: d1 %d→%d, d2 %d→%d", before1, a, before2, c)
	}
	reloads := strings.Count(d1.Log(), "reloaded")
	t.Logf("SIGHUP storm: d1 logged %d reloads for 50 signals (coalesced while one runs); longest ping gap %v",
		reloads, b.ping.LongestGap(storm, time.Now()).Len.Round(time.Millisecond))
	if reloads == 0 {
		t.Error("d1 never reloaded during the storm")
	}

	// SIGHUP in the middle of a failover.
	before2 = transitions(d2)
	masters := strings.Count(d2.Log(), "is now MASTER")
	crash := time.Now()
	stop := make(chan struct{})
	hups := make(chan int, 1)
	go func() {
		n := 0
		defer func() { hups <- n }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				if d2.Proc.Signal(syscall.SIGHUP) == nil {
					n++
				}
			}
		}
	}()
	if err := d1.Crash(); err != nil {
		t.Fatal(err)
	}
	// 3 x advert_int + skew (0.61 s) + 3 s margin, as the crash test.
	at := b.waitOwner(b.l.D2, 7*time.Second, 0, "SIGHUPs during the failover")
	time.Sleep(2 * time.Second)
	close(stop)
	n := <-hups
	b.holdsFor(b.l.D2, time.Second, "after the failover under SIGHUPs")
	if got := transitions(d2) - before2; got != 1 {
		t.Errorf("d2 made %d transitions during a failover under %d SIGHUPs, want exactly 1", got, n)
	}
	if got := strings.Count(d2.Log(), "is now MASTER") - masters; got != 1 {
		t.Errorf("d2 became MASTER %d times, want 1", got)
	}
	t.Logf("failover under %d SIGHUPs: d2 master %v after the crash (master-down interval 3.61 s counts from d1's last advert)", n, at.Sub(crash).Round(10*time.Millisecond))
}

// A start where a component cannot work (no IPVS in this host's kernel):
// VRRP runs and owns the VIP, and systemd's STATUS=, lbhad status and the
// metrics say "degraded" with the reason, never plain "running". The
// watchdog still pings: the IPVS loop that does not run is not waited for.
func TestFaultStartDegraded(t *testing.T) {
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		t.Skip("this kernel has IPVS; the test is about one without it")
	}
	b := newBed(t)
	nl := listenNotify(t, b.l.Dir, "d1")
	const metricsAddr = "127.0.0.1:9469"
	sock := b.l.ControlSocket(b.l.D1)
	conf := lab.LBHADConf("d1", sock, lab.Instance{Priority: 150, AuthPass: "pw12", LBHADGlobal: "  metrics_listen = \"" + metricsAddr + "\"\n"}) + `
virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "a" {
    address = "192.0.2.100:80"
  }
}
`
	b.startNotified(b.l.D1, conf, nl)
	b.waitOwner(b.l.D1, 15*time.Second, time.Second, "VRRP runs without IPVS")
	status := nl.lines("STATUS=")
	if len(status) == 0 || !strings.HasPrefix(status[0], "STATUS=degraded: ") || !strings.Contains(status[0], "; ipvs: ") || !strings.Contains(status[0], "IPVS is not available") {
		t.Errorf("STATUS= lines %q, want degraded naming ipvs and why", status)
	}
	st, err := control.Status(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Degraded) != 1 || st.Degraded[0].Component != "ipvs" {
		t.Errorf("status degraded = %+v, want ipvs", st.Degraded)
	}
	if v := metric(t, b.l.D1.NS, metricsAddr, `lbhad_component_degraded{component="ipvs"}`); v != "1" {
		t.Errorf(`lbhad_component_degraded{component="ipvs"} = %q, want 1`, v)
	}
	if !lab.Eventually(5*time.Second, func() bool { return len(nl.lines("WATCHDOG=1")) >= 2 }) {
		t.Errorf("no watchdog pings while degraded; notifications %q", nl.lines(""))
	}
	t.Logf("start without IPVS: %s", status[0])
}
