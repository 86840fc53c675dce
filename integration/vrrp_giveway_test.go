//go:build integration

package integration

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/internal/lab"
)

// A master that cannot do its job gives way (fault matrix 9). First a
// VIP the kernel refuses (its device, lo, lost its IPv4 configuration by
// an MTU below 68, so every add fails with ENOBUFS): the master goes to
// FAULT within 3 advert intervals of becoming master, the peer takes
// over, and it comes back by itself once the device accepts the address
// again. Then adverts that cannot be sent (its unicast_src_ip removed
// from the interface, so the kernel refuses the source with EINVAL; a
// route to the peer would not do, as a send bound to an interface is
// assumed on-link): FAULT within 3 advert intervals, the peer takes
// over, and recovery when the address is back.
func TestVRRPMasterGivesWay(t *testing.T) {
	b := newBed(t)
	const advert = time.Second
	vips := []string{lab.VIP.String() + "/24", "198.51.100.50/32 dev lo"}
	in1 := lab.Instance{Priority: 150, AuthPass: "pw12", VIPs: vips,
		UnicastSrc: b.l.D1.IP, UnicastPeers: []netip.Addr{b.l.D2.IP}}
	in2 := lab.Instance{Priority: 100, AuthPass: "pw12", VIPs: vips,
		UnicastSrc: b.l.D2.IP, UnicastPeers: []netip.Addr{b.l.D1.IP}}
	ip := func(ns string, args ...string) {
		t.Helper()
		if err := b.l.IP(ns, args...); err != nil {
			t.Fatal(err)
		}
	}
	d1Status := func() control.InstanceStatus {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s, err := control.Status(ctx, b.l.ControlSocket(b.l.D1))
		if err != nil || len(s.Instances) == 0 {
			return control.InstanceStatus{}
		}
		return s.Instances[0]
	}
	waitFault := func(why, fault string, within time.Duration) control.InstanceStatus {
		t.Helper()
		var st control.InstanceStatus
		if !lab.Eventually(within, func() bool {
			st = d1Status()
			return st.State == "FAULT" && slices.ContainsFunc(st.Faults, func(f string) bool { return strings.HasPrefix(f, fault) })
		}) {
			t.Fatalf("%s: d1 not in FAULT with %q within %v: %+v%s", why, fault, within, st, b.exited())
		}
		return st
	}

	// d2 is master; d1 starts with lo refusing IPv4 addresses.
	b.start("lbhad", b.l.D2, in2)
	b.waitOwner(b.l.D2, 15*time.Second, 0, "d2 alone")
	b.startPing()
	ip(b.l.D1.NS, "link", "set", "lo", "mtu", "60")
	start := time.Now()
	b.start("lbhad", b.l.D1, in1)
	st := waitFault("vip add refused", "vip:198.51.100.50/32", 15*time.Second)
	first, ok := b.firstAdvert(b.l.D1, start)
	if !ok {
		t.Fatal("d1 never advertised: it never became master")
	}
	zero := b.cap.Frames(func(f lab.Frame) bool {
		return f.VRRP != nil && f.VRRP.VRID == vrid && f.VRRP.Priority == 0 &&
			f.SrcMAC.String() == b.l.D1.MAC.String() && f.Time.After(start)
	})
	if len(zero) == 0 {
		t.Fatal("no priority-0 advert from d1 when it gave way")
	}
	gaveWay := zero[0].Time.Sub(first.Time)
	t.Logf("vip add refused: d1 master -> priority-0 advert in %v (faults %v)", gaveWay.Round(time.Millisecond), st.Faults)
	if gaveWay > 3*advert {
		t.Errorf("d1 gave way %v after becoming master, want within 3 advert intervals", gaveWay)
	}
	b.waitOwner(b.l.D2, 3*time.Second, 0, "d2 takes over from d1 whose vip failed")
	if !b.ping.WaitReply(time.Now(), 5*time.Second) {
		t.Fatal("client cannot reach the VIP on d2")
	}

	// Fixed: lo takes addresses again; d1 retries on its own.
	ip(b.l.D1.NS, "link", "set", "lo", "mtu", "65536")
	fixed := time.Now()
	b.waitOwner(b.l.D1, 90*time.Second, 3*time.Second, "d1 back after its vip device was fixed")
	if ok, _ := lab.HasAddr(b.l.D1.NS, "lo", "198.51.100.50/32"); !ok {
		t.Error("d1 is master again but lacks the vip on lo")
	}
	t.Logf("vip fixed: d1 master again after %v", time.Since(fixed).Round(100*time.Millisecond))
	b.waitARP(b.l.D1, 5*time.Second)

	// Adverts cannot be sent: the source address goes.
	ip(b.l.D1.NS, "addr", "del", b.l.D1.IP.String()+"/24", "dev", b.l.D1.Dev)
	blocked := time.Now()
	st = waitFault("adverts failing", "send:adverts", 3*advert+time.Second)
	t.Logf("adverts failing: d1 FAULT after %v (faults %v)", time.Since(blocked).Round(100*time.Millisecond), st.Faults)
	// d2 hears nothing: it takes over after its master-down interval.
	b.waitOwner(b.l.D2, 3*advert+time.Second+3*time.Second, 0, "d2 takes over from d1 that cannot send")
	if !b.ping.WaitReply(time.Now(), 5*time.Second) {
		t.Fatal("client cannot reach the VIP on d2")
	}
	ip(b.l.D1.NS, "addr", "add", b.l.D1.IP.String()+"/24", "dev", b.l.D1.Dev)
	unblocked := time.Now()
	b.waitOwner(b.l.D1, 15*time.Second, 3*time.Second, "d1 back after its adverts could be sent again")
	t.Logf("adverts fixed: d1 master again after %v", time.Since(unblocked).Round(100*time.Millisecond))
	if s := b.exited(); s != "" {
		t.Fatalf("a daemon exited:%s", s)
	}
}
