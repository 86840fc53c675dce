//go:build ipvsguest

package ipvsguest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/ipvs"

	"github.com/lbhad/lbhad/internal/daemon"
)

// weightOf returns the kernel weight of the destination ip of the VIP
// service, and whether it is in the table.
func weightOf(h *ipvs.Handle, ip string) (int, bool) {
	svcs, err := h.GetServices()
	if err != nil {
		return 0, false
	}
	for _, s := range svcs {
		if s.Address.String() != e2eVIP {
			continue
		}
		ds, _ := h.GetDestinations(s)
		for _, d := range ds {
			if d.Address.String() == ip {
				return d.Weight, true
			}
		}
	}
	return 0, false
}

// TestMaintRealServer runs the real daemon pair of the e2e test (DR) and
// puts rs1 in maintenance on the master under a steady request stream:
// rs1 goes to weight 0, leaves the table once idle, no request fails; a
// restart of the master keeps it out though its checks pass; "off"
// brings it back.
func TestMaintRealServer(t *testing.T) {
	l := newE2ELab(t, false)
	// On failure the directors' IPVS, maintenance and VRRP lines tell a
	// table that went wrong from a stream starved by a loaded host.
	defer func() {
		if !t.Failed() {
			return
		}
		for _, d := range l.lbs {
			for r := 1; r <= d.runs; r++ {
				b, _ := os.ReadFile(filepath.Join(d.logDir, fmt.Sprintf("%s-%d.log", d.name, r)))
				for _, ln := range strings.Split(string(b), "\n") {
					if strings.Contains(ln, "ipvs") || strings.Contains(ln, "maint") || strings.Contains(ln, "MASTER") || strings.Contains(ln, "BACKUP") || strings.Contains(ln, "real server") {
						t.Logf("%s-%d: %s", d.name, r, ln)
					}
				}
			}
		}
	}()
	lb1, lb2 := l.lbs[0], l.lbs[1]
	// One state file per director, never the guest's default.
	t.Setenv(daemon.StateFileEnv, filepath.Join(t.TempDir(), "lb1.json"))
	sock := "/run/lbhad-e2e-lb1.sock"
	maint := func(args ...string) {
		t.Helper()
		argv := append(append([]string{"maint"}, args...), "-s", sock)
		out, err := exec.Command(l.bin, argv...).CombinedOutput()
		if err != nil {
			t.Fatalf("lbhad %s: %v\n%s", strings.Join(argv, " "), err, out)
		}
		t.Logf("lbhad %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
	}
	master := regexp.QuoteMeta(l.instance) + " is now MASTER"
	begin := time.Now()
	lb1.start(t, l.bin)
	lb2.start(t, l.bin)
	lb1.waitLog(t, master, begin, 30*time.Second)
	h1 := l.ipvsHandle(lb1)
	all3 := func(ds []string) bool { return len(ds) == 3 }
	without1 := func(ds []string) bool { return len(ds) == 2 && !contains(ds, "rs1") }
	l.waitDests("lb1 table holds rs1..3", h1, 15*time.Second, all3)
	l.startLoad()
	l.waitSteady("initial traffic", time.Now(), 20*time.Second, false)

	rs1 := l.rs[0].ip
	// A long-lived keep-alive connection that landed on rs1: the drain
	// must wait for it.
	var held net.Conn
	for i := 0; i < 20 && held == nil; i++ {
		var c net.Conn
		if err := l.client.Run(func() (err error) {
			c, err = net.DialTimeout("tcp4", e2eVIP+":80", 2*time.Second)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: vip\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) == "rs1" {
			held = c
		} else {
			c.Close()
		}
	}
	if held == nil {
		t.Fatal("no connection landed on rs1")
	}
	t0 := time.Now()
	maint("real-server", "web/rs1", "on", "--drain-timeout", "30s")
	// While the held connection is open, rs1 stays at weight 0.
	deadline0 := time.Now().Add(10 * time.Second)
	for {
		if w, ok := weightOf(h1, rs1); ok && w == 0 {
			break
		}
		if time.Now().After(deadline0) {
			t.Fatalf("rs1 not at weight 0 within 10s: %v", l.dests(h1))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if w, ok := weightOf(h1, rs1); !ok || w != 0 {
			t.Fatalf("rs1 left weight 0 (in table %v, weight %d) while a connection was still open", ok, w)
		}
	}
	closed := time.Now()
	held.Close()
	out := l.waitDests("rs1 leaves lb1's table", h1, 40*time.Second, without1)
	sawZero := true
	time.Sleep(2 * time.Second)
	w := l.window(t0, time.Now())
	t.Logf("maint on -> rs1 at weight 0 while a connection stayed open (%v), out of the table %v after it closed (weight 0 seen: %v); %v",
		closed.Sub(t0).Round(time.Millisecond), out.Sub(closed).Round(time.Millisecond), sawZero, w)
	if w.Failed != 0 {
		t.Errorf("%d requests failed while rs1 drained: %v", w.Failed, w.Errors)
	}
	if after := l.window(out.Add(time.Second), time.Now()); after.Servers["rs1"] != 0 {
		t.Errorf("rs1 still answered after leaving the table: %v", after)
	}

	// A restart of lb1 keeps rs1 out (its check passes all along).
	lb1.signal(t, syscall.SIGTERM)
	lb1.wait(t, 20*time.Second)
	t1 := time.Now()
	lb1.start(t, l.bin)
	lb1.waitLog(t, master, t1, 30*time.Second)
	l.waitDests("restarted lb1 table", h1, 15*time.Second, without1)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ds := l.dests(h1); contains(ds, "rs1") {
			t.Fatalf("rs1 back in lb1's table after a restart in maintenance: %v", ds)
		}
		time.Sleep(100 * time.Millisecond)
	}
	l.waitSteady("after lb1 restarted", time.Now(), 20*time.Second, false)

	t2 := time.Now()
	maint("real-server", "web/rs1", "off")
	back := l.waitDests("rs1 back after maint off", h1, 15*time.Second, all3)
	if wgt, ok := weightOf(h1, rs1); wgt != 1 {
		t.Errorf("rs1 back at weight %d (in table %v), want its configured 1; %v", wgt, ok, l.dests(h1))
	}
	t.Logf("maint off -> rs1 back after %v", back.Sub(t2).Round(time.Millisecond))
	if b, err := os.ReadFile(os.Getenv(daemon.StateFileEnv)); err != nil || strings.Contains(string(b), "web/rs1") {
		t.Errorf("state file after off: %s, %v", b, err)
	}
}
