//go:build ipvsguest && linux

package ipvsguest

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/internal/ipvstest"
	"github.com/lbhad/lbhad/ipvssync"
)

// TestIPVSReadServices checks the per-service read an incremental sync
// relies on against the real kernel: ReadServices returns for each
// service (TCP, UDP, fwmark, IPv6, persistent with a netmask) exactly what
// the whole-table dump does; a missing service is ESRCH from GetService
// and an empty destination dump without error (docs/notes/moby-ipvs.md).
// Then an incremental Reconciler makes one write for a failed real
// server, leaves a change made by ipvsadm elsewhere alone until the
// resync, and repairs it then.
func TestIPVSReadServices(t *testing.T) {
	ns := syncNS(t)
	h := ipvssync.FromMoby(ipvstest.Handle(t, ns))
	clk := clock.NewFake(time.Unix(1000, 0))
	r := ipvssync.NewReconciler(h, nil, ipvssync.WithClock(clk))
	r.SetResync(time.Minute)
	cfg := syncConfig()
	want := ipvssync.Desired(cfg, ipvssync.Health{})
	if _, err := r.Sync(want); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	whole, err := ipvssync.Read(h)
	if err != nil {
		t.Fatal(err)
	}
	missing := []ipvssync.ServiceKey{
		{Family: ipvssync.FamilyIPv4, Proto: ipvssync.ProtoTCP, Addr: netip.MustParseAddr("192.0.2.51"), Port: 80},
		{Family: ipvssync.FamilyIPv4, FWMark: 8},
		{Family: ipvssync.FamilyIPv6, Proto: ipvssync.ProtoTCP, Addr: netip.MustParseAddr("2001:db8::51"), Port: 80},
	}
	keys := append(whole.Keys(), missing...)
	part, err := ipvssync.ReadServices(h, keys)
	if err != nil {
		t.Fatalf("ReadServices: %v", err)
	}
	if diff := cmp.Diff(stripObserved(whole), stripObserved(part), syncAddrCmp); diff != "" {
		t.Errorf("ReadServices differs from Read (-Read +ReadServices):\n%s", diff)
	}
	for _, k := range missing {
		if _, err := h.GetService(k); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("GetService(%s) of a missing service: %v, want ESRCH", k, err)
		}
		if ds, err := h.GetDestinations(k); err != nil || len(ds) != 0 {
			t.Errorf("GetDestinations(%s) of a missing service: %v, %v; want none and no error", k, ds, err)
		}
	}

	// One real server fails: one write, and the kernel is what is wanted.
	vs := cfg[1]
	failedH := ipvssync.Health{Real: map[ipvssync.RealKey]ipvssync.RealState{ipvssync.RealKeyOf(vs, vs.RealServers[0]): {}}}
	failed := ipvssync.Desired(cfg, failedH)
	if n, err := r.Sync(failed); n != 1 || err != nil {
		t.Fatalf("failure Sync wrote %d, %v; want 1", n, err)
	}
	assertKernel(t, ns, h, failed)

	// ipvsadm deletes a real server of another service: no sync touches
	// that service, so it stays gone until the resync.
	other := cfg[2]
	if _, err := ipvstest.Ipvsadm(ns, "-d", "-t", other.Address.String(), "-r", other.RealServers[0].Address.String()); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Sync(failed); n != 0 || err != nil {
		t.Fatalf("unchanged Sync wrote %d, %v; want 0 before the resync", n, err)
	}
	clk.Advance(time.Minute)
	if n, err := r.Sync(failed); n != 1 || err != nil {
		t.Fatalf("resync wrote %d, %v; want the one repair", n, err)
	}
	assertKernel(t, ns, h, failed)
}
