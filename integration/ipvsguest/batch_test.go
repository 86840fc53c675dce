//go:build ipvsguest && linux

package ipvsguest

import (
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/lbhad/lbhad/internal/netnstest"
	"github.com/lbhad/lbhad/ipvssync"
)

// openIn is ipvssync.Open in ns: the daemon's handle, whose writes go
// to the kernel in batches of several requests per netlink send.
func openIn(t *testing.T, ns *netnstest.Netns) ipvssync.Handle {
	t.Helper()
	var h ipvssync.Handle
	if err := ns.Run(func() (err error) { h, err = ipvssync.Open(); return err }); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(h.Close)
	return h
}

// The batched writer encodes every attribute the kernel takes as
// moby/ipvs does: the whole syncConfig table (every scheduler, forwarding
// method, persistence, thresholds, fwmark, IPv6, a group) written in
// batches reads back equal, also through `ipvsadm -Ln`, and removing it
// in batches leaves nothing.
func TestIPVSBatchedSync(t *testing.T) {
	ns := syncNS(t)
	h := openIn(t, ns)
	r := ipvssync.NewReconciler(h, nil)
	want := ipvssync.Desired(syncConfig(), ipvssync.Health{})
	n, err := r.Sync(want)
	if err != nil || n != countEntries(want) {
		t.Fatalf("Sync: %d writes, %v; want %d", n, err, countEntries(want))
	}
	assertKernel(t, ns, h, want)
	if n, err := r.Sync(want); n != 0 || err != nil {
		t.Errorf("unchanged Sync wrote %d, %v", n, err)
	}
	if n, err := r.Stop(false); err != nil || n != len(want) {
		t.Errorf("Stop: %d deletes, %v; want %d", n, err, len(want))
	}
	if got, err := ipvssync.Read(h); err != nil || len(got) != 0 {
		t.Errorf("after Stop: %d services, %v", len(got), err)
	}
}

// As the kernel handles the requests of one send: a refused one gets its
// own error and the ones after it are still carried out. Apply names the
// refused op with the kernel's errno and counts the others that failed.
func TestIPVSBatchFailureInTheMiddle(t *testing.T) {
	ns := syncNS(t)
	h := openIn(t, ns)
	svc := ipvssync.Service{Key: ipvssync.ServiceKey{Family: ipvssync.FamilyIPv4, Proto: ipvssync.ProtoTCP,
		Addr: netip.MustParseAddr("192.0.2.50"), Port: 80}, Scheduler: "wlc"}
	missing := svc
	missing.Key.Port = 81
	dest := func(last byte) ipvssync.Destination {
		return ipvssync.Destination{Addr: netip.AddrFrom4([4]byte{198, 51, 100, last}), Port: 80, Weight: 1, Forward: ipvssync.ForwardDR}
	}
	ops := []ipvssync.Op{
		{Kind: ipvssync.OpAddService, Service: svc},
		{Kind: ipvssync.OpAddDest, Service: svc, Dest: dest(10)},
		{Kind: ipvssync.OpAddDest, Service: svc, Dest: dest(10)},     // EEXIST
		{Kind: ipvssync.OpAddDest, Service: svc, Dest: dest(11)},     // still done
		{Kind: ipvssync.OpDelDest, Service: missing, Dest: dest(10)}, // ESRCH: no such service
		{Kind: ipvssync.OpAddDest, Service: svc, Dest: dest(12)},     // still done
	}
	n, err := ipvssync.Apply(h, ops)
	if !errors.Is(err, syscall.EEXIST) || !strings.HasPrefix(err.Error(), "add destination 198.51.100.10:80") || !strings.Contains(err.Error(), "and 1 later") {
		t.Errorf("error %v; want the repeated add named with EEXIST and one more failure counted", err)
	}
	if n != 4 {
		t.Errorf("%d writes counted, want 4", n)
	}
	got, rerr := ipvssync.Read(h)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if e := got[svc.Key]; len(e.Dests) != 3 {
		t.Errorf("service has %d destinations, want 3 (10, 11, 12): %v", len(e.Dests), e.Dests)
	}
}
