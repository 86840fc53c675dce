//go:build ipvsguest && linux

package ipvsguest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/ipvstest"
	"github.com/lbhad/lbhad/internal/netnstest"
)

// TestE2ESyncFailover is the connection sync proof with lbhad's own VRRP:
// the e2e director pair (two real lbhad processes, e2e_test.go) with
// `lvs_sync_daemon` on the LAN interface, and a second virtual service on
// the VIP whose real servers echo lines (serveEcho of syncd_failover_test.go)
// so that the client can hold long-lived TCP connections through the VIP.
// The master is killed with SIGKILL and its cables pulled, exactly as in
// runE2E; after lb2 becomes MASTER every connection must still echo, and
// `ipvsadm -Lnc` on lb2 must list them. The control run is the same lab
// without the sync daemon: the connections must break (lb2 has no entry
// for them, the VIP is local, so its TCP stack answers with a reset).
//
// Unlike TestSyncdFailover, nothing here is scripted: the VIP moves,
// the gratuitous ARPs are sent and the sync roles swap because lbhad's
// VRRP said so.

const (
	e2eEchoPort  = 7000
	e2eSyncConns = 8
)

// e2eSyncConfig is e2eConfig with, optionally, an lvs_sync_daemon block
// on eth0 (the LAN, where both instances' adverts go) and the echo
// service on rs1..3 (no checks: the HTTP checks of "web" already watch the
// same hosts).
func e2eSyncConfig(nat, withSync bool, i int, instance string) string {
	cfg := e2eConfig(nat, i)
	if withSync {
		cfg = strings.Replace(cfg, "global {\n", fmt.Sprintf(`global {
  lvs_sync_daemon {
    interface = "eth0"
    instance  = %q
    syncid    = 51
  }
`, instance), 1)
	}
	kind, subnet := "DR", "192.0.2"
	if nat {
		kind, subnet = "NAT", "198.51.100"
	}
	var b strings.Builder
	b.WriteString(cfg)
	fmt.Fprintf(&b, `
virtual_server "echo" {
  address  = "%s:%d"
  protocol = "tcp"
  lb_algo  = "rr"
  lb_kind  = "%s"
`, e2eVIP, e2eEchoPort, kind)
	for j := 1; j <= 3; j++ {
		fmt.Fprintf(&b, "  real_server \"rs%d\" { address = \"%s.%d:%d\" }\n", j, subnet, 20+j, e2eEchoPort)
	}
	b.WriteString("}\n")
	return b.String()
}

// e2eEchoConns counts the ESTABLISHED entries of `ipvsadm -Lnc` in ns
// for the echo service.
func e2eEchoConns(t *testing.T, ns *netnstest.Netns) (int, string) {
	t.Helper()
	out, err := ipvstest.Ipvsadm(ns, "-Lnc")
	if err != nil {
		t.Fatalf("ipvsadm -Lnc: %v: %s", err, out)
	}
	vs := fmt.Sprintf("%s:%d", e2eVIP, e2eEchoPort)
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "ESTABLISHED") && strings.Contains(line, vs) {
			n++
		}
	}
	return n, string(out)
}

