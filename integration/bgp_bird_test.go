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
// network namespaces, over an IPv4 and an IPv6 session: each VIP's host
// route (/32 over IPv4, /128 over IPv6) appears in BIRD with lbhad's
// address as next hop while its virtual server has quorum, and
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
		vip6    = "2001:db8:80::80"
		prefix6 = vip6 + "/128"
		rsPort  = "8080"
		hold    = 9 * time.Second
		settle  = 30 * time.Second // session up (GoBGP retries every 5s) + first check
		verdict = 10 * time.Second // a check verdict and one BGP update
	)

	// IPv6 on the same bridge: one global address each, usable (not
	// tentative) before any session or check uses it.
	ip6 := map[*lab.Node]string{router: "2001:db8:81::1", dir: "2001:db8:81::2", rs: "2001:db8:81::3"}
	for n, a := range ip6 {
		if err := l.IP(n.NS, "-6", "addr", "add", a+"/64", "dev", n.Dev, "nodad"); err != nil {
			t.Fatal(err)
		}
	}

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
protocol bgp lbhad6 {
  local %[4]s as 64500;
  neighbor %[5]s as 64512;
  hold time %[3]d;
  ipv6 { import all; export none; };
}
`, router.IP, dir.IP, int(hold.Seconds()), ip6[router], ip6[dir]), 0o644); err != nil {
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

	startRS := func(addr string) *lab.Proc {
		t.Helper()
		p, err := l.Start(rs.NS, fmt.Sprintf("rs-%d", time.Now().UnixNano()), "python3", "-m", "http.server", "--bind", addr, rsPort)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	server, server6 := startRS(rs.IP.String()), startRS(ip6[rs])

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
  neighbor "r1v6" {
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
virtual_server "web6" {
  address  = "[%s]:%s"
  lb_kind  = "DR"
  lb_algo  = "mh"
  announce = true
  real_server "a" {
    address = "[%s]:%s"
    tcp_check {
      delay_loop      = 0.2
      connect_timeout = 0.5
    }
  }
}
`, sock, filepath.Join(l.Dir, "state.json"), dir.IP, router.IP, int(hold.Seconds()), ip6[router], int(hold.Seconds()),
		vip, rsPort, rs.IP, rsPort, vip6, rsPort, ip6[rs], rsPort)
	path := filepath.Join(l.Dir, "bgp.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := l.Start(dir.NS, "d1-bgpdirector", bgpDirectorBin(t), "-c", path)
	if err != nil {
		t.Fatal(err)
	}
	logs := func() string {
		r, _ := lab.Exec(router.NS, "birdc", "-s", birdSock, "show", "protocols", "all")
		return fmt.Sprintf("lbhad:\n%s\nbird:\n%s\n%s", d.Output(), bird.Output(), r)
	}
	announced4 := func() bool {
		return strings.Contains(birdRoute(t, router.NS, birdSock, prefix), "via "+dir.IP.String())
	}
	announced6 := func() bool {
		return strings.Contains(birdRoute(t, router.NS, birdSock, prefix6), "via "+ip6[dir])
	}
	announced := func() bool { return announced4() && announced6() }
	gone4 := func() bool { return birdRoute(t, router.NS, birdSock, prefix) == "" }
	gone6 := func() bool { return birdRoute(t, router.NS, birdSock, prefix6) == "" }
	gone := func() bool { return gone4() && gone6() }

	if !lab.Eventually(settle, announced) {
		t.Fatalf("BIRD lacks a route to %s via %s or to %s via %s (next hop self); %s", prefix, dir.IP, prefix6, ip6[dir], logs())
	}
	t.Logf("routes in BIRD:\n%s\n%s", birdRoute(t, router.NS, birdSock, prefix), birdRoute(t, router.NS, birdSock, prefix6))
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.PID())); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmRSS:") || strings.HasPrefix(line, "VmHWM:") {
				t.Logf("daemon with two BGP sessions (IPv4, IPv6): %s", strings.Join(strings.Fields(line), " "))
			}
		}
	}
	status, err := exec.Command(lbhadBin(t), "status", "-s", sock).CombinedOutput()
	for _, want := range []string{"neighbor r1 " + router.IP.String() + ": established", prefix + " announced since", "(quorum up; web)",
		"neighbor r1v6 " + ip6[router] + ": established", prefix6 + " announced since", "(quorum up; web6)"} {
		if !strings.Contains(string(status), want) {
			t.Errorf("lbhad status lacks %q (err %v):\n%s", want, err, status)
		}
	}

	// Quorum lost on the IPv6 service only: its route goes, the IPv4
	// one stays; then the same the other way round.
	if err := server6.Kill(); err != nil {
		t.Fatal(err)
	}
	if !lab.Eventually(verdict, gone6) {
		t.Fatalf("IPv6 route still in BIRD after its real server died; %s", logs())
	}
	if !announced4() {
		t.Fatalf("IPv4 route left BIRD with the IPv6 service's quorum; %s", logs())
	}
	server6 = startRS(ip6[rs])
	defer server6.Kill()
	if !lab.Eventually(verdict, announced6) {
		t.Fatalf("IPv6 route not back after its real server returned; %s", logs())
	}
	if err := server.Kill(); err != nil {
		t.Fatal(err)
	}
	if !lab.Eventually(verdict, gone4) {
		t.Fatalf("route still in BIRD after the real server died; %s", logs())
	}
	if !announced6() {
		t.Fatalf("IPv6 route left BIRD with the IPv4 service's quorum; %s", logs())
	}
	server = startRS(rs.IP.String())
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
		t.Fatalf("routes still in BIRD 5s after SIGTERM; %s", logs())
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
