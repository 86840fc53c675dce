//go:build ipvsguest && linux

package ipvsguest

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/internal/ipvstest"
	"github.com/lbhad/lbhad/internal/netnstest"
	"github.com/lbhad/lbhad/ipvssync"
)

// syncdNS is a fresh namespace with a veth pair sync0/sync1 (MTU 1500,
// multicast capable) for the sync daemons to bind to.
func syncdNS(t *testing.T) *netnstest.Netns {
	t.Helper()
	ns := netnstest.NewNetns(t)
	h, err := netlink.NewHandleAt(ns.Handle(), unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "sync0", MTU: 1500}, PeerName: "sync1"}); err != nil {
		t.Fatalf("add veth: %v", err)
	}
	addrUp(t, h, "sync0", "198.51.100.1/24")
	addrUp(t, h, "sync1", "198.51.100.2/24")
	addrUp(t, h, "lo", "")
	return ns
}

func openSyncd(t *testing.T, ns *netnstest.Netns) *ipvssync.SyncDaemons {
	t.Helper()
	sd, err := ipvssync.OpenSyncDaemons(ns.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sd.Close)
	return sd
}

// TestSyncdNetlink drives the sync daemons with lbhad's own netlink
// messages and cross-checks every step with ipvsadm in both directions:
// what ipvsadm starts lbhad reads, what lbhad starts ipvsadm prints the
// same way. It logs the raw GET_DAEMON replies ("CAPTURE name hex"),
// which ipvssync/testdata keeps for the root-free decoder tests.
func TestSyncdNetlink(t *testing.T) {
	ns := syncdNS(t)
	sd := openSyncd(t, ns)
	ipvsadmDaemons := func() string {
		out, err := ipvstest.Ipvsadm(ns, "-L", "--daemon")
		if err != nil {
			t.Fatalf("ipvsadm -L --daemon: %v: %s", err, out)
		}
		return string(out)
	}
	format := func(ds []ipvssync.DaemonInfo) string {
		var b bytes.Buffer
		if err := ipvssync.FormatDaemons(&b, ds); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	capture := func(name string) {
		raw, err := sd.ListRaw()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range raw {
			t.Logf("CAPTURE %s %s", name, hex.EncodeToString(m))
		}
	}
	opts := cmpopts.EquateComparable(netip.Addr{})

	if ds, err := sd.List(); err != nil || len(ds) != 0 {
		t.Fatalf("fresh namespace: List = %v, %v; want none", ds, err)
	}

	// 1. ipvsadm starts a master with defaults; lbhad reads it.
	if out, err := ipvstest.Ipvsadm(ns, "--start-daemon", "master", "--mcast-interface", "sync0", "--syncid", "51"); err != nil {
		t.Fatalf("ipvsadm --start-daemon: %v: %s", err, out)
	}
	ds, err := sd.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []ipvssync.DaemonInfo{{State: ipvssync.DaemonMaster, Interface: "sync0", SyncID: 51, MaxLen: 1472,
		Group: netip.MustParseAddr("224.0.0.81"), Port: 8848, TTL: 1}}
	if diff := cmp.Diff(want, ds, opts); diff != "" {
		t.Errorf("daemon started by ipvsadm, read by lbhad (-want +got):\n%s", diff)
	}
	capture("daemon_master_defaults")
	t.Logf("ipvsadm -L --daemon:\n%s", ipvsadmDaemons())
	if got, want := format(ds), ipvsadmDaemons(); got != want {
		t.Errorf("FormatDaemons = %q, ipvsadm = %q", got, want)
	}

	// 2. lbhad starts a backup with every option at once; the kernel
	// allows both roles, and ipvsadm prints what lbhad asked for.
	backup := ipvssync.DaemonInfo{State: ipvssync.DaemonBackup, Interface: "sync0", SyncID: 7, MaxLen: 1200,
		Group: netip.MustParseAddr("239.255.0.7"), Port: 9000, TTL: 3}
	if err := sd.Start(backup); err != nil {
		t.Fatal(err)
	}
	if err := sd.Start(backup); !errors.Is(err, unix.EEXIST) {
		t.Errorf("second Start of the backup: %v, want EEXIST", err)
	}
	ds, err = sd.List()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(append(want, backup), ds, opts); diff != "" {
		t.Errorf("after Start(backup) (-want +got):\n%s", diff)
	}
	if got, want := format(ds), ipvsadmDaemons(); got != want {
		t.Errorf("FormatDaemons = %q, ipvsadm = %q", got, want)
	}

	// 3. lbhad stops the master ipvsadm started; the backup stays.
	if err := sd.Stop(ipvssync.DaemonMaster); err != nil {
		t.Fatal(err)
	}
	capture("daemon_backup_custom")
	if err := sd.Stop(ipvssync.DaemonMaster); !errors.Is(err, unix.ESRCH) {
		t.Errorf("second Stop(master): %v, want ESRCH", err)
	}
	if got, want := format([]ipvssync.DaemonInfo{backup}), ipvsadmDaemons(); got != want {
		t.Errorf("after Stop(master): ipvsadm = %q, want %q", want, got)
	}

	// 4. An unknown interface is the kernel's error, wrapped.
	if err := sd.Start(ipvssync.DaemonInfo{State: ipvssync.DaemonMaster, Interface: "nosuch0", SyncID: 1}); err == nil {
		t.Error("Start on a missing interface succeeded")
	} else {
		t.Logf("Start on a missing interface: %v", err)
	}
	if err := sd.Stop(ipvssync.DaemonBackup); err != nil {
		t.Fatal(err)
	}
	if out := ipvsadmDaemons(); out != "" {
		t.Errorf("after stopping both, ipvsadm still lists %q", out)
	}
}
