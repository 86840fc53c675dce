//go:build ipvsguest && linux

package ipvsguest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// The ECMP lab: three active lbhad directors behind a router running
// BIRD 2, each announcing the VIP over BGP, LVS-DR with mh to three
// real servers, and a client behind the router.
//
//	client 203.0.113.2 --- router 203.0.113.1 | 192.0.2.1 (BIRD, ECMP, L4 hash)
//	                                 |  LAN 192.0.2.0/24 (bridge in "switch")
//	         lb1 .11  lb2 .12  lb3 .13 (lbhad, VIP on lo, BGP to .1)
//	         rs1 .21  rs2 .22  rs3 .23 (echo servers, VIP on lo, gateway .1)
//
// The VIP is 198.51.100.80, off every subnet: only the router's BGP
// routes bring traffic to it.

const (
	ecmpVIP      = "198.51.100.80"
	ecmpClientIP = "203.0.113.2"
	ecmpRouterIP = "192.0.2.1"
	// ecmpHold is the BGP hold time: short for the test, yet long enough
	// that a TCG guest under load does not miss keepalives (3 s did).
	ecmpHold = 9 * time.Second
)

var (
	ecmpVia     = regexp.MustCompile(`via (192\.0\.2\.1[1-3])\b`)
	ecmpConnRow = regexp.MustCompile(`203\.0\.113\.2:(\d+)\s+198\.51\.100\.80:80\s+192\.0\.2\.(2[1-3]):80`)
	ecmpDest    = regexp.MustCompile(`->\s+192\.0\.2\.(2[1-3]):80\s+Route\s+(\d+)`)
	ecmpConns   = regexp.MustCompile(`TCP\s+198\.51\.100\.80:80\s+(\d+)`)
)

type ecmpLab struct {
	t      *testing.T
	bin    string
	dir    string
	sw     *netnstest.Netns
	router *netnstest.Netns
	client *netnstest.Netns
	lbs    [3]*e2eDirector
	socks  [3]string
	rs     [3]*ecmpEcho
}

// nsExec runs a program in ns and returns its combined output.
func nsExec(ns *netnstest.Netns, name string, args ...string) (string, error) {
	var out []byte
	err := ns.Run(func() (err error) {
		out, err = exec.Command(name, args...).CombinedOutput()
		return err
	})
	return string(out), err
}

