//go:build ipvsguest && linux

package ipvsguest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/ipvstest"
	"github.com/lbhad/lbhad/internal/netnstest"
	"github.com/lbhad/lbhad/ipvssync"
)

// TestMigrationKnobs proves in the guest kernel the IPVS keywords that
// keepalived configurations carry over (issue 16): tunnel types,
// sorry_server_inhibit and sorry_server_lvs_method at the reconciler,
// then alpha, omega, the sorry server and IPIP traffic with the real
// daemon.
func TestMigrationKnobs(t *testing.T) {
	t.Run("tunnel_table", testTunnelTable)
	t.Run("daemon", testKnobsDaemon)
}

const tunnelTableHCL = `
virtual_server "tun" {
  address                 = "192.0.2.50:80"
  lb_algo                 = "rr"
  lb_kind                 = "TUN"
  tun_type                = "gue"
  tun_port                = 6080
  tun_flags               = "csum"
  sorry_server            = "127.0.0.1:80"
  sorry_server_inhibit    = true
  sorry_server_lvs_method = "NAT"
  real_server "gue" {
    address = "198.51.100.10:80"
  }
  real_server "gre" {
    address   = "198.51.100.11:80"
    tun_type  = "gre"
    tun_flags = "csum"
  }
  real_server "ipip" {
    address = "198.51.100.12:80"
    lb_kind = "TUN"
  }
  real_server "remcsum" {
    address   = "198.51.100.13:80"
    tun_type  = "gue"
    tun_port  = 7000
    tun_flags = "remcsum"
  }
}

virtual_server "v6" {
  address  = "[2001:db8::50]:443"
  lb_kind  = "TUN"
  tun_type = "gre"
  real_server "a" {
    address = "[2001:db8:1::10]:443"
  }
}
`

// tunInfo checks `ipvsadm -Ln --tun-info`, a reader independent of
// lbhad's netlink code: each destination has the tunnel column and weight
// given, e.g. "198.51.100.10:80" -> "Tunnel gue:6080:+c 1". ipvsadm 1.31
// abbreviates the checksum options: nocsum "-c", csum "+c", remcsum "r+c";
// a destination that is no tunnel shows "n/a".
func tunInfo(t *testing.T, ns *netnstest.Netns, want map[string]string) {
	t.Helper()
	out, err := ipvstest.Ipvsadm(ns, "-Ln", "--tun-info")
	if err != nil {
		t.Fatal(err)
	}
	for dest, cols := range want {
		re := regexp.MustCompile(`(?m)^  -> ` + regexp.QuoteMeta(dest) + ` +` + strings.ReplaceAll(regexp.QuoteMeta(cols), " ", " +") + ` `)
		if !re.Match(out) {
			t.Errorf("ipvsadm -Ln --tun-info has no %s with %q:\n%s", dest, cols, out)
		}
	}
}

