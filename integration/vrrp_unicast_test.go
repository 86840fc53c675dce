//go:build integration

package integration

import (
	"net/netip"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// Scenario 10: unicast peers. The bridge stops flooding multicast to both
// directors' ports (mcast_flood off), which truly blocks 224.0.0.18 while
// unicast and ARP still pass: the control case shows multicast VRRP then
// splits the brain, and unicast_peer restores a single master and
// failover.
func TestVRRPUnicastPeers(t *testing.T) {
	block := func(b *bed) {
		t.Helper()
		for _, n := range []*lab.Node{b.l.D1, b.l.D2} {
			if err := b.l.BlockMulticast(n, true); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("multicast_fails_when_blocked", func(t *testing.T) {
		b := newBed(t)
		block(b)
		b.start("lbhad", b.l.D1, lab.Instance{Priority: 150, AuthPass: "pw12"})
		b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})
		if !lab.Eventually(15*time.Second, func() bool { return len(b.owners()) == 2 }) {
			t.Fatalf("multicast not blocked: VIP held by %v, want both (split brain)", b.owners())
		}
	})

	t.Run("unicast_works", func(t *testing.T) {
		b := newBed(t)
		block(b)
		uni := func(prio uint8, src, peer netip.Addr) lab.Instance {
			return lab.Instance{Priority: prio, AuthPass: "pw12", UnicastSrc: src, UnicastPeers: []netip.Addr{peer}}
		}
		d1 := b.start("lbhad", b.l.D1, uni(150, lab.D1IP, lab.D2IP))
		d2 := b.start("lbhad", b.l.D2, uni(100, lab.D2IP, lab.D1IP))
		b.waitOwner(b.l.D1, 15*time.Second, 3*time.Second, "unicast pair started")
		a, ok := b.lastAdvert(b.l.D1, time.Now())
		if !ok || a.VRRP.Dst != lab.D2IP || a.VRRP.Src != lab.D1IP {
			t.Fatalf("d1 adverts should go unicast 192.0.2.11 -> 192.0.2.12, got %+v", a.VRRP)
		}
		b.startPing()
		gap, _ := b.failover(d1, d2, false, 7*time.Second)
		if gap.Len > 7*time.Second {
			t.Errorf("client ping gap %v, want < 7s", gap.Len)
		}
	})
}
