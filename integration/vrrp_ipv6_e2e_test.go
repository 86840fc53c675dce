//go:build integration

package integration

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/internal/lab"
)

// VRRPv3 over IPv6 end to end (issue 15): lbhad pairs and keepalived
// 2.2.7 as the peer, at advert_int 0.1, on the lab's bridge. The client
// reaches the VIP with ICMPv6 echo, and its neighbour entry for the VIP
// must follow the master's MAC (moved by the new master's unsolicited
// NA, which overrides the entry the client already has).

var (
	e2eVIP6 = netip.MustParsePrefix("2001:db8:50::100/64")
	e2eD1   = netip.MustParsePrefix("2001:db8:50::11/64")
	e2eD2   = netip.MustParsePrefix("2001:db8:50::12/64")
	e2eCl   = netip.MustParsePrefix("2001:db8:50::99/64")
)

// vrid6 is the VRID of the IPv6 instance.
const vrid6 = 61

// failover6Bound is a generous bound on a takeover at advert_int 0.1:
// Master_Down_Interval is 3 × 0.1 s + skew (under 0.4 s); the rest is
// room for a loaded machine.
const failover6Bound = 3 * time.Second

type bed6 struct {
	t    *testing.T
	l    *lab.Lab
	n    int // process counter, for unique log names
	dirs []*dir6
	cap  *cap6
}

// frame6 is a captured IPv6 VRRP advert or neighbour advertisement.
type frame6 struct {
	at     time.Time
	src    string // source MAC
	advert bool   // VRRP advert of vrid6; otherwise an NA for the VIP
}

// cap6 records, on the lab's bridge, the VRRP adverts of vrid6 over
// IPv6 and the neighbour advertisements for the VIP.
type cap6 struct {
	c      *packet.Conn
	done   chan struct{}
	mu     sync.Mutex
	frames []frame6
}

func (b *bed6) startCapture6() {
	b.t.Helper()
	c := &cap6{done: make(chan struct{})}
	err := lab.InNS(b.l.BridgeNS, func() error {
		ifi, err := net.InterfaceByName("br0")
		if err != nil {
			return err
		}
		if c.c, err = packet.Listen(ifi, packet.Raw, unix.ETH_P_IPV6, nil); err != nil {
			return err
		}
		return c.c.SetPromiscuous(true)
	})
	if err != nil {
		b.t.Fatalf("capture on br0: %v", err)
	}
	go func() {
		defer close(c.done)
		buf := make([]byte, 2048)
		vip := e2eVIP6.Addr().As16()
		for {
			n, _, err := c.c.ReadFrom(buf)
			now := time.Now()
			if err != nil {
				return
			}
			f := buf[:n]
			if n < 14+40+24 {
				continue
			}
			ip := f[14:]
			fr := frame6{at: now, src: net.HardwareAddr(f[6:12]).String()}
			switch {
			case ip[6] == 112 && ip[40+1] == vrid6:
				fr.advert = true
			case ip[6] == 58 && ip[40] == 136 && string(ip[48:64]) == string(vip[:]):
			default:
				continue
			}
			c.mu.Lock()
			c.frames = append(c.frames, fr)
			c.mu.Unlock()
		}
	}()
	b.cap = c
	b.t.Cleanup(func() { c.c.Close(); <-c.done })
}

// advertToNA returns, for the frames mac sent after t0, the time from
// its first advert to its first NA for the VIP (negative: NA first) and
// how many NAs it sent in the second after that advert.
func (c *cap6) advertToNA(mac string, t0 time.Time) (time.Duration, int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var adv, na time.Time
	count := 0
	for _, f := range c.frames {
		if f.src != mac || f.at.Before(t0) {
			continue
		}
		switch {
		case f.advert && adv.IsZero():
			adv = f.at
		case !f.advert:
			if na.IsZero() {
				na = f.at
			}
			if !adv.IsZero() && f.at.Sub(adv) < time.Second {
				count++
			}
		}
	}
	if adv.IsZero() || na.IsZero() {
		return 0, count, false
	}
	return na.Sub(adv), count, true
}

// dir6 is one director daemon of a bed6.
type dir6 struct {
	node  *lab.Node
	kind  string // "lbhad" or "keepalived"
	proc  *lab.Proc
	child string // keepalived's VRRP child PID file
}