func newECMPLab(t *testing.T) *ecmpLab {
	t.Helper()
	for _, p := range []string{"/usr/sbin/bird", "/usr/sbin/birdc", "/usr/sbin/ipvsadm"} {
		if _, err := os.Stat(p); err != nil {
			netnstest.Unavailable(t, "%s missing in the guest (integration/vm DefaultTools ships it from the host's bird2 package): %v", p, err)
		}
	}
	l := &ecmpLab{t: t, bin: e2eBinary(t), dir: t.TempDir()}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	handle := func(ns *netnstest.Netns) *netlink.Handle {
		h, err := netlink.NewHandleAt(ns.Handle(), unix.NETLINK_ROUTE)
		must("netlink handle", err)
		t.Cleanup(h.Close)
		return h
	}
	sysctl := func(ns *netnstest.Netns, kv ...string) {
		t.Helper()
		must("sysctl", ns.Run(func() error {
			for i := 0; i < len(kv); i += 2 {
				if err := os.WriteFile("/proc/sys/net/"+kv[i], []byte(kv[i+1]+"\n"), 0o644); err != nil {
					return err
				}
			}
			return nil
		}))
	}

	l.sw = netnstest.NewNetns(t)
	hs := handle(l.sw)
	must("bridge", hs.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br-lan"}}))
	addrUp(t, hs, "br-lan", "")
	br, err := hs.LinkByName("br-lan")
	must("bridge", err)
	plug := func(ns *netnstest.Netns, port, cidr string) *netlink.Handle {
		t.Helper()
		must("veth "+port, hs.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: port, MasterIndex: br.Attrs().Index}, PeerName: "eth0", PeerNamespace: netlink.NsFd(ns.FD())}))
		addrUp(t, hs, port, "")
		h := handle(ns)
		addrUp(t, h, "eth0", cidr)
		addrUp(t, h, "lo", "")
		return h
	}

	// The router: LAN on eth0, the client on eth1; forwarding, and the
	// multipath hash over the 4-tuple so one client's flows spread.
	l.router = netnstest.NewNetns(t)
	plug(l.router, "p-router", ecmpRouterIP+"/24")
	l.client = netnstest.NewNetns(t)
	hr := handle(l.router)
	must("veth router-client", hr.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth1"}, PeerName: "eth0", PeerNamespace: netlink.NsFd(l.client.FD())}))
	addrUp(t, hr, "eth1", "203.0.113.1/24")
	hc := handle(l.client)
	addrUp(t, hc, "eth0", ecmpClientIP+"/24")
	addrUp(t, hc, "lo", "")
	defaultRoute(t, hc, "203.0.113.1")
	sysctl(l.router, "ipv4/ip_forward", "1", "ipv4/fib_multipath_hash_policy", "1")
	l.startBird()

	for i := range l.rs {
		s := &ecmpEcho{name: fmt.Sprintf("rs%d", i+1), ns: netnstest.NewNetns(t)}
		h := plug(s.ns, "p-"+s.name, fmt.Sprintf("192.0.2.%d/24", 21+i))
		defaultRoute(t, h, ecmpRouterIP)
		e2eRealserver(t, s.ns, l.bin, "on", "--vip", ecmpVIP, "--mode", "dr")
		s.start(t)
		t.Cleanup(s.stop)
		l.rs[i] = s
	}
	for i := range l.lbs {
		d := &e2eDirector{name: fmt.Sprintf("lb%d", i+1), kind: "lbhad", ns: netnstest.NewNetns(t), logDir: l.dir}
		h := plug(d.ns, "p-"+d.name, fmt.Sprintf("192.0.2.%d/24", 11+i))
		defaultRoute(t, h, ecmpRouterIP)
		// The VIP on a local device, as the operator puts it: IPVS
		// takes packets addressed to a local address.
		lo, err := h.LinkByName("lo")
		must("lo", err)
		a, _ := netlink.ParseAddr(ecmpVIP + "/32")
		must("VIP on lo", h.AddrAdd(lo, a))
		l.socks[i] = filepath.Join(l.dir, d.name+".sock")
		d.cfg = filepath.Join(l.dir, d.name+".hcl")
		must("config", os.WriteFile(d.cfg, []byte(ecmpConfig(i, l.socks[i], filepath.Join(l.dir, d.name+"-state.json"))), 0o644))
		l.lbs[i] = d
		t.Cleanup(d.kill)
		d.start(t, l.bin)
	}
	return l
}

