//go:build ipvsguest && linux

package ipvsguest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/daemon"
	"github.com/lbhad/lbhad/internal/ipvstest"
	"github.com/lbhad/lbhad/internal/netnstest"
	"github.com/lbhad/lbhad/ipvssync"
	"github.com/lbhad/lbhad/vrrp"
)

// The director-pair lab of the connection sync tests. Every node is its
// own network namespace; "lan" holds two bridges:
//
//	front 192.0.2.0/24     client .2 (NAT), director A .11, B .12, VIP .100 (NAT)
//	back  198.51.100.0/24  director A .2, B .3, DIP .1 (NAT), rs1 .21, rs2 .22,
//	                       client .50 and VIP .100 (DR)
//	sync  203.0.113.0/24   A .1 -- B .2, a veth pair used only by the sync daemon,
//	                       so its counters count sync traffic alone
//
// In NAT mode the real servers route through the DIP, which moves with the
// VIP; in DR mode the client sits on the back segment and the real servers
// hold the VIP on lo (arp_ignore=1, arp_announce=2) and answer it directly.

const syncdPort = 8080 // real servers listen here in both modes

type syncdLab struct {
	t            *testing.T
	dr           bool
	client, lan  *netnstest.Netns
	dir          [2]*netnstest.Netns // A, B
	rs           []*netnstest.Netns
	vip, vipCIDR string
	vipDev       string
	cfg          *config.Config
	syncd        [2]*daemon.SyncdComponent
	activeIdx    int
}

func syncdHCL(dr bool, vip string) string {
	kind := "NAT"
	if dr {
		kind = "DR"
	}
	return fmt.Sprintf(`
global {
  lvs_sync_daemon {
    interface = "sync"
    instance  = "VI_1"
  }
}
vrrp_instance "VI_1" {
  interface         = "back"
  virtual_router_id = 51
  virtual_ipaddress = ["%[1]s"]
}
virtual_server "echo" {
  address  = "%[1]s:%[3]d"
  protocol = "tcp"
  lb_algo  = "rr"
  lb_kind  = %[2]q
  real_server "rs1" { address = "198.51.100.21:%[3]d" }
  real_server "rs2" { address = "198.51.100.22:%[3]d" }
}
`, vip, kind, syncdPort)
}