// newBed6 builds the lab and gives d1, d2 and the client a global IPv6
// address each, waiting until no address is tentative any more.
func newBed6(t *testing.T) *bed6 {
	t.Helper()
	l := lab.NewT(t, lab.Spec{})
	b := &bed6{t: t, l: l}
	for _, x := range []struct {
		n *lab.Node
		p netip.Prefix
	}{{l.D1, e2eD1}, {l.D2, e2eD2}, {l.Client, e2eCl}} {
		if err := l.IP(x.n.NS, "-6", "addr", "add", x.p.String(), "dev", x.n.Dev); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []*lab.Node{l.D1, l.D2, l.Client} {
		if !lab.Eventually(10*time.Second, func() bool {
			out, err := lab.Exec(n.NS, "ip", "-6", "addr", "show", "dev", n.Dev)
			return err == nil && strings.Contains(out, "scope link") && !strings.Contains(out, "tentative")
		}) {
			t.Fatalf("%s: IPv6 addresses still tentative after 10 s", n.Name)
		}
	}
	b.startCapture6()
	return b
}

func (b *bed6) name(base string) string {
	b.n++
	return fmt.Sprintf("%s-%d", base, b.n)
}

// lbhad starts lbhad on n with one VRRPv3 IPv6 instance; unicast makes
// d1 and d2 each other's only peer, over their global addresses.
func (b *bed6) lbhad(n *lab.Node, prio int, unicast bool) *dir6 {
	b.t.Helper()
	name := b.name(n.Name + "-lbhad6")
	sock := filepath.Join(lab.StateDir, fmt.Sprintf("%s-%s.sock", b.l.ID, name))
	conf := fmt.Sprintf(`global {
  router_id      = %q
  control_socket = %q
  state_file     = %q
  vrrp_version   = 3
}

vrrp_instance "V6" {
  interface         = %q
  virtual_router_id = %d
  priority          = %d
  advert_int        = 0.1
  state             = "BACKUP"
  native_ipv6       = true
  virtual_ipaddress = [%q]
%s}
`, n.Name, sock, strings.TrimSuffix(sock, ".sock")+".state.json", n.Dev, vrid6, prio, e2eVIP6.String(), b.unicast(n, unicast))
	return b.runLBHAD(n, name, conf)
}

// runLBHAD writes conf as name.hcl in the lab and starts lbhad on n with
// it, as one of the bed's directors.
func (b *bed6) runLBHAD(n *lab.Node, name, conf string) *dir6 {
	b.t.Helper()
	path := filepath.Join(b.l.Dir, name+".hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		b.t.Fatal(err)
	}
	p, err := b.l.Start(n.NS, name, lbhadBin(b.t), "run", "-c", path, "--log-level", "debug")
	if err != nil {
		b.t.Fatal(err)
	}
	d := &dir6{node: n, kind: "lbhad", proc: p}
	b.dirs = append(b.dirs, d)
	return d
}

func (b *bed6) unicast(n *lab.Node, on bool) string {
	if !on {
		return ""
	}
	self, peer := e2eD1, e2eD2
	if n == b.l.D2 {
		self, peer = e2eD2, e2eD1
	}
	return fmt.Sprintf("  unicast_src_ip    = %q\n  unicast_peer      = [%q]\n", self.Addr(), peer.Addr())
}

// keepalived starts keepalived 2.2.7 on n with the same instance.
func (b *bed6) keepalived(n *lab.Node, prio int) *dir6 {
	b.t.Helper()
	requireKeepalived(b.t)
	name := b.name(n.Name + "-keepalived6")
	conf := fmt.Sprintf(`global_defs {
  router_id %s
  vrrp_version 3
  enable_script_security
  script_user root
}

vrrp_instance V6 {
  state BACKUP
  interface %s
  virtual_router_id %d
  priority %d
  advert_int 0.1
  virtual_ipaddress {
    %s
  }
}
`, n.Name, n.Dev, vrid6, prio, e2eVIP6)
	path := filepath.Join(b.l.Dir, name+".conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		b.t.Fatal(err)
	}
	child := filepath.Join(b.l.Dir, name+"-vrrp.pid")
	p, err := b.l.Start(n.NS, name, "keepalived", "-n", "-l", "-G", "-D", "--vrrp", "-f", path,
		"-p", filepath.Join(b.l.Dir, name+".pid"), "-r", child)
	if err != nil {
		b.t.Fatal(err)
	}
	d := &dir6{node: n, kind: "keepalived", proc: p, child: child}
	b.dirs = append(b.dirs, d)
	return d
}

// crash kills d's daemon with SIGKILL and removes the VIP, as the death
// of the host would (lab.Director.Crash does the same for IPv4). For
// keepalived the parent is stopped first so it cannot respawn its VRRP
// child, which is killed only if it is in d's namespace.
func (b *bed6) crash(d *dir6) {
	b.t.Helper()
	if d.kind == "keepalived" {
		d.proc.Signal(syscall.SIGSTOP)
		if raw, err := os.ReadFile(d.child); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil && inNS(pid, d.node.NS) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	if err := d.proc.Kill(); err != nil {
		b.t.Fatalf("kill %s: %v", d.proc.Name, err)
	}
	b.l.IP(d.node.NS, "-6", "addr", "del", e2eVIP6.String(), "dev", d.node.Dev) // absent on a backup
}

// inNS reports whether pid lives in the named namespace ns.
func inNS(pid int, ns string) bool {
	var a, c syscall.Stat_t
	return syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &a) == nil &&
		syscall.Stat(filepath.Join("/run/netns", ns), &c) == nil && a.Ino == c.Ino && a.Dev == c.Dev
}

// stop sends SIGTERM and waits for d to exit.
func (b *bed6) stop(d *dir6) {
	b.t.Helper()
	if err := d.proc.Signal(syscall.SIGTERM); err != nil {
		b.t.Fatalf("SIGTERM %s: %v", d.proc.Name, err)
	}
	if _, err := d.proc.Wait(10 * time.Second); err != nil && !d.proc.Exited() {
		b.t.Fatalf("%s did not exit within 10 s of SIGTERM: %v", d.proc.Name, err)
	}
}

// stopAll ends every daemon still running, between scenarios.
func (b *bed6) stopAll() {
	for _, d := range b.dirs {
		if !d.proc.Exited() {
			b.crash(d)
		}
	}
	b.dirs = nil
}

func (b *bed6) owners() []string {
	var names []string
	for _, n := range b.l.Owners(e2eVIP6.Addr()) {
		names = append(names, n.Name)
	}
	return names
}

func (b *bed6) logs() string {
	var s strings.Builder
	for _, d := range b.dirs {
		fmt.Fprintf(&s, "--- %s (exited %v)\n%s\n", d.proc.Name, d.proc.Exited(), lastLines(d.proc.Output(), 40))
	}
	return s.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitOwner6 waits until exactly n holds the VIP, then checks that it
// keeps it, alone, for settle (no flapping, no second master).
func (b *bed6) waitOwner6(n *lab.Node, timeout, settle time.Duration, why string) time.Time {
	b.t.Helper()
	only := func() bool { o := b.owners(); return len(o) == 1 && o[0] == n.Name }
	if !lab.Eventually(timeout, only) {
		b.t.Fatalf("%s: want the VIP on %s only within %v, held by %v\n%s", why, n.Name, timeout, b.owners(), b.logs())
	}
	at := time.Now()
	for end := at.Add(settle); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if !only() {
			b.t.Fatalf("%s: VIP held by %v within %v of settling on %s\n%s", why, b.owners(), settle, n.Name, b.logs())
		}
	}
	return at
}

// clientNeigh is the MAC of the client's neighbour entry for the VIP
// ("" without a usable one).
func (b *bed6) clientNeigh() string {
	out, err := lab.Exec(b.l.Client.NS, "ip", "-6", "neigh", "show", e2eVIP6.Addr().String(), "dev", b.l.Client.Dev)
	if err != nil || strings.Contains(out, "FAILED") || strings.Contains(out, "INCOMPLETE") {
		return ""
	}
	f := strings.Fields(out)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "lladdr" {
			return f[i+1]
		}
	}
	return ""
}

