//go:build integration

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// A dual-stack director pair (issue 15): one VRRPv3 IPv4 instance (VRID
// 51, the lab's VIP) and one VRRPv3 IPv6 instance (VRID 61) in a sync
// group, so the two VIPs always move together. One set of namespaces
// serves every case: at advert_int 0.1 a track_script failure on the
// IPv4 instance, a tracked interface going down on both instances,
// SIGKILL, preempt back and SIGTERM; then the same pair at advert_int 1
// (election, SIGKILL, preempt back, SIGTERM).

// trackDev is the tracked interface, one end of a veth pair inside d1's
// namespace (the host kernel has no dummy interfaces).
const trackDev = "trk0"

type dual struct {
	b6 *bed6
	ok string // d1's script passes while this file exists
}

// start runs lbhad on n with the dual-stack sync group at advert.
func (d *dual) start(n *lab.Node, prio int, advert string) *dir6 {
	b := d.b6
	b.t.Helper()
	name := b.name(n.Name + "-dual")
	sock := filepath.Join(lab.StateDir, fmt.Sprintf("%s-%s.sock", b.l.ID, name))
	script, track4, track := "", "", ""
	if n == b.l.D1 {
		script = fmt.Sprintf("vrrp_script \"chk\" {\n  script   = \"/bin/test -f %s\"\n  interval = 1\n  weight   = 0\n  fall     = 1\n  rise     = 1\n}\n", d.ok)
		track4 = "  track_script \"chk\" {}\n"
		track = fmt.Sprintf("  track_interface = [%q]\n", trackDev)
	}
	conf := fmt.Sprintf(`global {
  router_id      = %q
  control_socket = %q
  state_file     = %q
  vrrp_version   = 3
}
%s
vrrp_instance "V4" {
  interface         = %q
  virtual_router_id = %d
  priority          = %d
  advert_int        = %s
  virtual_ipaddress = ["%s/24"]
%s%s}

vrrp_instance "V6" {
  interface         = %q
  virtual_router_id = %d
  priority          = %d
  advert_int        = %s
  virtual_ipaddress = [%q]
%s}

vrrp_sync_group "DUAL" {
  group = ["V4", "V6"]
}
`, n.Name, sock, strings.TrimSuffix(sock, ".sock")+".state.json", script,
		n.Dev, vrid, prio, advert, lab.VIP, track4, track,
		n.Dev, vrid6, prio, advert, e2eVIP6.String(), track)
	return b.runLBHAD(n, name, conf)
}

// owners4 names the nodes holding the IPv4 VIP.
func (d *dual) owners4() []string {
	var names []string
	for _, n := range d.b6.l.Owners(lab.VIP) {
		names = append(names, n.Name)
	}
	return names
}

// waitBoth waits until n alone holds both VIPs, and keeps them for
// settle: the sync group never leaves them split.
func (d *dual) waitBoth(n *lab.Node, timeout, settle time.Duration, why string) time.Time {
	b := d.b6
	b.t.Helper()
	only := func() bool {
		o4, o6 := d.owners4(), b.owners()
		return len(o4) == 1 && o4[0] == n.Name && len(o6) == 1 && o6[0] == n.Name
	}
	if !lab.Eventually(timeout, only) {
		b.t.Fatalf("%s: want both VIPs on %s only within %v; IPv4 on %v, IPv6 on %v\n%s", why, n.Name, timeout, d.owners4(), b.owners(), b.logs())
	}
	at := time.Now()
	for end := at.Add(settle); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if !only() {
			b.t.Fatalf("%s: VIPs split or moved within %v of settling on %s: IPv4 on %v, IPv6 on %v\n%s", why, settle, n.Name, d.owners4(), b.owners(), b.logs())
		}
	}
	return at
}

// crash kills dr with SIGKILL and removes both VIPs, as the host's death
// would.
func (d *dual) crash(dr *dir6) {
	d.b6.crash(dr) // removes the IPv6 VIP
	d.b6.l.IP(dr.node.NS, "addr", "del", lab.VIP.String()+"/24", "dev", dr.node.Dev)
}

