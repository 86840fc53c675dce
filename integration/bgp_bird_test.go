//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
	"github.com/lbhad/lbhad/internal/netnstest"
)

var (
	directorOnce sync.Once
	directorPath string
	directorErr  error
)

// bgpDirectorBin builds integration/bgpdirector: lbhad's daemon as
// production wires it, IPVS on the in-memory kernel (this host has no
// IPVS), BGP on the real GoBGP.
func bgpDirectorBin(t *testing.T) string {
	t.Helper()
	directorOnce.Do(func() {
		directorPath = filepath.Join(buildDir, "bgpdirector")
		cmd := exec.Command("go", "build", "-tags", "integration", "-o", directorPath, "./integration/bgpdirector")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			directorErr = fmt.Errorf("go build ./integration/bgpdirector: %w\n%s", err, out)
		}
	})
	if directorErr != nil {
		t.Fatal(directorErr)
	}
	return directorPath
}

// birdRoute returns BIRD's route to prefix ("" when it has none).
func birdRoute(t *testing.T, ns, sock, prefix string) string {
	t.Helper()
	out, err := lab.Exec(ns, "birdc", "-s", sock, "show", "route", "for", prefix, "all")
	if strings.Contains(out, "Network not found") {
		return "" // birdc exits 1 then
	}
	if err != nil {
		t.Logf("birdc: %v: %s", err, out)
		return ""
	}
	if !strings.Contains(out, prefix) {
		return ""
	}
	return out
}

