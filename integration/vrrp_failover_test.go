//go:build integration

package integration

import (
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// Scenario 2 and 3: SIGKILL of the master moves the VIP and the client's
// ARP entry to the backup (from its gratuitous ARP); restarting the
// higher-priority node preempts back.
func TestVRRPCrashFailoverAndPreempt(t *testing.T) {
	b := newBed(t)
	in1 := lab.Instance{Priority: 150, AuthPass: "pw12"}
	d1 := b.start("lbhad", b.l.D1, in1)
	d2 := b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})
	b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started")

	crash := time.Now()
	// 3 x advert_int + skew (0.61 s) + 3 s margin for a loaded machine.
	gap, _ := b.failover(d1, d2, false, 7*time.Second)
	garps := b.cap.GARPs(lab.VIP.AsSlice(), crash)
	if len(garps) == 0 {
		t.Fatal("no gratuitous ARP for the VIP after the crash")
	}
	if g := garps[0]; g.SrcMAC.String() != b.l.D2.MAC.String() || g.ARP.SenderMAC.String() != b.l.D2.MAC.String() {
		t.Errorf("first GARP from %v sender MAC %v, want d2 %v", g.SrcMAC, g.ARP.SenderMAC, b.l.D2.MAC)
	}
	t.Logf("GARPs after crash: %d, first at +%v", len(garps), garps[0].Time.Sub(crash).Round(time.Millisecond))
	if gap.Len > 7*time.Second {
		t.Errorf("client ping gap %v, want < 3 x advert + skew + 3 s margin", gap.Len)
	}

	restart := time.Now()
	b.start("lbhad", b.l.D1, in1)
	at := b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "restarted higher-priority d1 should preempt")
	t.Logf("restarted d1 master again after %v (keepalived: 3.48-3.53 s)", at.Sub(restart).Round(10*time.Millisecond))
	b.waitARP(b.l.D1, 5*time.Second)
	if !b.ping.WaitReply(time.Now(), 5*time.Second) {
		t.Fatal("client cannot reach the VIP after preemption")
	}
}

// Scenario 3b: with nopreempt, a restarted higher-priority node stays
// backup under the current master.
func TestVRRPNopreempt(t *testing.T) {
	b := newBed(t)
	in1 := lab.Instance{Priority: 150, AuthPass: "pw12", Nopreempt: true}
	d1 := b.start("lbhad", b.l.D1, in1)
	d2 := b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12", Nopreempt: true})
	b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started")
	b.failover(d1, d2, false, 7*time.Second)

	restart := time.Now()
	b.start("lbhad", b.l.D1, in1)
	// Well past d1's own master-down interval (3.41 s) and a preemption.
	b.holdsFor(b.l.D2, 8*time.Second, "nopreempt: restarted d1 must not take over")
	if fs := b.cap.Adverts(vrid, b.l.D1.MAC, restart); len(fs) != 0 {
		t.Errorf("restarted nopreempt d1 sent %d adverts (first priority %d)", len(fs), fs[0].VRRP.Priority)
	}
}

// Scenario 4: SIGTERM of the master sends a priority-0 advert and the
// backup takes over after about its skew time instead of 3 adverts.
func TestVRRPGracefulStop(t *testing.T) {
	b := newBed(t)
	d1 := b.start("lbhad", b.l.D1, lab.Instance{Priority: 150, AuthPass: "pw12"})
	d2 := b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})
	b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started")
	b.startPing()

	stop := time.Now()
	gap, _ := b.failover(d1, d2, true, 5*time.Second)
	zero := b.cap.Frames(func(f lab.Frame) bool {
		return f.VRRP != nil && f.VRRP.VRID == vrid && f.VRRP.Priority == 0 &&
			f.SrcMAC.String() == b.l.D1.MAC.String() && f.Time.After(stop)
	})
	if len(zero) == 0 {
		t.Fatal("no priority-0 advert from d1 on SIGTERM")
	}
	first, ok := b.firstAdvert(b.l.D2, zero[0].Time)
	if !ok {
		t.Fatal("no advert from d2 after d1's priority-0 advert")
	}
	takeover := first.Time.Sub(zero[0].Time)
	t.Logf("priority-0 advert -> d2 master: %v (skew time (256-100)/256 = 0.61 s; keepalived 0.62 s); client gap %v",
		takeover.Round(time.Millisecond), gap.Len.Round(time.Millisecond))
	if takeover > 2*time.Second {
		t.Errorf("takeover after priority-0 advert took %v, want < 2s (about the skew time, not a master-down interval)", takeover)
	}
	if ok, _ := lab.HasAddr(b.l.D1.NS, "eth0", lab.VIP.String()); ok {
		t.Error("d1 kept the VIP after graceful stop")
	}
}