func sysctl(t *testing.T, ns *netnstest.Netns, kv ...string) {
	t.Helper()
	if err := ns.Run(func() error {
		for i := 0; i < len(kv); i += 2 {
			if err := os.WriteFile(filepath.Join("/proc/sys", kv[i]), []byte(kv[i+1]+"\n"), 0o644); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("sysctl: %v", err)
	}
}

func nlHandle(t *testing.T, ns *netnstest.Netns) *netlink.Handle {
	t.Helper()
	h, err := netlink.NewHandleAt(ns.Handle(), unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// plug connects ns to the lan bridge br with a veth named ifname inside ns.
func (l *syncdLab) plug(ns *netnstest.Netns, br, ifname, cidr string) {
	t := l.t
	hl := nlHandle(t, l.lan)
	b, err := hl.LinkByName(br)
	if err != nil {
		t.Fatal(err)
	}
	// The lan side name must be unique in lan: derive it from a counter.
	name := fmt.Sprintf("p%d", len(mustLinks(t, hl)))
	if err := hl.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name, MasterIndex: b.Attrs().Index}, PeerName: ifname, PeerNamespace: netlink.NsFd(ns.FD())}); err != nil {
		t.Fatalf("veth %s: %v", ifname, err)
	}
	addrUp(t, hl, name, "")
	addrUp(t, nlHandle(t, ns), ifname, cidr)
}

func mustLinks(t *testing.T, h *netlink.Handle) []netlink.Link {
	ls, err := h.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func newSyncdLab(t *testing.T, dr bool) *syncdLab {
	l := &syncdLab{t: t, dr: dr, client: netnstest.NewNetns(t), lan: netnstest.NewNetns(t),
		dir: [2]*netnstest.Netns{netnstest.NewNetns(t), netnstest.NewNetns(t)}}
	hl := nlHandle(t, l.lan)
	for _, br := range []string{"front", "back"} {
		if err := hl.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: br}}); err != nil {
			t.Fatal(err)
		}
		addrUp(t, hl, br, "")
	}
	l.vip, l.vipDev = "192.0.2.100", "front"
	if dr {
		l.vip, l.vipDev = "198.51.100.100", "back"
	}
	l.vipCIDR = l.vip + "/24"
	if dr {
		l.vipCIDR = l.vip + "/32"
	}
	for i, ns := range l.dir {
		l.plug(ns, "front", "front", fmt.Sprintf("192.0.2.%d/24", 11+i))
		l.plug(ns, "back", "back", fmt.Sprintf("198.51.100.%d/24", 2+i))
		addrUp(t, nlHandle(t, ns), "lo", "")
		sysctl(t, ns, "net/ipv4/ip_forward", "1", "net/ipv4/vs/conntrack", "0")
	}
	// The sync link, IPv6 off so its counters hold sync messages only
	// (plus a few IGMP reports).
	hA := nlHandle(t, l.dir[0])
	if err := hA.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "sync"}, PeerName: "sync", PeerNamespace: netlink.NsFd(l.dir[1].FD())}); err != nil {
		t.Fatal(err)
	}
	for i, ns := range l.dir {
		sysctl(t, ns, "net/ipv6/conf/sync/disable_ipv6", "1")
		addrUp(t, nlHandle(t, ns), "sync", fmt.Sprintf("203.0.113.%d/24", 1+i))
	}

	if dr {
		l.plug(l.client, "back", "eth0", "198.51.100.50/24")
	} else {
		l.plug(l.client, "front", "eth0", "192.0.2.2/24")
	}
	addrUp(t, nlHandle(t, l.client), "lo", "")

	for i := 0; i < 2; i++ {
		ns := netnstest.NewNetns(t)
		l.rs = append(l.rs, ns)
		l.plug(ns, "back", "eth0", fmt.Sprintf("198.51.100.%d/24", 21+i))
		lo := ""
		if dr {
			lo = l.vip + "/32"
			sysctl(t, ns, "net/ipv4/conf/all/arp_ignore", "1", "net/ipv4/conf/all/arp_announce", "2",
				"net/ipv4/conf/eth0/arp_ignore", "1", "net/ipv4/conf/eth0/arp_announce", "2")
		}
		h := nlHandle(t, ns)
		addrUp(t, h, "lo", lo)
		if !dr {
			defaultRoute(t, h, "198.51.100.1")
		}
		serveEcho(t, ns, fmt.Sprintf(":%d", syncdPort))
	}

	cfg, diags := config.Parse([]byte(syncdHCL(dr, l.vip)), "syncd.hcl")
	if diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	l.cfg = cfg
	// Both directors get the same table, as two lbhad with one config do.
	for _, ns := range l.dir {
		rec := ipvssync.NewReconciler(ipvssync.FromMoby(ipvstest.Handle(t, ns)), nil)
		h := ipvssync.Health{Real: map[ipvssync.RealKey]ipvssync.RealState{}}
		ipvssync.UpdateQuorum(cfg.VirtualServers, &h)
		if _, err := rec.Sync(ipvssync.Desired(cfg.VirtualServers, h)); err != nil {
			t.Fatalf("program director: %v", err)
		}
	}
	l.activeIdx = -1
	return l
}

// startSync starts both directors' syncd components (both BACKUP, as
// lbhad at start) and makes A MASTER through the VRRP callback.
func (l *syncdLab) startSync() {
	t := l.t
	for i, ns := range l.dir {
		path := ns.Path()
		c := daemon.NewSyncdComponent(nil, func() (daemon.SyncDaemonControl, error) { return ipvssync.OpenSyncDaemons(path) })
		if err := c.Apply(context.Background(), l.cfg); err != nil {
			t.Fatalf("syncd %c: %v", 'A'+i, err)
		}
		t.Cleanup(func() {
			if err := c.Stop(context.Background()); err != nil {
				t.Errorf("stop syncd: %v", err)
			}
		})
		l.syncd[i] = c
	}
	l.syncd[0].VRRPStateChange(vrrp.StateChange{Instance: "VI_1", From: vrrp.StateBackup, To: vrrp.StateMaster})
	l.logDaemons("after A became MASTER")
}

func (l *syncdLab) logDaemons(when string) {
	for i, c := range l.syncd {
		ds, err := c.Daemons()
		if err != nil {
			l.t.Fatalf("daemons of %c: %v", 'A'+i, err)
		}
		var b strings.Builder
		ipvssync.FormatDaemons(&b, ds)
		l.t.Logf("%s: director %c runs: %s", when, 'A'+i, strings.TrimSpace(b.String()))
	}
}

// activate puts the VIP (and in NAT mode the DIP) on director i, removes
// them from the other and makes the neighbours forget the old MAC, as the
// gratuitous ARP of a new VRRP master does.
func (l *syncdLab) activate(i int) {
	t := l.t
	if l.activeIdx >= 0 {
		h := nlHandle(t, l.dir[l.activeIdx])
		l.addrDel(h, l.vipDev, l.vipCIDR)
		if !l.dr {
			l.addrDel(h, "back", "198.51.100.1/24")
		}
	}
	h := nlHandle(t, l.dir[i])
	l.addrAdd(h, l.vipDev, l.vipCIDR)
	if !l.dr {
		l.addrAdd(h, "back", "198.51.100.1/24")
	}
	for _, ns := range append([]*netnstest.Netns{l.client}, l.rs...) {
		hn := nlHandle(t, ns)
		ns, err := hn.NeighList(0, unix.AF_INET)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if n.IP.String() == l.vip || n.IP.String() == "198.51.100.1" {
				hn.NeighDel(&n)
			}
		}
	}
	l.activeIdx = i
}