func TestVRRPv3DualStackSyncGroup(t *testing.T) {
	b := newBed6(t)
	d := &dual{b6: b, ok: filepath.Join(b.l.Dir, "d1-ok")}
	if err := os.WriteFile(d.ok, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b.l.IP(b.l.D1.NS, "link", "add", trackDev, "type", "veth", "peer", "name", "trk1"); err != nil {
		t.Fatal(err)
	}
	for _, dev := range []string{trackDev, "trk1"} {
		if err := b.l.IP(b.l.D1.NS, "link", "set", dev, "up"); err != nil {
			t.Fatal(err)
		}
	}
	fast := 10 * time.Second // bound on a move at advert_int 0.1 (script interval 1 s)

	t.Run("advert_0.1", func(t *testing.T) {
		b.t = t
		t.Cleanup(b.stopAll)
		// d2 starts once d1 holds both VIPs. Started in the same
		// instant, d1 (which also starts its script and watches trk0)
		// reaches Backup some 20-50 ms after d2, so d2's
		// Master_Down_Interval (361 ms) ends within a few ms of d1's
		// (341 ms): d2 was master for a moment in 3 of 25 such starts
		// here, and in one CI run just after d1 had taken both VIPs,
		// which failed the settle check below. That is the protocol
		// resolving two timers that expired together, not a fault; the
		// ordered start keeps this election deterministic, as in
		// TestVRRPv3IPv6Pair's unicast case.
		d1 := d.start(b.l.D1, 150, "0.1")
		d.waitBoth(b.l.D1, fast, 0, "d1 alone")
		d.start(b.l.D2, 100, "0.1")
		d.waitBoth(b.l.D1, fast, 500*time.Millisecond, "election")
		b.clientReaches(b.l.D1, false, "after the election")

		// track_script on V4 only, weight 0 (keepalived's default for
		// a sync group member, whose own weights it ignores): V4 goes
		// to FAULT and the group takes V6 along. A weight here would
		// put V4 below d2 while V6 still outranks d2: the group then
		// stays where it is (vrrp's groupHoldsLocked) instead of
		// flapping, so a weight cannot move it.
		if err := os.Remove(d.ok); err != nil {
			t.Fatal(err)
		}
		at := time.Now()
		d.waitBoth(b.l.D2, fast, 300*time.Millisecond, "d1's V4 script failing")
		t.Logf("script failing on V4: both VIPs on d2 after %v", time.Since(at).Round(10*time.Millisecond))
		b.clientReaches(b.l.D2, true, "after the script failure")
		if err := os.WriteFile(d.ok, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		d.waitBoth(b.l.D1, fast, 300*time.Millisecond, "d1's script passing again")
		b.clientReaches(b.l.D1, true, "script passing again")

		// track_interface on both instances (IPv4 and IPv6): down
		// puts d1 in FAULT, up lets it preempt back.
		if err := b.l.IP(b.l.D1.NS, "link", "set", trackDev, "down"); err != nil {
			t.Fatal(err)
		}
		at = time.Now()
		d.waitBoth(b.l.D2, fast, 300*time.Millisecond, "d1's tracked interface down")
		t.Logf("tracked interface down: both VIPs on d2 after %v", time.Since(at).Round(time.Millisecond))
		for _, inst := range []string{"V4", "V6"} {
			if !hasLine(d1.proc.Output(), "vrrp transition", `"instance": "`+inst+`"`, `"to": "FAULT"`) {
				t.Errorf("d1 logged no transition of %s to FAULT (each instance tracks %s itself)", inst, trackDev)
			}
		}
		b.clientReaches(b.l.D2, true, "tracked interface down")
		if err := b.l.IP(b.l.D1.NS, "link", "set", trackDev, "up"); err != nil {
			t.Fatal(err)
		}
		d.waitBoth(b.l.D1, fast, 300*time.Millisecond, "d1's tracked interface up again")
		b.clientReaches(b.l.D1, true, "tracked interface up again")

		// SIGKILL: both VIPs on d2; restarted d1 preempts; SIGTERM.
		at = time.Now()
		d.crash(d1)
		d.waitBoth(b.l.D2, failover6Bound, 300*time.Millisecond, "SIGKILL of d1")
		t.Logf("SIGKILL: both VIPs on d2 after %v (polled)", time.Since(at).Round(time.Millisecond))
		b.clientReaches(b.l.D2, true, "after SIGKILL")
		d1 = d.start(b.l.D1, 150, "0.1")
		d.waitBoth(b.l.D1, fast, 300*time.Millisecond, "restarted d1 preempts")
		b.clientReaches(b.l.D1, true, "after preempting back")
		at = time.Now()
		b.stop(d1)
		d.waitBoth(b.l.D2, failover6Bound, 300*time.Millisecond, "SIGTERM of d1")
		t.Logf("SIGTERM: both VIPs on d2 after %v (polled)", time.Since(at).Round(time.Millisecond))
		b.clientReaches(b.l.D2, true, "after SIGTERM")
	})

	t.Run("advert_1", func(t *testing.T) {
		b.t = t
		t.Cleanup(b.stopAll)
		slow := 10 * time.Second // 3 × 1 s + skew, and room
		// d1's script passes, whatever the case before left behind.
		if err := os.WriteFile(d.ok, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		// The client forgets the VIP's neighbour entry, so this case
		// does not depend on where the one before left it.
		if err := b.l.IP(b.l.Client.NS, "-6", "neigh", "flush", "to", e2eVIP6.Addr().String(), "dev", b.l.Client.Dev); err != nil {
			t.Fatal(err)
		}
		// Started together: at advert_int 1 d2's Master_Down_Interval
		// (3.61 s) ends 200 ms after d1's (3.41 s).
		d1 := d.start(b.l.D1, 150, "1")
		d.start(b.l.D2, 100, "1")
		d.waitBoth(b.l.D1, slow, time.Second, "election at advert_int 1")
		b.clientReaches(b.l.D1, false, "after the election")
		at := time.Now()
		d.crash(d1)
		took := d.waitBoth(b.l.D2, slow, 500*time.Millisecond, "SIGKILL of d1").Sub(at)
		// On the wire: d1's last IPv6 advert -> d2's first.
		last, first := b.cap.advertGap(b.l.D1.MAC.String(), b.l.D2.MAC.String(), at)
		takeover := first.Sub(last)
		t.Logf("SIGKILL at advert_int 1: both VIPs on d2 %v after the kill (polled); d1's last advert -> d2's first %v (Master_Down_Interval 3.61 s)",
			took.Round(time.Millisecond), takeover.Round(time.Millisecond))
		if last.IsZero() || first.IsZero() || takeover < 3*time.Second {
			t.Errorf("d2's first advert came %v after d1's last: not captured, or before 3 advert intervals", takeover)
		}
		b.clientReaches(b.l.D2, true, "after SIGKILL")
		d1 = d.start(b.l.D1, 150, "1")
		d.waitBoth(b.l.D1, slow, 500*time.Millisecond, "restarted d1 preempts")
		b.clientReaches(b.l.D1, true, "after preempting back")
		at = time.Now()
		b.stop(d1)
		took = d.waitBoth(b.l.D2, slow, 500*time.Millisecond, "SIGTERM of d1").Sub(at)
		t.Logf("SIGTERM at advert_int 1: both VIPs on d2 after %v (polled; Skew_Time 0.61 s)", took.Round(time.Millisecond))
		if took > 2*time.Second {
			t.Errorf("takeover after SIGTERM took %v: a priority-0 advert should make d2 master after Skew_Time", took)
		}
		b.clientReaches(b.l.D2, true, "after SIGTERM")
	})
}

// advertGap returns the time of the last advert from oldMAC before t and
// of the first advert from newMAC after it.
func (c *cap6) advertGap(oldMAC, newMAC string, t time.Time) (last, first time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.frames {
		switch {
		case !f.advert:
		case f.src == oldMAC && f.at.Before(t):
			last = f.at
		case f.src == newMAC && f.at.After(t) && first.IsZero():
			first = f.at
		}
	}
	return last, first
}