// waitDaemon polls `ipvsadm -L --daemon` in d's namespace until it shows
// the sync thread of role ("master" or "backup").
func (l *e2eLab) waitDaemon(d *e2eDirector, role string, within time.Duration) {
	l.t.Helper()
	deadline := time.Now().Add(within)
	for {
		out, err := ipvstest.Ipvsadm(d.ns, "-L", "--daemon")
		if err == nil && strings.Contains(string(out), role+" sync daemon") {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("%s: no %s sync daemon within %v: %v %s", d.name, role, within, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (l *e2eLab) dialEcho(n int) []*echoConn {
	l.t.Helper()
	var out []*echoConn
	for i := 0; i < n; i++ {
		var c net.Conn
		err := l.client.Run(func() (err error) {
			c, err = net.DialTimeout("tcp4", net.JoinHostPort(e2eVIP, fmt.Sprint(e2eEchoPort)), 5*time.Second)
			return err
		})
		if err != nil {
			l.t.Fatalf("dial echo %d: %v", i, err)
		}
		l.t.Cleanup(func() { c.Close() })
		out = append(out, &echoConn{c: c, r: bufio.NewReader(c)})
	}
	return out
}

func TestE2ESyncFailover(t *testing.T) {
	for _, mode := range []struct {
		name string
		nat  bool
	}{{"DR", false}, {"NAT", true}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Run("with sync", func(t *testing.T) {
				kept, n := runE2ESync(t, mode.nat, true)
				if kept != n {
					t.Errorf("with the sync daemon, %d of %d connections survived the failover", kept, n)
				}
			})
			if t.Failed() {
				return
			}
			t.Run("without sync", func(t *testing.T) {
				kept, n := runE2ESync(t, mode.nat, false)
				if kept != 0 {
					t.Errorf("without the sync daemon %d of %d connections survived: the test does not show what sync does", kept, n)
				}
			})
		})
	}
}

// runE2ESync starts the pair, opens the echo connections through lb1,
// crashes lb1 and returns how many connections still echo through lb2.
func runE2ESync(t *testing.T, nat, withSync bool) (kept, n int) {
	n = e2eSyncConns
	l := newE2ELab(t, nat)
	lb1, lb2 := l.lbs[0], l.lbs[1]
	for i, d := range l.lbs {
		if err := os.WriteFile(d.cfg, []byte(e2eSyncConfig(nat, withSync, i, l.instance)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range l.rs {
		serveEcho(t, s.ns, fmt.Sprintf(":%d", e2eEchoPort))
	}
	master := l.instance + " is now MASTER"
	begin := time.Now()
	lb1.start(t, l.bin)
	lb2.start(t, l.bin)
	lb1.waitLog(t, master, begin, 30*time.Second)
	lb2.waitLog(t, l.instance+" is now BACKUP", begin, 30*time.Second)
	if nat {
		lb1.waitLog(t, "VI_INT is now MASTER", begin, 10*time.Second)
	}
	if withSync {
		l.waitDaemon(lb1, "master", 10*time.Second)
		l.waitDaemon(lb2, "backup", 10*time.Second)
	}
	h2 := l.ipvsHandle(lb2)
	l.waitDests("lb2 table holds rs1..3", h2, 15*time.Second, func(ds []string) bool { return len(ds) >= 3 })
	if !l.hasVIP(lb1) || l.hasVIP(lb2) {
		t.Fatalf("VIP on lb1 %v, on lb2 %v: want lb1 only", l.hasVIP(lb1), l.hasVIP(lb2))
	}

	conns := l.dialEcho(n)
	for r := 0; r < 5; r++ {
		if ok, errs := ping(conns, r, 5*time.Second); ok != n {
			t.Fatalf("before failover, round %d: %d/%d answered: %v", r, ok, n, errs)
		}
	}
	if withSync {
		// The master thread sends when its buffer fills or every ~1-2 s.
		t0 := time.Now()
		deadline := t0.Add(15 * time.Second)
		for {
			got, out := e2eEchoConns(t, lb2.ns)
			if got >= n {
				l.result("sync: lb2's table listed the %d connections %v after the 5th echo round", got, time.Since(t0).Round(100*time.Millisecond))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("lb2's table never got the %d connections (has %d):\n%s", n, got, out)
			}
			time.Sleep(200 * time.Millisecond)
		}
	} else if got, out := e2eEchoConns(t, lb2.ns); got != 0 {
		t.Fatalf("without sync, lb2 lists %d connections:\n%s", got, out)
	}

	// Crash lb1 as runE2E does: kill -9 and pull its cables (alone, kill
	// -9 leaves the VIP and lb1's IPVS table forwarding).
	t0 := time.Now()
	lb1.signal(t, syscall.SIGKILL)
	l.unplug(lb1, true)
	lb1.wait(t, 10*time.Second)
	tm := lb2.waitLog(t, master, t0, 20*time.Second)
	if nat {
		lb2.waitLog(t, "VI_INT is now MASTER", t0, 20*time.Second)
	}
	if withSync {
		l.waitDaemon(lb2, "master", 10*time.Second)
	}
	// One line on every connection; generous with sync (the new master's
	// gratuitous ARPs must reach the client, in NAT the real servers too),
	// a few seconds without (a reset comes at once).
	timeout := 15 * time.Second
	if !withSync {
		timeout = 5 * time.Second
	}
	kept, errs := ping(conns, 100, timeout)
	resumed := time.Since(t0)
	if len(errs) > 0 {
		t.Logf("after failover: %d/%d answered; errors: %s", kept, n, strings.Join(errs, "; "))
	}
	with := map[bool]string{true: "with sync", false: "without sync"}[withSync]
	l.result("%s: kill -9 + cable pulled: lb2 MASTER after %v; first echo round after the crash done %v after the kill; %d/%d connections kept",
		with, tm.Sub(t0).Round(time.Millisecond), resumed.Round(time.Millisecond), kept, n)
	if kept != n {
		return kept, n
	}
	for r := 101; r < 105; r++ {
		if ok, errs := ping(conns, r, 5*time.Second); ok != n {
			t.Errorf("after failover, round %d: %d/%d answered: %v", r, ok, n, errs)
			return ok, n
		}
	}
	got, out := e2eEchoConns(t, lb2.ns)
	if got < n {
		t.Errorf("new master lb2 lists %d established echo connections, want %d:\n%s", got, n, out)
	} else {
		t.Logf("ipvsadm -Lnc on lb2 after the failover:\n%s", out)
	}
	var sent, recv int
	for _, ec := range conns {
		sent, recv = sent+ec.sent, recv+ec.received
	}
	l.result("%s: %d bytes sent, %d echoed back over %d connections (5 rounds before, 5 after); lb2 lists %d ESTABLISHED", with, sent, recv, n, got)
	return kept, n
}