func (l *syncdLab) addrAdd(h *netlink.Handle, dev, cidr string) {
	lk, err := h.LinkByName(dev)
	if err != nil {
		l.t.Fatal(err)
	}
	a, _ := netlink.ParseAddr(cidr)
	if err := h.AddrAdd(lk, a); err != nil {
		l.t.Fatalf("add %s: %v", cidr, err)
	}
}

func (l *syncdLab) addrDel(h *netlink.Handle, dev, cidr string) {
	lk, err := h.LinkByName(dev)
	if err != nil {
		l.t.Fatal(err)
	}
	a, _ := netlink.ParseAddr(cidr)
	if err := h.AddrDel(lk, a); err != nil {
		l.t.Fatalf("del %s: %v", cidr, err)
	}
}

// serveEcho echoes every line back, on every connection, until cleanup.
func serveEcho(t *testing.T, ns *netnstest.Netns, addr string) {
	var ln net.Listener
	if err := ns.Run(func() (err error) {
		ln, err = net.Listen("tcp4", addr)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				io.Copy(c, c)
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
}

// echoConn is one long-lived client connection through the VIP.
type echoConn struct {
	c        net.Conn
	r        *bufio.Reader
	sent     int
	received int
}

func (l *syncdLab) dial(n int) []*echoConn {
	var out []*echoConn
	for i := 0; i < n; i++ {
		var c net.Conn
		err := l.client.Run(func() (err error) {
			c, err = net.DialTimeout("tcp4", net.JoinHostPort(l.vip, fmt.Sprint(syncdPort)), 5*time.Second)
			return err
		})
		if err != nil {
			l.t.Fatalf("dial %d: %v", i, err)
		}
		l.t.Cleanup(func() { c.Close() })
		out = append(out, &echoConn{c: c, r: bufio.NewReader(c)})
	}
	return out
}

// ping sends one line on every connection at once and waits for its echo;
// it returns how many connections answered and the first errors seen.
func ping(conns []*echoConn, round int, timeout time.Duration) (ok int, errs []string) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, ec := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := fmt.Sprintf("conn %d round %d %s\n", i, round, strings.Repeat("x", 200))
			ec.c.SetDeadline(time.Now().Add(timeout))
			_, err := io.WriteString(ec.c, msg)
			var got string
			if err == nil {
				got, err = ec.r.ReadString('\n')
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, fmt.Sprintf("conn %d: %v", i, err))
			case got != msg:
				errs = append(errs, fmt.Sprintf("conn %d: echo %q", i, got))
			default:
				ec.sent += len(msg)
				ec.received += len(got)
				ok++
			}
		}()
	}
	wg.Wait()
	return ok, errs
}

// ipvsConns counts the entries of `ipvsadm -Lnc` in ns to the VIP's
// port in state ESTABLISHED.
func ipvsConns(t *testing.T, ns *netnstest.Netns) (int, string) {
	out, err := ipvstest.Ipvsadm(ns, "-Lnc")
	if err != nil {
		t.Fatalf("ipvsadm -Lnc: %v: %s", err, out)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "ESTABLISHED") && strings.Contains(line, fmt.Sprintf("%s:%d", "", syncdPort)) {
			n++
		}
	}
	return n, string(out)
}