// ecmpConfig is examples/bgp-ecmp.hcl on the lab's addresses for
// director i, with short timers: hold 9s, checks every second (fall 3
// and a 5 s connect timeout: a TCG guest stalls for a second at times,
// and a flapping real server changes mh's choice on one director
// only). alpha: a
// (re)started director's real servers enter IPVS only once their
// checks pass, so its quorum, and its announcement, wait for them.
func ecmpConfig(i int, sock, state string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global {
  router_id      = "lb%d"
  control_socket = %q
  state_file     = %q
}

bgp {
  asn           = 64512
  router_id     = "192.0.2.%d"
  withdraw_wait = "5s"
  neighbor "router" {
    address    = %q
    remote_asn = 64500
    hold_time  = %d
    keepalive  = 3
  }
}

virtual_server "web" {
  address  = "%s:80"
  lb_algo  = "mh"
  mh_port  = true
  lb_kind  = "DR"
  alpha    = true
  announce = true
`, i+1, sock, state, 11+i, ecmpRouterIP, int(ecmpHold.Seconds()), ecmpVIP)
	for j := 1; j <= 3; j++ {
		fmt.Fprintf(&b, `
  real_server "rs%d" {
    address = "192.0.2.%d:80"
    tcp_check {
      delay_loop      = 1
      connect_timeout = 5
      fall            = 3
    }
  }
`, j, 20+j)
	}
	b.WriteString("}\n")
	return b.String()
}

// startBird runs BIRD in the router namespace: one eBGP session per
// director (hold 9s, quick retries after an error so a restarted
// director is back soon), every route into the kernel with equal paths
// merged into one multipath route.
func (l *ecmpLab) startBird() {
	t := l.t
	t.Helper()
	conf := filepath.Join(l.dir, "bird.conf")
	var b strings.Builder
	fmt.Fprintf(&b, `log stderr all;
router id %s;
protocol device { scan time 1; }
protocol kernel {
  ipv4 { import none; export all; };
  merge paths yes limit 8;
}
template bgp director {
  local %s as 64500;
  hold time %d;
  connect retry time 1;
  connect delay time 1;
  error wait time 1, 3;
  ipv4 { import all; export none; };
}
`, ecmpRouterIP, ecmpRouterIP, int(ecmpHold.Seconds()))
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&b, "protocol bgp lb%d from director { neighbor 192.0.2.%d as 64512; }\n", i, 10+i)
	}
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	lg, err := os.Create(filepath.Join(l.dir, "bird.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/sbin/bird", "-f", "-c", conf, "-s", filepath.Join(l.dir, "bird.ctl"))
	cmd.Stdout, cmd.Stderr = lg, lg
	if err := l.router.Run(cmd.Start); err != nil {
		t.Fatalf("start bird: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		lg.Close()
	})
}

// diag is what a failure message carries: the router's view and logs.
func (l *ecmpLab) diag() string {
	var b strings.Builder
	r, _ := nsExec(l.router, "/usr/sbin/ip", "-4", "route")
	p, _ := nsExec(l.router, "/usr/sbin/birdc", "-s", filepath.Join(l.dir, "bird.ctl"), "show", "protocols")
	fmt.Fprintf(&b, "\nrouter routes:\n%s\nbird protocols:\n%s", r, p)
	if lg, err := os.ReadFile(filepath.Join(l.dir, "bird.log")); err == nil {
		fmt.Fprintf(&b, "bird log (tail):\n%s\n", tail(string(lg), 3000))
	}
	for _, d := range l.lbs {
		if lg, err := os.ReadFile(d.logPath); err == nil {
			fmt.Fprintf(&b, "%s log (tail):\n%s\n", d.name, tail(string(lg), 3000))
		}
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// nextHops is the set of directors (1..3) the router's kernel forwards
// the VIP to.
func (l *ecmpLab) nextHops() []int {
	out, err := nsExec(l.router, "/usr/sbin/ip", "-4", "route", "show", ecmpVIP+"/32")
	if err != nil {
		return nil
	}
	var hops []int
	for _, m := range ecmpVia.FindAllStringSubmatch(out, -1) {
		last, _ := strconv.Atoi(m[1][len("192.0.2."):])
		hops = append(hops, last-10)
	}
	slices.Sort(hops)
	return hops
}

// waitHops polls the router's route every 20 ms until ok holds and
// returns when; it fails t after within.
func (l *ecmpLab) waitHops(what string, within time.Duration, ok func([]int) bool) time.Time {
	l.t.Helper()
	deadline := time.Now().Add(within)
	for {
		if ok(l.nextHops()) {
			return time.Now()
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("%s: not within %v (next hops %v)%s", what, within, l.nextHops(), l.diag())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func hopsAre(want ...int) func([]int) bool {
	return func(h []int) bool { return slices.Equal(h, want) }
}

// dests is director i's IPVS destinations of the VIP: real server
// number (1..3) -> weight.
func (l *ecmpLab) dests(i int) map[int]int {
	out, err := nsExec(l.lbs[i].ns, "/usr/sbin/ipvsadm", "-Ln", "-t", ecmpVIP+":80")
	if err != nil {
		return nil
	}
	m := map[int]int{}
	for _, r := range ecmpDest.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(r[1])
		w, _ := strconv.Atoi(r[2])
		m[n-20] = w
	}
	return m
}

// connsTotal is director i's count of connections IPVS scheduled.
func (l *ecmpLab) connsTotal(i int) int {
	out, _ := nsExec(l.lbs[i].ns, "/usr/sbin/ipvsadm", "-Ln", "--stats")
	if m := ecmpConns.FindStringSubmatch(out); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// carriers maps client ports to the director (0..2) whose IPVS holds
// the connection; a port in several tables (after a rehash) maps to
// the last.
func (l *ecmpLab) carriers() map[int]int {
	m := map[int]int{}
	for i, d := range l.lbs {
		out, _ := nsExec(d.ns, "/usr/sbin/ipvsadm", "-Lnc")
		for _, r := range ecmpConnRow.FindAllStringSubmatch(out, -1) {
			p, _ := strconv.Atoi(r[1])
			m[p] = i
		}
	}
	return m
}

func (l *ecmpLab) cli(i int, args ...string) {
	l.t.Helper()
	out, err := exec.Command(l.bin, append(args, "-s", l.socks[i])...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("lbhad %s on lb%d: %v\n%s", strings.Join(args, " "), i+1, err, out)
	}
}

// dial opens a TCP connection from the client to the VIP.
func (l *ecmpLab) dial(timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	err := l.client.Run(func() (err error) {
		c, err = net.DialTimeout("tcp4", ecmpVIP+":80", timeout)
		return err
	})
	return c, err
}

// request is one short connection: connect, one line, its echo.
func (l *ecmpLab) request() (string, error) {
	c, err := l.dial(5 * time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("probe\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", err
	}
	name, _, _ := strings.Cut(line, " ")
	return name, nil
}

// ecmpProber opens new connections back to back from workers
// goroutines until stopped, counting answers and failures.
type ecmpProber struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	errs       []string
	stop       chan struct{}
	wg         sync.WaitGroup
	start      time.Time
}

func (l *ecmpLab) probe(workers int, pause time.Duration) *ecmpProber {
	p := &ecmpProber{stop: make(chan struct{}), start: time.Now()}
	for range workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for {
				select {
				case <-p.stop:
					return
				default:
				}
				if _, err := l.request(); err != nil {
					p.failed.Add(1)
					p.mu.Lock()
					p.errs = append(p.errs, fmt.Sprintf("%s: %v", time.Since(p.start).Round(time.Millisecond), err))
					p.mu.Unlock()
				} else {
					p.ok.Add(1)
				}
				time.Sleep(pause)
			}
		}()
	}
	return p
}

// end stops the prober and returns answered, failed, the first errors
// and the rate of answered connections per second.
func (p *ecmpProber) end() (ok, failed int64, errs []string, rate float64) {
	close(p.stop)
	p.wg.Wait()
	ok, failed = p.ok.Load(), p.failed.Load()
	p.mu.Lock()
	errs = p.errs[:min(len(p.errs), 5)]
	p.mu.Unlock()
	return ok, failed, errs, float64(ok) / time.Since(p.start).Seconds()
}

// ecmpFlow is a long-lived connection: a line every 100 ms and its echo.
type ecmpFlow struct {
	id   int
	port int
	conn net.Conn
	mu   sync.Mutex
	rs   string // the real server that answers it
	n    int    // echoes received
	err  error  // why it ended; nil while alive
}

func (f *ecmpFlow) state() (rs string, n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rs, f.n, f.err
}

func (f *ecmpFlow) run(stop <-chan struct{}) {
	r := bufio.NewReader(f.conn)
	fail := func(err error) {
		f.mu.Lock()
		f.err = err
		f.mu.Unlock()
		f.conn.Close()
	}
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			f.conn.Close()
			return
		default:
		}
		// A generous deadline: a flow a dead director carried stalls
		// until the router's hold time and TCP's retransmission.
		f.conn.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := fmt.Fprintf(f.conn, "%d %d\n", f.id, seq); err != nil {
			fail(err)
			return
		}
		line, err := r.ReadString('\n')
		if err != nil {
			fail(err)
			return
		}
		name, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		if rest != fmt.Sprintf("%d %d", f.id, seq) {
			fail(fmt.Errorf("echo %q, want %d %d", line, f.id, seq))
			return
		}
		f.mu.Lock()
		if f.rs == "" {
			f.rs = name
		} else if f.rs != name {
			f.err = fmt.Errorf("answered by %s, then by %s", f.rs, name)
		}
		f.n++
		failed := f.err != nil
		f.mu.Unlock()
		if failed {
			f.conn.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// openFlows starts n long-lived connections and waits until each has
// echoed a few times.
func (l *ecmpLab) openFlows(n int, stop <-chan struct{}) []*ecmpFlow {
	l.t.Helper()
	var flows []*ecmpFlow
	for i := range n {
		c, err := l.dial(3 * time.Second)
		if err != nil {
			l.t.Fatalf("flow %d: %v%s", i, err, l.diag())
		}
		f := &ecmpFlow{id: i, port: c.LocalAddr().(*net.TCPAddr).Port, conn: c}
		go f.run(stop)
		flows = append(flows, f)
	}
	if stuck := l.progress(flows, 3, 20*time.Second); len(stuck) > 0 {
		l.t.Fatalf("flows %v never echoed 3 times%s", stuck, l.diag())
	}
	return flows
}

// alive returns the flows that have not ended.
func alive(flows []*ecmpFlow) []*ecmpFlow {
	var out []*ecmpFlow
	for _, f := range flows {
		if _, _, err := f.state(); err == nil {
			out = append(out, f)
		}
	}
	return out
}

// progress waits until every flow still alive at the call has echoed
// k more times, and returns the ids of those that did not within
// `within`, with why (ended or stuck).
func (l *ecmpLab) progress(flows []*ecmpFlow, k int, within time.Duration) []string {
	base := map[*ecmpFlow]int{}
	for _, f := range flows {
		_, n, _ := f.state()
		base[f] = n
	}
	deadline := time.Now().Add(within)
	for {
		var bad []string
		pending := false
		for _, f := range flows {
			_, n, err := f.state()
			switch {
			case err != nil:
				bad = append(bad, fmt.Sprintf("%d (%v)", f.id, err))
			case n < base[f]+k:
				pending = true
				if time.Now().After(deadline) {
					bad = append(bad, fmt.Sprintf("%d (stuck at %d echoes)", f.id, n))
				}
			}
		}
		if !pending || time.Now().After(deadline) {
			return bad
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ecmpEcho is a real server: every line comes back prefixed with its
// name. stop closes the listener and every connection, as a crashed
// server process would.
type ecmpEcho struct {
	name  string
	ns    *netnstest.Netns
	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

func (s *ecmpEcho) start(t *testing.T) {
	t.Helper()
	var ln net.Listener
	if err := s.ns.Run(func() (err error) {
		ln, err = net.Listen("tcp4", ":80")
		return err
	}); err != nil {
		t.Fatalf("listen in %s: %v", s.name, err)
	}
	s.mu.Lock()
	s.ln, s.conns = ln, map[net.Conn]bool{}
	s.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			if s.ln != ln {
				s.mu.Unlock()
				c.Close()
				return
			}
			s.conns[c] = true
			s.mu.Unlock()
			go s.serve(c)
		}
	}()
}

func (s *ecmpEcho) serve(c net.Conn) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if _, err := fmt.Fprintf(c, "%s %s", s.name, line); err != nil {
			return
		}
	}
}

func (s *ecmpEcho) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return
	}
	s.ln.Close()
	s.ln = nil
	for c := range s.conns {
		c.Close()
	}
}