// TestBGPAnnounceToBIRD peers lbhad with BIRD 2, a real router, in
// network namespaces: the VIP's host route appears in BIRD with lbhad's
// address as next hop while the virtual server has quorum, and
// disappears when its only real server stops answering the tcp_check,
// on `lbhad maint director on`, and on SIGTERM before lbhad exits
// (withdrawn first, then withdraw_wait, then the rest stops).
func TestBGPAnnounceToBIRD(t *testing.T) {
	for _, bin := range []string{"bird", "birdc", "python3"} {
		if _, err := exec.LookPath(bin); err != nil {
			netnstest.Unavailable(t, "%s not installed: apt-get install -y bird2 python3 (scripts/deps.sh)", bin)
		}
	}
	l := lab.NewT(t, lab.Spec{})
	router, dir, rs := l.Client, l.D1, l.Spare
	const (
		vip     = "198.51.100.80"
		prefix  = vip + "/32"
		rsPort  = "8080"
		hold    = 9 * time.Second
		settle  = 30 * time.Second // session up (GoBGP retries every 5s) + first check
		verdict = 10 * time.Second // a check verdict and one BGP update
	)

	// The router: BIRD in its own namespace, its own config and control
	// socket; the package's service is never used.
	birdSock := filepath.Join(l.Dir, "bird.ctl")
	birdConf := filepath.Join(l.Dir, "bird.conf")
	if err := os.WriteFile(birdConf, fmt.Appendf(nil, `
router id %[1]s;
protocol device {}
protocol bgp lbhad {
  local %[1]s as 64500;
  neighbor %[2]s as 64512;
  hold time %[3]d;
  ipv4 { import all; export none; };
}
`, router.IP, dir.IP, int(hold.Seconds())), 0o644); err != nil {
		t.Fatal(err)
	}
	bird, err := l.Start(router.NS, "bird", "bird", "-f", "-c", birdConf, "-s", birdSock)
	if err != nil {
		t.Fatal(err)
	}
	if !lab.Eventually(10*time.Second, func() bool {
		_, err := lab.Exec(router.NS, "birdc", "-s", birdSock, "show", "status")
		return err == nil
	}) {
		t.Fatalf("bird did not start:\n%s", bird.Output())
	}

	startRS := func() *lab.Proc {
		t.Helper()
		p, err := l.Start(rs.NS, fmt.Sprintf("rs-%d", time.Now().UnixNano()), "python3", "-m", "http.server", "--bind", rs.IP.String(), rsPort)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	server := startRS()

	sock := l.ControlSocket(dir)
	conf := fmt.Sprintf(`
global {
  control_socket = %q
  state_file     = %q
}
bgp {
  asn           = 64512
  router_id     = %q
  withdraw_wait = "1s"
  neighbor "r1" {
    address    = %q
    remote_asn = 64500
    hold_time  = %d
  }
}
virtual_server "web" {
  address  = "%s:%s"
  lb_kind  = "DR"
  lb_algo  = "mh"
  announce = true
  real_server "a" {
    address = "%s:%s"
    tcp_check {
      delay_loop      = 0.2
      connect_timeout = 0.5
    }
  }
}
`, sock, filepath.Join(l.Dir, "state.json"), dir.IP, router.IP, int(hold.Seconds()), vip, rsPort, rs.IP, rsPort)
	path := filepath.Join(l.Dir, "bgp.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := l.Start(dir.NS, "d1-bgpdirector", bgpDirectorBin(t), "-c", path)
	if err != nil {
		t.Fatal(err)
	}
	logs := func() string {
		r, _ := lab.Exec(router.NS, "birdc", "-s", birdSock, "show", "protocols", "all", "lbhad")
		return fmt.Sprintf("lbhad:\n%s\nbird:\n%s\n%s", d.Output(), bird.Output(), r)
	}
	announced := func() bool {
		return strings.Contains(birdRoute(t, router.NS, birdSock, prefix), "via "+dir.IP.String())
	}
	gone := func() bool { return birdRoute(t, router.NS, birdSock, prefix) == "" }

	if !lab.Eventually(settle, announced) {
		t.Fatalf("BIRD has no route to %s via %s (next hop self); %s", prefix, dir.IP, logs())
	}
	t.Logf("route in BIRD:\n%s", birdRoute(t, router.NS, birdSock, prefix))
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.PID())); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmRSS:") || strings.HasPrefix(line, "VmHWM:") {
				t.Logf("daemon with one BGP session: %s", strings.Join(strings.Fields(line), " "))
			}
		}
	}
	status, err := exec.Command(lbhadBin(t), "status", "-s", sock).CombinedOutput()
	for _, want := range []string{"neighbor r1 " + router.IP.String() + ": established", prefix + " announced since", "(quorum up; web)"} {
		if !strings.Contains(string(status), want) {
			t.Errorf("lbhad status lacks %q (err %v):\n%s", want, err, status)
		}
	}

	// Quorum lost: the only real server stops listening.
	if err := server.Kill(); err != nil {
		t.Fatal(err)
	}
	if !lab.Eventually(verdict, gone) {
		t.Fatalf("route still in BIRD after the real server died; %s", logs())
	}
	server = startRS()
	defer server.Kill()
	if !lab.Eventually(verdict, announced) {
		t.Fatalf("route not back after the real server returned; %s", logs())
	}

	// Director maintenance, through the CLI as an operator would.
	cli := func(args ...string) {
		t.Helper()
		out, err := exec.Command(lbhadBin(t), append(args, "-s", sock)...).CombinedOutput()
		if err != nil {
			t.Fatalf("lbhad %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	cli("maint", "director", "on")
	if !lab.Eventually(verdict, gone) {
		t.Fatalf("route still in BIRD in director maintenance; %s", logs())
	}
	cli("maint", "director", "off")
	if !lab.Eventually(verdict, announced) {
		t.Fatalf("route not back after maintenance; %s", logs())
	}

	// SIGTERM: the route leaves BIRD while lbhad still runs (it waits
	// withdraw_wait = 1s after withdrawing), not when its session drops.
	start := time.Now()
	if err := d.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !lab.Eventually(5*time.Second, gone) {
		t.Fatalf("route still in BIRD 5s after SIGTERM; %s", logs())
	}
	took := time.Since(start)
	t.Logf("SIGTERM to route gone in BIRD: %v", took)
	select {
	case <-d.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("lbhad did not exit after SIGTERM; %s", logs())
	}
	// Withdrawn first: the route left while lbhad still forwarded, at
	// least half of withdraw_wait (1s) before it exited, not with the
	// session's close at exit.
	if lived := time.Since(start) - took; lived < 500*time.Millisecond {
		t.Errorf("lbhad exited %v after BIRD lost the route, want about withdraw_wait (1s): not withdrawn first; %s", lived, logs())
	}
}