// clientReaches checks that the client's echo request to the VIP is
// answered and that its neighbour entry names want's MAC. With moved,
// the client already had an entry (for the old master) and it must name
// want before the client sends anything: only the new master's
// unsolicited NA can have changed it. Without, a client with no entry
// resolves the VIP with a solicitation first.
func (b *bed6) clientReaches(want *lab.Node, moved bool, why string) {
	b.t.Helper()
	var last string
	is := func() bool { last = b.clientNeigh(); return last == want.MAC.String() }
	if moved && !lab.Eventually(3*time.Second, is) {
		b.t.Fatalf("%s: client's neighbour entry for the VIP is %q, want %s (%s) from its unsolicited NA", why, last, want.MAC, want.Name)
	}
	err := lab.InNS(b.l.Client.NS, func() error {
		_, err := echo6Err(e2eVIP6.Addr(), 2*time.Second)
		return err
	})
	if err != nil {
		b.t.Fatalf("%s: client cannot reach the VIP: %v (owners %v)", why, err, b.owners())
	}
	if !is() {
		b.t.Fatalf("%s: client's neighbour entry for the VIP is %q after an echo, want %s (%s)", why, last, want.MAC, want.Name)
	}
}

// failover6 takes master away (SIGKILL, or SIGTERM when graceful) and
// checks that backup takes the VIP and the client follows it.
func (b *bed6) failover6(master, backup *dir6, graceful bool) time.Duration {
	b.t.Helper()
	t0 := time.Now()
	how := "SIGKILL"
	if graceful {
		how = "SIGTERM"
		b.stop(master)
	} else {
		b.crash(master)
	}
	at := b.waitOwner6(backup.node, failover6Bound, 200*time.Millisecond, fmt.Sprintf("%s of %s %s", how, master.kind, master.node.Name))
	b.clientReaches(backup.node, true, "after the failover")
	took := at.Sub(t0)
	b.t.Logf("%s %s (%s) -> %s (%s): VIP moved in %v (polled), client's entry follows and it reaches the VIP",
		how, master.node.Name, master.kind, backup.node.Name, backup.kind, took.Round(time.Millisecond))
	if b.cap != nil {
		// Measured, not asserted: the issue's "entering master -> first
		// unsolicited NA", seen on the wire as the new master's first
		// advert -> its first NA (the bench's definition for GARP).
		time.Sleep(time.Second)
		if d, n, ok := b.cap.advertToNA(backup.node.MAC.String(), t0); ok {
			b.t.Logf("%s as new master: first advert -> first NA %v, %d NAs in the first second", backup.kind, d.Round(time.Microsecond), n)
		} else {
			b.t.Logf("%s as new master: no advert or no NA captured (%d NAs)", backup.kind, n)
		}
	}
	return took
}

