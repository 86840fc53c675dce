//go:build integration

package integration

import (
	"net/netip"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// Interfaces are followed by name, not assumed (fault matrix 1): the
// master's and the backup's interface deleted and re-created (a veth
// pair made again, same name and address, new ifindex and MAC), renamed
// away and back (set down first, and while up), set down and up, and
// its primary address replaced by another. After each, within 2 advert
// intervals of the interface being back there is exactly one master and
// the client reaches the VIP; then the higher-priority d1 is master
// again and stays the only one (a socket left on the old ifindex hears
// nothing and would make a second master after its master-down
// interval).
func TestVRRPInterfaceFollowed(t *testing.T) {
	b := newBed(t)
	b.start("lbhad", b.l.D1, lab.Instance{Priority: 150, AuthPass: "pw12"})
	b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})
	b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started")
	b.startPing()

	ip := func(ns string, args ...string) {
		t.Helper()
		if err := b.l.IP(ns, args...); err != nil {
			t.Fatal(err)
		}
	}
	del := func(n *lab.Node) { ip(n.NS, "link", "del", n.Dev) }
	recreate := func(n *lab.Node) {
		ip(b.l.BridgeNS, "link", "add", n.Port, "type", "veth", "peer", "name", n.Dev, "netns", n.NS)
		ip(b.l.BridgeNS, "link", "set", n.Port, "master", "br0")
		ip(b.l.BridgeNS, "link", "set", n.Port, "up")
		ip(n.NS, "addr", "add", n.IP.String()+"/24", "dev", n.Dev)
		ip(n.NS, "link", "set", n.Dev, "up")
		mac, err := lab.LinkMAC(n.NS, n.Dev)
		if err != nil {
			t.Fatal(err)
		}
		n.MAC = mac
	}
	down := func(n *lab.Node) { ip(n.NS, "link", "set", n.Dev, "down") }
	up := func(n *lab.Node) { ip(n.NS, "link", "set", n.Dev, "up") }
	renameAway := func(n *lab.Node) {
		down(n)
		ip(n.NS, "link", "set", n.Dev, "name", "away0")
	}
	renameBack := func(n *lab.Node) {
		ip(n.NS, "link", "set", "away0", "name", n.Dev)
		up(n)
	}
	liveAway := func(n *lab.Node) { ip(n.NS, "link", "set", n.Dev, "name", "away0") }
	liveBack := func(n *lab.Node) { ip(n.NS, "link", "set", "away0", "name", n.Dev) }
	// The VIP must not stay on the renamed device, which is still up and
	// on the LAN: the instance follows the name and has left master.
	noVIPAway := func(n *lab.Node) {
		if ok, _ := lab.HasAddr(n.NS, "away0", lab.VIP.String()); ok {
			t.Errorf("%s kept the VIP on its interface renamed away", n.Name)
		}
	}
	newPrimary := netip.MustParseAddr("192.0.2.201")
	delPrimary := func(n *lab.Node) { ip(n.NS, "addr", "del", n.IP.String()+"/24", "dev", n.Dev) }
	addPrimary := func(n *lab.Node) {
		ip(n.NS, "addr", "add", newPrimary.String()+"/24", "dev", n.Dev)
		n.IP = newPrimary
	}

	const advert = time.Second
	for _, tc := range []struct {
		name       string
		node       *lab.Node
		gone, back func(*lab.Node)
		whileGone  func(*lab.Node)
	}{
		{"master deleted and re-created", b.l.D1, del, recreate, nil},
		{"backup deleted and re-created", b.l.D2, del, recreate, nil},
		{"master renamed away and back", b.l.D1, renameAway, renameBack, nil},
		{"master renamed away and back while up", b.l.D1, liveAway, liveBack, noVIPAway},
		{"master down and up", b.l.D1, down, up, nil},
		{"master's primary address replaced", b.l.D1, delPrimary, addPrimary, nil},
	} {
		tc.gone(tc.node)
		other := b.l.D2
		if tc.node == b.l.D2 {
			other = b.l.D1
		}
		// While it is gone the other director must hold the VIP alone
		// (for the backup's interface: keep holding it).
		b.waitOwner(other, 10*time.Second, 0, tc.name+": while the interface is gone")
		if tc.whileGone != nil {
			tc.whileGone(tc.node)
		}
		time.Sleep(time.Second)
		tc.back(tc.node)
		back := time.Now()
		time.Sleep(2 * advert)
		if o := b.owners(); len(o) != 1 {
			t.Fatalf("%s: 2 advert intervals after the interface is back, VIP held by %v, want exactly one", tc.name, o)
		}
		if !b.ping.WaitReply(back.Add(2*advert), 3*time.Second) {
			t.Fatalf("%s: client gets no reply from the VIP (held by %v)", tc.name, b.owners())
		}
		// d1 preempts (master-down 3.41 s) and then stays the only master:
		// a second master would show within d2's master-down interval.
		at := b.waitOwner(b.l.D1, 10*time.Second, 5*time.Second, tc.name+": after the interface is back")
		b.waitARP(b.l.D1, 5*time.Second)
		if !b.ping.WaitReply(time.Now(), 5*time.Second) {
			t.Fatalf("%s: client gets no reply from the VIP on d1", tc.name)
		}
		t.Logf("%s: one master 2 advert intervals after the interface was back; d1 the only master %v after it was back",
			tc.name, at.Sub(back).Round(100*time.Millisecond))
	}
	if s := b.exited(); s != "" {
		t.Fatalf("a daemon exited:%s", s)
	}
}