// failover runs the whole story with or without the sync daemon and
// returns how many of n connections survived the move from A to B.
func syncdFailover(t *testing.T, dr, withSync bool) (kept, n int) {
	n = 8
	l := newSyncdLab(t, dr)
	if withSync {
		l.startSync()
	}
	l.activate(0)
	conns := l.dial(n)
	for r := 0; r < 5; r++ {
		if ok, errs := ping(conns, r, 5*time.Second); ok != n {
			t.Fatalf("before failover, round %d: %d/%d answered: %v", r, ok, n, errs)
		}
	}
	if withSync {
		// The master thread sends its buffer when full or every ~1-2 s.
		deadline := time.Now().Add(15 * time.Second)
		for {
			got, out := ipvsConns(t, l.dir[1])
			if got >= n {
				t.Logf("B learned %d connections from A's sync daemon", got)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("B's table never got the %d connections (has %d):\n%s", n, got, out)
			}
			time.Sleep(200 * time.Millisecond)
		}
	} else if got, out := ipvsConns(t, l.dir[1]); got != 0 {
		t.Fatalf("without sync, B has %d connections:\n%s", got, out)
	}

	// Fail over: B takes the addresses and, through VRRP's callback, the
	// master sync role; A steps down to backup.
	l.activate(1)
	if withSync {
		t0 := time.Now()
		l.syncd[0].VRRPStateChange(vrrp.StateChange{Instance: "VI_1", From: vrrp.StateMaster, To: vrrp.StateBackup})
		t1 := time.Now()
		l.syncd[1].VRRPStateChange(vrrp.StateChange{Instance: "VI_1", From: vrrp.StateBackup, To: vrrp.StateMaster})
		t.Logf("RESULT role swap: A master->backup %v, B backup->master %v (list, stop, start over netlink)",
			t1.Sub(t0).Round(time.Microsecond), time.Since(t1).Round(time.Microsecond))
		l.logDaemons("after failover")
	}
	timeout := 5 * time.Second
	if !withSync {
		timeout = 3 * time.Second
	}
	kept, errs := ping(conns, 100, timeout)
	if len(errs) > 0 {
		t.Logf("after failover: %d/%d answered; errors: %s", kept, n, strings.Join(errs, "; "))
	}
	if kept == n {
		for r := 101; r < 104; r++ {
			if ok, errs := ping(conns, r, timeout); ok != n {
				t.Fatalf("after failover, round %d: %d/%d answered: %v", r, ok, n, errs)
			}
		}
		got, out := ipvsConns(t, l.dir[1])
		if got < n {
			t.Errorf("B lists %d established connections, want %d:\n%s", got, n, out)
		} else {
			t.Logf("ipvsadm -Lnc on B after failover:\n%s", out)
		}
		var sent, recv int
		for _, ec := range conns {
			sent, recv = sent+ec.sent, recv+ec.received
		}
		t.Logf("bytes sent %d, echoed back %d over %d connections", sent, recv, n)
	}
	return kept, n
}

func TestSyncdFailover(t *testing.T) {
	for _, mode := range []struct {
		name string
		dr   bool
	}{{"NAT", false}, {"DR", true}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Run("with sync", func(t *testing.T) {
				kept, n := syncdFailover(t, mode.dr, true)
				t.Logf("RESULT %s with sync: %d/%d connections kept across failover", mode.name, kept, n)
				if kept != n {
					t.Errorf("with the sync daemon, %d of %d connections survived the failover", kept, n)
				}
			})
			t.Run("without sync", func(t *testing.T) {
				kept, n := syncdFailover(t, mode.dr, false)
				t.Logf("RESULT %s without sync: %d/%d connections kept across failover", mode.name, kept, n)
				if kept != 0 {
					t.Errorf("without the sync daemon %d of %d connections survived: the test does not show what sync does", kept, n)
				}
			})
		})
	}
}

// TestSyncdTraffic measures the sync multicast A sends for 1,000 new
// short connections (open, one echo, close) through the VIP, read from
// the counters of the dedicated sync link.
func TestSyncdTraffic(t *testing.T) {
	l := newSyncdLab(t, false)
	l.startSync()
	l.activate(0)
	h := nlHandle(t, l.dir[0])
	stats := func() (bytes, pkts uint64) {
		lk, err := h.LinkByName("sync")
		if err != nil {
			t.Fatal(err)
		}
		s := lk.Attrs().Statistics
		return s.TxBytes, s.TxPackets
	}
	time.Sleep(2500 * time.Millisecond) // let joins and the idle flush settle
	b0, p0 := stats()
	const n = 1000
	t0 := time.Now()
	for i := 0; i < n; i++ {
		conns := l.dial(1)
		if ok, errs := ping(conns, i, 5*time.Second); ok != 1 {
			t.Fatalf("connection %d: %v", i, errs)
		}
		conns[0].c.Close()
	}
	d := time.Since(t0)
	time.Sleep(3 * time.Second) // the master thread flushes its last buffer
	b1, p1 := stats()
	got, _ := ipvsConns(t, l.dir[1])
	out, _ := ipvstest.Ipvsadm(l.dir[1], "-Lnc")
	total := strings.Count(string(out), "\n") - 2
	t.Logf("RESULT sync traffic for %d new connections in %v: %d bytes in %d packets on A's sync link (%.1f bytes/connection); B holds %d entries (%d ESTABLISHED)",
		n, d.Round(time.Millisecond), b1-b0, p1-p0, float64(b1-b0)/n, total, got)
	if b1 == b0 {
		t.Error("no sync traffic at all")
	}
	if total < n {
		t.Errorf("B holds %d entries, want at least %d", total, n)
	}
}
