//go:build integration

package integration

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// TestRealserverDR runs "lbhad realserver" in a real-server namespace
// wired to a client namespace by a veth, and checks what matters on the
// wire, not only the settings: after "on" the real server accepts
// connections to the VIP that arrive with its MAC (as a DR director
// forwards them) yet answers no ARP for the VIP (a client that ARPs for
// it gets nothing: the LAN keeps sending the VIP to the director).
// Then: "on" again changes nothing, "status --vip" says in place (exit
// 0), "off" removes the VIP and restores the ARP defaults, status exits
// 1, and "apply" re-creates the VIP from a list written by --persist.
// TUN is not covered here: this host's kernel has no ipip (tunl0); the
// planner's TUN steps are unit-tested in internal/realserver.
func TestRealserverDR(t *testing.T) {
	bin := lbhadBin(t)
	const vip = "192.0.2.50"
	rs := netnstest.NewNetns(t)
	lbhad := func(wantOK bool, args ...string) string {
		t.Helper()
		var out []byte
		var err error
		if rerr := rs.Run(func() error {
			out, err = exec.Command(bin, append([]string{"realserver"}, args...)...).CombinedOutput()
			return nil
		}); rerr != nil {
			t.Fatal(rerr)
		}
		if (err == nil) != wantOK {
			t.Fatalf("lbhad realserver %s: err %v (want ok=%v)\n%s", strings.Join(args, " "), err, wantOK, out)
		}
		return string(out)
	}
	sysctl := func(dev, name string) string {
		t.Helper()
		var b []byte
		if err := rs.Run(func() (err error) {
			b, err = os.ReadFile("/proc/sys/net/ipv4/conf/" + dev + "/" + name)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	onLo := func() bool {
		t.Helper()
		var found bool
		if err := rs.Run(func() error {
			lo, err := netlink.LinkByName("lo")
			if err != nil {
				return err
			}
			addrs, err := netlink.AddrList(lo, netlink.FAMILY_V4)
			for _, a := range addrs {
				found = found || a.IPNet.String() == vip+"/32"
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return found
	}
	wantARP := func(ignore, announce string) {
		t.Helper()
		for _, dev := range []string{"all", "eth0"} {
			if g1, g2 := sysctl(dev, "arp_ignore"), sysctl(dev, "arp_announce"); g1 != ignore || g2 != announce {
				t.Errorf("%s: arp_ignore=%s arp_announce=%s, want %s/%s", dev, g1, g2, ignore, announce)
			}
		}
	}

	netnstest.InNewNetns(t, func() { // this thread: the client
		netnstest.Veth(t, netnstest.End{Name: "c0", Addr: netip.MustParsePrefix("192.0.2.2/24")},
			netnstest.End{Name: "eth0", Addr: netip.MustParsePrefix("192.0.2.21/24"), NS: rs})
		var rsMAC net.HardwareAddr
		var ln net.Listener
		if err := rs.Run(func() error {
			l, err := netlink.LinkByName("eth0")
			if err != nil {
				return err
			}
			rsMAC = l.Attrs().HardwareAddr
			ln, err = net.Listen("tcp4", ":8080")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()

		out := lbhad(true, "on", "--vip", vip, "--mode", "dr")
		if !onLo() {
			t.Fatalf("VIP not on lo after on:\n%s", out)
		}
		wantARP("1", "2")

		// No ARP answer for the VIP: the client's connect fails and its
		// neighbour entry never resolves.
		if c, err := net.DialTimeout("tcp4", vip+":8080", 1500*time.Millisecond); err == nil {
			c.Close()
			t.Error("the real server answered ARP for the VIP (a client reached it without the director)")
		}
		// Forwarded as a DR director does (the VIP to the real server's
		// MAC), the VIP is accepted as local.
		c0, err := netlink.LinkByName("c0")
		if err != nil {
			t.Fatal(err)
		}
		if err := netlink.NeighSet(&netlink.Neigh{LinkIndex: c0.Attrs().Index, State: netlink.NUD_PERMANENT,
			IP: net.ParseIP(vip), HardwareAddr: rsMAC}); err != nil {
			t.Fatal(err)
		}
		c, err := net.DialTimeout("tcp4", vip+":8080", 5*time.Second)
		if err != nil {
			t.Fatalf("the real server refused the VIP forwarded to its MAC: %v", err)
		}
		c.Close()

		if out := lbhad(true, "on", "--vip", vip); !strings.Contains(out, "already in place") {
			t.Errorf("second on changed something:\n%s", out)
		}
		if out := lbhad(true, "status", "--vip", vip); !strings.Contains(out, "in place") || !strings.Contains(out, vip) {
			t.Errorf("status after on:\n%s", out)
		}

		lbhad(true, "off", "--vip", vip)
		if onLo() {
			t.Error("VIP still on lo after off")
		}
		wantARP("0", "0")
		if out := lbhad(false, "status", "--vip", vip); !strings.Contains(out, "missing") {
			t.Errorf("status after off does not list what is missing:\n%s", out)
		}

		// --persist writes the list; apply (the boot unit) restores it.
		root := t.TempDir()
		lbhad(true, "on", "--vip", vip, "--persist", "--root", root)
		lbhad(true, "off", "--vip", vip)
		if b, err := os.ReadFile(filepath.Join(root, "etc/lbhad/realserver.conf")); err != nil || !strings.Contains(string(b), "dr "+vip) {
			t.Fatalf("persisted list: %v\n%s", err, b)
		}
		if _, err := os.Stat(filepath.Join(root, "etc/sysctl.d/90-lbhad-realserver.conf")); err != nil {
			t.Errorf("no sysctl.d file: %v", err)
		}
		lbhad(true, "apply", "--root", root)
		if !onLo() {
			t.Error("apply did not restore the persisted VIP")
		}
		wantARP("1", "2")
		lbhad(true, "off", "--vip", vip, "--persist", "--root", root)
		if _, err := os.Stat(filepath.Join(root, "etc/lbhad/realserver.conf")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("off --persist left the list: %v", err)
		}
	})
}
