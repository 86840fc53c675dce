//go:build ipvsguest && linux

package ipvsguest

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moby/ipvs"

	"github.com/lbhad/lbhad/internal/ipvstest"
)

// e2eResync is the lvs_resync_interval of TestE2EResyncAfterFlush.
const e2eResync = 2 * time.Second

// withGlobal adds attribute lines to the global block of d's config.
func withGlobal(t *testing.T, d *e2eDirector, lines string) {
	t.Helper()
	b, err := os.ReadFile(d.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "global {\n", "global {\n"+lines+"\n", 1)
	if err := os.WriteFile(d.cfg, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestE2EResyncAfterFlush: `ipvsadm -C` while lbhad runs, and a weight
// changed by hand, are put right within one lvs_resync_interval without
// any health change; a service added by ipvsadm for another address is
// never touched.
func TestE2EResyncAfterFlush(t *testing.T) {
	l := newE2ELab(t, false)
	lb1 := l.lbs[0]
	withGlobal(t, lb1, `  lvs_resync_interval = "2s"`)
	begin := time.Now()
	lb1.start(t, l.bin)
	lb1.waitLog(t, `^VI_1 is now MASTER$`, begin, 30*time.Second)
	h := l.ipvsHandle(lb1)
	all3 := func(ds []string) bool {
		return len(ds) == 3 && contains(ds, "rs1") && contains(ds, "rs2") && contains(ds, "rs3")
	}
	l.waitDests("table holds rs1..3", h, 15*time.Second, all3)
	adm := func(args ...string) string {
		t.Helper()
		out, err := ipvstest.Ipvsadm(lb1.ns, args...)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	foreign := func() string {
		out, err := ipvstest.Ipvsadm(lb1.ns, "-Ln", "-t", "203.0.113.9:443")
		if err != nil {
			return "absent: " + err.Error()
		}
		return string(out)
	}

	// Flush everything, then add a service of someone else's.
	t0 := time.Now()
	adm("-C")
	adm("-A", "-t", "203.0.113.9:443", "-s", "sh")
	adm("-a", "-t", "203.0.113.9:443", "-r", "192.0.2.99:443", "-g", "-w", "7")
	before := foreign()
	back := l.waitDests("owned table back after ipvsadm -C", h, e2eResync+10*time.Second, all3)
	took := back.Sub(t0)
	l.result("ipvsadm -C: owned table back after %v (lvs_resync_interval %v)", took.Round(time.Millisecond), e2eResync)
	// Generous for a slow guest: one interval plus 2 s for the sync.
	if took > e2eResync+2*time.Second {
		t.Errorf("owned table back %v after ipvsadm -C, want within about one resync interval (%v)", took, e2eResync)
	}

	// A weight changed by hand goes back to the configured 1.
	t1 := time.Now()
	adm("-e", "-t", e2eVIP+":80", "-r", "192.0.2.21:80", "-g", "-w", "5")
	deadline := t1.Add(e2eResync + 10*time.Second)
	for {
		if w, ok := destWeight(h, "192.0.2.21"); ok && w == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rs1's weight not put back to 1: %s", adm("-Ln"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	l.result("weight changed by ipvsadm -e: put back after %v", time.Since(t1).Round(time.Millisecond))

	// Two more resyncs pass: the foreign service is as it was added.
	time.Sleep(2 * e2eResync)
	if after := foreign(); after != before {
		t.Errorf("foreign service changed by lbhad:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if !strings.Contains(before, "192.0.2.99:443") {
		t.Errorf("foreign service not listed as added: %s", before)
	}
	for _, ln := range lb1.lines() {
		if strings.Contains(ln.Msg, "203.0.113.9") || strings.Contains(ln.Raw, "203.0.113.9") {
			t.Errorf("lbhad logged about the foreign service: %s", ln.Raw)
		}
	}
}

// destWeight is the weight of the destination at ip in the VIP's
// service of h's table.
func destWeight(h *ipvs.Handle, ip string) (int, bool) {
	svcs, err := h.GetServices()
	if err != nil {
		return 0, false
	}
	for _, s := range svcs {
		if s.Address.String() != e2eVIP {
			continue
		}
		ds, err := h.GetDestinations(s)
		if err != nil {
			return 0, false
		}
		for _, d := range ds {
			if d.Address.String() == ip {
				return d.Weight, true
			}
		}
	}
	return 0, false
}

// destConns is the kernel's active and inactive counts of the
// destination at ip, and whether it is in the table.
func destConns(h *ipvs.Handle, ip string) (active, inactive int, ok bool) {
	svcs, err := h.GetServices()
	if err != nil {
		return 0, 0, false
	}
	for _, s := range svcs {
		if s.Address.String() != e2eVIP {
			continue
		}
		ds, err := h.GetDestinations(s)
		if err != nil {
			return 0, 0, false
		}
		for _, d := range ds {
			if d.Address.String() == ip {
				return d.ActiveConnections, d.InactiveConnections, true
			}
		}
	}
	return 0, 0, false
}

// TestE2ESynRecvHoldsSorryServer shows the cause of the request once
// lost at the sorry-server swap and that it is fixed. A handshake the
// director saw begin (SYN) but not finish is in SYN_RECV, which the
// kernel counts as inactive: with no active connection, the old drain
// rule deleted the sorry server in the same sync that added the real
// servers. Now it stays at weight 0 for ipvssync.QuiesceGrace first.
//
// The handshake is left hanging by stopping the sorry server's
// listener: in DR its RST goes to the client directly, so the director
// never sees the connection progress past SYN_RECV.
func TestE2ESynRecvHoldsSorryServer(t *testing.T) {
	l := newE2ELab(t, false)
	lb1 := l.lbs[0]
	begin := time.Now()
	lb1.start(t, l.bin)
	lb1.waitLog(t, `^VI_1 is now MASTER$`, begin, 30*time.Second)
	h := l.ipvsHandle(lb1)
	for _, s := range l.rs {
		s.stop(t)
	}
	sorryOnly := func(ds []string) bool { return len(ds) == 1 && ds[0] == "sorry" }
	l.waitDests("sorry server alone in the table", h, 20*time.Second, sorryOnly)
	l.sorry.stop(t)
	// One connection attempt from the client: refused by the sorry
	// server, its entry on the director stays in SYN_RECV.
	_ = ipvstest.Do(l.client, func() error {
		c, err := net.DialTimeout("tcp4", e2eVIP+":80", time.Second)
		if err == nil {
			c.Close()
		}
		return nil
	})
	conns, err := ipvstest.Ipvsadm(lb1.ns, "-Lnc")
	if err != nil {
		t.Fatal(err)
	}
	act, inact, _ := destConns(h, l.sorry.ip)
	l.result("handshake left hanging on the sorry server: ActiveConn %d, InActConn %d; ipvsadm -Lnc:\n%s", act, inact, conns)
	if !strings.Contains(string(conns), "SYN_RECV") || act != 0 || inact < 1 {
		t.Fatalf("want a SYN_RECV entry counted inactive (ActiveConn 0, InActConn >= 1); got ActiveConn %d, InActConn %d:\n%s", act, inact, conns)
	}

	// The real servers return: the sorry server must still be in the
	// table, at weight 0, when they are all in.
	t1 := time.Now()
	for _, s := range l.rs {
		s.start(t)
	}
	withRS := func(ds []string) bool { return contains(ds, "rs1") && contains(ds, "rs2") && contains(ds, "rs3") }
	seen := l.waitDests("real servers back in the table", h, 20*time.Second, withRS)
	ds := l.dests(h)
	w, present := destWeight(h, l.sorry.ip)
	l.result("real servers in the table after %v; sorry server then present %v at weight %d", seen.Sub(t1).Round(time.Millisecond), present, w)
	if !present || w != 0 {
		t.Errorf("when the real servers were in (%v), the sorry server was present=%v weight=%d; want present at weight 0 (quiesced, not deleted)", ds, present, w)
	}
	all3 := func(ds []string) bool { return len(ds) == 3 && withRS(ds) }
	gone := l.waitDests("sorry server leaves after the grace", h, 15*time.Second, all3)
	l.result("sorry server deleted %v after the real servers were in", gone.Sub(seen).Round(time.Millisecond))
}