// TestVRRPv3IPv6Pair: two lbhad in VRRPv3 over IPv6 at advert_int 0.1,
// multicast: election, SIGKILL failover, preempt back, SIGTERM handover;
// then the same pair over unicast IPv6 peers: election and SIGKILL
// failover.
func TestVRRPv3IPv6Pair(t *testing.T) {
	b := newBed6(t)
	d1 := b.lbhad(b.l.D1, 150, false)
	d2 := b.lbhad(b.l.D2, 100, false)
	b.waitOwner6(b.l.D1, 10*time.Second, 500*time.Millisecond, "election")
	b.clientReaches(b.l.D1, false, "after the election")

	b.failover6(d1, d2, false)
	d1 = b.lbhad(b.l.D1, 150, false)
	b.waitOwner6(b.l.D1, 10*time.Second, 300*time.Millisecond, "preempt back")
	b.clientReaches(b.l.D1, true, "after preempting back")
	b.failover6(d1, d2, true)
	b.stopAll()

	t.Log("unicast over IPv6")
	// d2 starts once d1 holds the VIP. Started in the same instant at
	// advert_int 0.1, d2's Master_Down_Interval (361 ms) can end just
	// before d1's first advert arrives; d2 is master for a moment and its
	// NA, sent after d1's re-announcement, leaves the client's entry on
	// d2 until neighbour unreachability detection repairs it (seconds).
	// d1's second burst one advert interval after the lower-priority
	// advert (garp_lower_prio_delay) now repairs that within 0.1 s,
	// proven deterministically by TestVRRPv3IPv6LowerPriorityReannounce;
	// this test keeps the ordered start so its election is deterministic.
	u1 := b.lbhad(b.l.D1, 150, true)
	b.waitOwner6(b.l.D1, 10*time.Second, 0, "unicast: d1 alone")
	u2 := b.lbhad(b.l.D2, 100, true)
	b.waitOwner6(b.l.D1, 10*time.Second, 500*time.Millisecond, "unicast election")
	b.clientReaches(b.l.D1, false, "after the unicast election")
	b.failover6(u1, u2, false)
}