func testTunnelTable(t *testing.T) {
	ns := syncNS(t)
	h, err := ipvssync.OpenAt(ns.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	cfg, diags := config.Parse([]byte(tunnelTableHCL), "tun.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	vss := cfg.VirtualServers
	r := ipvssync.NewReconciler(h, nil)
	hl := ipvssync.Health{Real: map[ipvssync.RealKey]ipvssync.RealState{}}
	step := func(name string, wantWrites int) ipvssync.Table {
		t.Helper()
		ipvssync.UpdateQuorum(vss, &hl)
		want := ipvssync.Desired(vss, hl)
		n, err := r.Sync(want)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n != wantWrites {
			t.Errorf("%s: wrote %d, want %d", name, n, wantWrites)
		}
		got, err := ipvssync.Read(h)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, stripObserved(got), syncAddrCmp); diff != "" {
			t.Errorf("%s: kernel table read back (-want +got):\n%s", name, diff)
		}
		return want
	}
	want := step("start", 2+5+1) // two services, five real servers, the idle sorry server
	tunInfo(t, ns, map[string]string{
		"198.51.100.10:80":     "Tunnel gue:6080:+c 1",
		"198.51.100.11:80":     "Tunnel gre:+c 1",
		"198.51.100.12:80":     "Tunnel ipip 1",
		"198.51.100.13:80":     "Tunnel gue:7000:r+c 1",
		"[2001:db8:1::10]:443": "Tunnel gre:-c 1",
		// sorry_server_inhibit: in the table at weight 0, by its own method.
		"127.0.0.1:80": "Masq n/a 0",
	})
	// The tunnel attributes read back equal what was written: a second
	// sync finds nothing to do.
	if n, err := r.Sync(want); n != 0 || err != nil {
		t.Errorf("unchanged sync wrote %d, %v; want 0", n, err)
	}
	// lbhad ipvs save's output restores the tunnels with ipvsadm -R.
	got, err := ipvssync.Read(h)
	if err != nil {
		t.Fatal(err)
	}
	var save bytes.Buffer
	if err := ipvssync.FormatSave(&save, got); err != nil {
		t.Fatal(err)
	}
	ns2 := syncNS(t)
	if err := ns2.Run(func() error {
		cmd := execIpvsadm("-R")
		cmd.Stdin = bytes.NewReader(save.Bytes())
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("ipvsadm -R: %w: %s\ninput:\n%s", err, out, save.String())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h2, err := ipvssync.OpenAt(ns2.Path())
	if err != nil {
		t.Fatal(err)
	}
	restored, err := ipvssync.Read(h2)
	h2.Close()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, stripObserved(restored), syncAddrCmp); diff != "" {
		t.Errorf("table restored by ipvsadm -R from FormatSave (-want +got):\n%s", diff)
	}

	// A change of tunnel type alone is seen and written.
	vss[0].RealServers[1].Tunnel = config.Tunnel{}
	step("gre becomes ipip", 1)
	tunInfo(t, ns, map[string]string{"198.51.100.11:80": "Tunnel ipip 1"})

	// Quorum lost: the sorry server takes the traffic at weight 1; back,
	// it returns to weight 0 instead of leaving.
	for _, rs := range vss[0].RealServers {
		hl.Real[ipvssync.RealKeyOf(vss[0], rs)] = ipvssync.RealState{Alive: false}
	}
	step("all real servers down", 4+1) // four deletes, the sorry server's weight
	tunInfo(t, ns, map[string]string{"127.0.0.1:80": "Masq n/a 1"})
	for _, rs := range vss[0].RealServers {
		hl.Real[ipvssync.RealKeyOf(vss[0], rs)] = ipvssync.RealState{Alive: true}
	}
	step("real servers back", 4+1)
	tunInfo(t, ns, map[string]string{"127.0.0.1:80": "Masq n/a 0", "198.51.100.10:80": "Tunnel gue:6080:+c 1"})
	if n, err := r.Stop(false); n != 2 || err != nil {
		t.Errorf("Stop = %d, %v; want 2 services removed", n, err)
	}
}

// knobsLab is a director running lbhad in front of two TUN real servers:
//
//	client 192.0.2.2 --veth-- 192.0.2.1 director (VIP 203.0.113.10 on vip0)
//	director br0 198.51.100.1 --veth-- rs1 198.51.100.11, rs2 198.51.100.12
//
// The real servers hold the VIP on lo and decapsulate IPIP on tunl0;
// 198.51.100.50 is a dead server (no host answers ARP for it) and
// 198.51.100.99 a sorry server that never takes traffic here.
const (
	knobsVIP        = "203.0.113.10"
	knobsDead       = "198.51.100.50"
	knobsSuspendVIP = "203.0.113.20" // ha_suspend: not on the director at first
)

func knobsConfig(dir string) string {
	return fmt.Sprintf(`global {
  router_id      = "knobs"
  control_socket = "/run/lbhad-knobs.sock"
}

virtual_server "tun" {
  address                 = "%[2]s:80"
  lb_algo                 = "rr"
  lb_kind                 = "TUN"
  alpha                   = true
  omega                   = true
  quorum_down             = "/bin/touch %[1]s/tun_quorum_down"
  sorry_server            = "198.51.100.99:80"
  sorry_server_inhibit    = true
  sorry_server_lvs_method = "DR"
  real_server "rs1" {
    address     = "198.51.100.11:80"
    notify_down = "/bin/touch %[1]s/rs1_down"
    tcp_check {
      delay_loop      = 0.5
      connect_timeout = 1
    }
  }
  real_server "rs2" {
    address = "198.51.100.12:80"
    tcp_check {
      delay_loop      = 0.5
      connect_timeout = 1
    }
  }
  real_server "dead" {
    address = "%[3]s:80"
    tcp_check {
      delay_loop      = 0.5
      connect_timeout = 2
    }
  }
}

# The same dead server without alpha: it is in the table from the start
# until its first check fails, which shows the poller can see it.
virtual_server "control" {
  address = "%[2]s:81"
  lb_kind = "TUN"
  real_server "dead" {
    address = "%[3]s:81"
    tcp_check {
      delay_loop      = 0.5
      connect_timeout = 2
    }
  }
}

# Tunnel types through the daemon; no omega, so its quorum_down must not
# run on stop.
virtual_server "gue" {
  address     = "%[2]s:82"
  lb_kind     = "TUN"
  tun_type    = "gue"
  tun_port    = 6080
  tun_flags   = "csum"
  quorum_down = "/bin/touch %[1]s/gue_quorum_down"
  real_server "rs1" {
    address = "198.51.100.11:82"
  }
  real_server "rs2" {
    address  = "198.51.100.12:82"
    tun_type = "gre"
  }
}

# ha_suspend with alpha: while 203.0.113.20 is not on the director the
# check does not run, so the real server stays out; once the address is
# added the check runs at once, not a minute later.
virtual_server "suspended" {
  address    = "%[4]s:80"
  lb_kind    = "TUN"
  alpha      = true
  ha_suspend = true
  real_server "rs1" {
    address = "198.51.100.11:80"
    tcp_check {
      delay_loop      = 60
      connect_timeout = 1
    }
  }
}
`, dir, knobsVIP, knobsDead, knobsSuspendVIP)
}

// tablePoller samples the director's IPVS table every few milliseconds
// and remembers which destinations it ever saw, per service port.
type tablePoller struct {
	mu   sync.Mutex
	seen map[string]bool // "service dest", e.g. "203.0.113.10:80 198.51.100.50:80"
	cur  map[string]bool
	stop chan struct{}
	done chan struct{}
}

func pollTable(t *testing.T, ns *netnstest.Netns) *tablePoller {
	h, err := ipvssync.OpenAt(ns.Path())
	if err != nil {
		t.Fatal(err)
	}
	p := &tablePoller{seen: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		defer h.Close()
		for {
			select {
			case <-p.stop:
				return
			default:
			}
			if tab, err := ipvssync.Read(h); err == nil {
				cur := map[string]bool{}
				for k, e := range tab {
					for dk, d := range e.Dests {
						if d.Weight > 0 {
							cur[netip.AddrPortFrom(k.Addr, k.Port).String()+" "+dk.String()] = true
						}
					}
				}
				p.mu.Lock()
				p.cur = cur
				for s := range cur {
					p.seen[s] = true
				}
				p.mu.Unlock()
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *tablePoller) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
}

// reset forgets what was seen.
func (p *tablePoller) reset() {
	p.mu.Lock()
	p.seen = map[string]bool{}
	p.mu.Unlock()
}

func (p *tablePoller) saw(s string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[s]
}

func (p *tablePoller) has(s string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur[s]
}

func (p *tablePoller) waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			p.mu.Lock()
			t.Fatalf("%s: not within %v; table now %v", what, within, p.cur)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testKnobsDaemon(t *testing.T) {
	bin := e2eBinary(t)
	if out, err := exec.Command("modprobe", "ipip").CombinedOutput(); err != nil {
		t.Fatalf("modprobe ipip: %v: %s", err, out)
	}
	client, director := netnstest.NewNetns(t), netnstest.NewNetns(t)
	rs := []*netnstest.Netns{netnstest.NewNetns(t), netnstest.NewNetns(t)}
	rsIP := []string{"198.51.100.11", "198.51.100.12"}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	sysctl := func(ns *netnstest.Netns, kv ...string) {
		t.Helper()
		must("sysctl", ns.Run(func() error {
			for i := 0; i < len(kv); i += 2 {
				if err := os.WriteFile("/proc/sys/net/ipv4/"+kv[i], []byte(kv[i+1]+"\n"), 0o644); err != nil {
					return err
				}
			}
			return nil
		}))
	}

	hd, err := netlink.NewHandleAt(director.Handle(), unix.NETLINK_ROUTE)
	must("director handle", err)
	defer hd.Close()
	must("veth to client", hd.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "to-client"}, PeerName: "eth0", PeerNamespace: netlink.NsFd(client.FD())}))
	must("bridge", hd.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}))
	must("dummy", hd.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "vip0"}}))
	br, err := hd.LinkByName("br0")
	must("br0", err)
	for i, ns := range rs {
		must("veth to rs", hd.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("to-rs%d", i+1), MasterIndex: br.Attrs().Index}, PeerName: "eth0", PeerNamespace: netlink.NsFd(ns.FD())}))
	}
	addrUp(t, hd, "to-client", "192.0.2.1/24")
	addrUp(t, hd, "br0", "198.51.100.1/24")
	addrUp(t, hd, "vip0", knobsVIP+"/32")
	addrUp(t, hd, "to-rs1", "")
	addrUp(t, hd, "to-rs2", "")
	addrUp(t, hd, "lo", "")
	// The real servers answer from the VIP, which is also the director's:
	// accept_local lets the director forward those replies to the client.
	sysctl(director, "ip_forward", "1", "conf/all/accept_local", "1", "conf/br0/accept_local", "1",
		"conf/all/rp_filter", "0", "conf/br0/rp_filter", "0")

	hc, err := netlink.NewHandleAt(client.Handle(), unix.NETLINK_ROUTE)
	must("client handle", err)
	defer hc.Close()
	addrUp(t, hc, "eth0", "192.0.2.2/24")
	addrUp(t, hc, "lo", "")
	defaultRoute(t, hc, "192.0.2.1")

	for i, ns := range rs {
		h, err := netlink.NewHandleAt(ns.Handle(), unix.NETLINK_ROUTE)
		must("rs handle", err)
		addrUp(t, h, "eth0", rsIP[i]+"/24")
		addrUp(t, h, "lo", knobsVIP+"/32")
		addrUp(t, h, "tunl0", "")
		defaultRoute(t, h, "198.51.100.1")
		h.Close()
		sysctl(ns, "conf/all/rp_filter", "0", "conf/tunl0/rp_filter", "0", "conf/eth0/rp_filter", "0")
		s := &e2eServer{name: fmt.Sprintf("rs%d", i+1), ns: ns, port: 80, ip: rsIP[i]}
		s.start(t)
		t.Cleanup(func() { s.stop(t) })
	}

	dir := t.TempDir()
	d := &e2eDirector{name: "knobs", kind: "lbhad", ns: director, cfg: filepath.Join(dir, "lbhad.hcl"), logDir: dir}
	must("write config", os.WriteFile(d.cfg, []byte(knobsConfig(dir)), 0o644))
	t.Cleanup(d.kill)
	poll := pollTable(t, director)

	// alpha: from the start, the dead server never enters the table,
	// while the live ones do once their first check passes; without
	// alpha the same dead server is there until its check fails.
	svc := func(port int) string { return fmt.Sprintf("%s:%d ", knobsVIP, port) }
	dead80, dead81 := svc(80)+knobsDead+":80", svc(81)+knobsDead+":81"
	rs1, rs2 := svc(80)+"198.51.100.11:80", svc(80)+"198.51.100.12:80"
	suspendedRS := knobsSuspendVIP + ":80 198.51.100.11:80"
	start := time.Now()
	d.start(t, bin)
	poll.waitFor(t, "control's dead server in the table (no alpha)", 10*time.Second, func() bool { return poll.saw(dead81) })
	poll.waitFor(t, "rs1 and rs2 in after their checks", 20*time.Second, func() bool { return poll.has(rs1) && poll.has(rs2) })
	poll.waitFor(t, "control's dead server out after its check", 20*time.Second, func() bool { return !poll.has(dead81) })
	t.Logf("start: live servers in and the unchecked dead one out within %v", time.Since(start).Round(time.Millisecond))
	if poll.saw(dead80) {
		t.Error("alpha: the dead real server was in the table after start")
	}

	// ha_suspend: by now rs1 passed checks elsewhere, but not in the
	// suspended virtual server, whose check has not run.
	if poll.saw(suspendedRS) {
		t.Error("ha_suspend: the check ran (its real server entered) without the address on the host")
	}
	added := time.Now()
	addrUp(t, hd, "vip0", knobsSuspendVIP+"/32")
	poll.waitFor(t, "ha_suspend: the real server enters once the address is here", 10*time.Second, func() bool { return poll.has(suspendedRS) })
	t.Logf("ha_suspend: real server in %v after the address was added (delay_loop 60s)", time.Since(added).Round(time.Millisecond))

	// Tunnel types and the idle sorry server, through the daemon.
	tunInfo(t, director, map[string]string{
		"198.51.100.11:82": "Tunnel gue:6080:+c 1",
		"198.51.100.12:82": "Tunnel gre:-c 1",
		"198.51.100.11:80": "Tunnel ipip 1",
		"198.51.100.99:80": "Route n/a 0",
	})

	// Traffic through the IPIP tunnels reaches both live real servers.
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var conn net.Conn
			err := client.Run(func() (err error) {
				conn, err = (&net.Dialer{}).DialContext(ctx, network, addr)
				return err
			})
			return conn, err
		},
	}}
	hits := map[string]int{}
	for i := 0; i < 20; i++ {
		resp, err := c.Get("http://" + knobsVIP + "/")
		if err != nil {
			t.Fatalf("request %d through the IPIP tunnel: %v (hits %v)", i, err, hits)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		must("read body", err)
		hits[string(b)]++
	}
	t.Logf("hits through IPIP: %v", hits)
	if hits["rs1"] == 0 || hits["rs2"] == 0 {
		t.Errorf("hits = %v, want both real servers", hits)
	}

	// alpha across a reload: the dead server stays out.
	poll.reset()
	since := time.Now()
	d.signal(t, syscall.SIGHUP)
	d.waitLog(t, `^reloaded$`, since, 20*time.Second)
	time.Sleep(3 * time.Second) // two check intervals and the dead server's connect timeout
	if poll.saw(dead80) {
		t.Error("alpha: the dead real server was in the table after a reload")
	}
	t.Logf("reload: rs1 stayed %v, rs2 stayed %v", poll.has(rs1), poll.has(rs2))

	// omega: on stop, the down scripts of what was up run; without omega
	// they do not.
	d.signal(t, syscall.SIGTERM)
	if err := d.wait(t, 30*time.Second); err != nil {
		t.Errorf("lbhad exit: %v", err)
	}
	for _, f := range []string{"tun_quorum_down", "rs1_down"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("omega: %s did not run on stop: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "gue_quorum_down")); err == nil {
		t.Error("quorum_down of the virtual server without omega ran on stop")
	}
}
