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
	h := l.startMaster(t, lb1)
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
	back := l.waitDests("owned table back after ipvsadm -C", h, e2eResync+10*time.Second, allThree)
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

// TestE2ESynRecvHoldsSorryServer covers the sorry-server swap on the
// real kernel, without load, so a slow guest cannot blur it.
//
// First the race once lost a request: the sorry server has no
// connection at all when the real servers return. The old rule deleted
// it in the same sync that added the first real server (its read showed
// no active connection), while the scheduler could still give it new
// connections at weight 1. It must now still be in the table, at weight
// 0, when the first real server is in, and leave after the grace.
//
// Then the kernel fact the drain relies on: a handshake the director saw
// begin but not finish (SYN_RECV) is counted active. It is left hanging
// by stopping the sorry server's listener: in DR its RST goes to the
// client directly, so the director never sees more than the SYN.
func TestE2ESynRecvHoldsSorryServer(t *testing.T) {
	l := newE2ELab(t, false)
	lb1 := l.lbs[0]
	begin := time.Now()
	lb1.start(t, l.bin)
	lb1.waitLog(t, `^VI_1 is now MASTER$`, begin, 30*time.Second)
	h := l.ipvsHandle(lb1)
	sorryOnly := func(ds []string) bool { return len(ds) == 1 && ds[0] == "sorry" }
	anyRS := func(ds []string) bool { return contains(ds, "rs1") || contains(ds, "rs2") || contains(ds, "rs3") }
	for _, s := range l.rs {
		s.stop(t)
	}
	l.waitDests("sorry server alone in the table", h, 20*time.Second, sorryOnly)
	if a, i, _ := destConns(h, l.sorry.ip); a != 0 || i != 0 {
		t.Fatalf("sorry server has connections (%d active, %d inactive) in a test without traffic", a, i)
	}

	// 1. The swap with an idle sorry server.
	t1 := time.Now()
	for _, s := range l.rs {
		s.start(t)
	}
	// The real servers and the sorry server are judged from one dump,
	// the first that holds a real server, so a slow poll cannot see a
	// later state.
	var seen time.Time
	var w int
	var present bool
	l.waitDests("a real server back in the table", h, 20*time.Second, func(ds []string) bool {
		if !anyRS(ds) {
			return false
		}
		seen = time.Now()
		w, present = -1, contains(ds, "sorry")
		return true
	})
	if present {
		// Its weight-0 write follows the adds within the same sync.
		time.Sleep(100 * time.Millisecond)
		if x, ok := destWeight(h, l.sorry.ip); ok {
			w = x
		}
	}
	l.result("idle swap: first real server in the table after %v; sorry server then present %v at weight %d",
		seen.Sub(t1).Round(time.Millisecond), present, w)
	if !present || w > 0 {
		t.Errorf("when the first real server was in, the sorry server was present=%v weight=%d; want present at weight 0 (quiesced before its delete)", present, w)
	}
	gone := l.waitDests("sorry server leaves after the grace", h, 15*time.Second, allThree)
	l.result("idle swap: sorry server deleted %v after the first real server was in (grace 1 s)", gone.Sub(seen).Round(time.Millisecond))

	// 2. SYN_RECV counts as active.
	for _, s := range l.rs {
		s.stop(t)
	}
	l.waitDests("sorry server alone again", h, 20*time.Second, sorryOnly)
	l.sorry.stop(t)
	_ = l.client.Run(func() error {
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
	if !strings.Contains(string(conns), "SYN_RECV") || act != 1 || inact != 0 {
		t.Errorf("want one SYN_RECV entry counted active (ActiveConn 1, InActConn 0); got ActiveConn %d, InActConn %d:\n%s", act, inact, conns)
	}
}