// TestVRRPv3IPv6Keepalived: keepalived 2.2.7 as the IPv6 VRRPv3 peer at
// advert_int 0.1, both ways round: lbhad takes over from a crashed
// keepalived master, and keepalived from a crashed lbhad master; each
// time the client's entry follows and it reaches the VIP.
func TestVRRPv3IPv6Keepalived(t *testing.T) {
	requireKeepalived(t)
	b := newBed6(t)
	k := b.keepalived(b.l.D1, 150)
	d := b.lbhad(b.l.D2, 100, false)
	b.waitOwner6(b.l.D1, 10*time.Second, 500*time.Millisecond, "keepalived master, lbhad backup")
	b.clientReaches(b.l.D1, false, "keepalived master")
	b.failover6(k, d, false)
	b.stopAll()

	d = b.lbhad(b.l.D1, 150, false)
	k = b.keepalived(b.l.D2, 100)
	b.waitOwner6(b.l.D1, 10*time.Second, 500*time.Millisecond, "lbhad master, keepalived backup")
	b.clientReaches(b.l.D1, false, "lbhad master")
	b.failover6(d, k, false)
}

// TestVRRPv3IPv6InterfaceRecreated: the IPv6 instance follows its
// interface by name, as the IPv4 one does (TestVRRPInterfaceFollowed).
// The master's interface is deleted: the backup takes over. It is
// re-created (new ifindex and MAC, a new link-local address that is
// tentative for a second or two): the master's transport cannot open
// until DAD ends, then opens on that address event, and the master
// preempts back; the client's entry follows the new MAC.
func TestVRRPv3IPv6InterfaceRecreated(t *testing.T) {
	b := newBed6(t)
	d1 := b.lbhad(b.l.D1, 150, false)
	b.lbhad(b.l.D2, 100, false)
	b.waitOwner6(b.l.D1, 10*time.Second, 500*time.Millisecond, "election")
	b.clientReaches(b.l.D1, false, "after the election")

	n := b.l.D1
	ip := func(ns string, args ...string) {
		t.Helper()
		if err := b.l.IP(ns, args...); err != nil {
			t.Fatal(err)
		}
	}
	ip(n.NS, "link", "del", n.Dev)
	b.waitOwner6(b.l.D2, failover6Bound, 300*time.Millisecond, "d1's interface deleted")
	b.clientReaches(b.l.D2, true, "d1's interface deleted")

	ip(b.l.BridgeNS, "link", "add", n.Port, "type", "veth", "peer", "name", n.Dev, "netns", n.NS)
	ip(b.l.BridgeNS, "link", "set", n.Port, "master", "br0")
	ip(b.l.BridgeNS, "link", "set", n.Port, "up")
	ip(n.NS, "addr", "add", n.IP.String()+"/24", "dev", n.Dev)
	ip(n.NS, "-6", "addr", "add", e2eD1.String(), "dev", n.Dev)
	ip(n.NS, "link", "set", n.Dev, "up")
	back := time.Now()
	mac, err := lab.LinkMAC(n.NS, n.Dev)
	if err != nil {
		t.Fatal(err)
	}
	n.MAC = mac
	at := b.waitOwner6(b.l.D1, 8*time.Second, 300*time.Millisecond, "d1's interface re-created")
	t.Logf("d1 master again %v after its interface came back (its link-local address was tentative first)",
		at.Sub(back).Round(time.Millisecond))
	b.clientReaches(b.l.D1, true, "d1's interface re-created")
	for _, l := range strings.Split(d1.proc.Output(), "\n") {
		if strings.Contains(l, "waiting for their interface") || strings.Contains(l, "interface ready") {
			t.Logf("d1: %s", l)
		}
	}
}
