//go:build ipvsguest && linux

package ipvsguest

import (
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/moby/ipvs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/internal/ipvstest"
	"github.com/lbhad/lbhad/internal/netnstest"
)

func TestModuleLoaded(t *testing.T) {
	data, err := os.ReadFile("/proc/net/ip_vs")
	if err != nil {
		t.Fatalf("ip_vs not loaded: %v", err)
	}
	if !strings.HasPrefix(string(data), "IP Virtual Server version") {
		t.Errorf("/proc/net/ip_vs = %q, want the IPVS banner", data)
	}
	// A fresh namespace starts with an empty table, through both readers.
	ns := netnstest.NewNetns(t)
	h := ipvstest.Handle(t, ns)
	got, err := ipvstest.ReadMoby(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("fresh netns has services: %v", got)
	}
	adm, err := ipvstest.ReadIpvsadm(ns)
	if err != nil {
		t.Fatal(err)
	}
	if len(adm) != 0 {
		t.Errorf("ipvsadm lists services in a fresh netns: %v", adm)
	}
}

// tableNS is a fresh netns in which the real-server range 198.51.100.0/24
// is routable: the kernel refuses (EINVAL) a destination whose address has
// no route (ip_vs_new_dest checks inet_addr_type), which is always so in an
// empty namespace.
func tableNS(t *testing.T) *netnstest.Netns {
	t.Helper()
	ns := netnstest.NewNetns(t)
	h, err := netlink.NewHandleAt(ns.Handle(), unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "rs0"}}); err != nil {
		t.Fatalf("add dummy: %v", err)
	}
	addrUp(t, h, "rs0", "198.51.100.1/24")
	return ns
}

var schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf"}

func tcpService(addr string, port uint16, sched string) *ipvs.Service {
	return &ipvs.Service{
		AddressFamily: syscall.AF_INET,
		Protocol:      syscall.IPPROTO_TCP,
		Address:       net.ParseIP(addr),
		Port:          port,
		SchedName:     sched,
		Netmask:       0xffffffff,
	}
}

func TestSchedulers(t *testing.T) {
	for _, sched := range schedulers {
		t.Run(sched, func(t *testing.T) {
			ns := tableNS(t)
			h := ipvstest.Handle(t, ns)
			svc := tcpService("192.0.2.10", 80, sched)
			if err := h.NewService(svc); err != nil {
				t.Fatalf("NewService(%s): %v", sched, err)
			}
			if err := h.NewDestination(svc, &ipvs.Destination{
				AddressFamily: syscall.AF_INET, Address: net.ParseIP("198.51.100.11"), Port: 8080, Weight: 2,
			}); err != nil {
				t.Fatalf("NewDestination: %v", err)
			}
			want := []ipvstest.Service{{Proto: "TCP", Addr: "192.0.2.10:80", Sched: sched, Dests: []ipvstest.Dest{
				{Addr: "198.51.100.11:8080", Forward: "Masq", Weight: 2},
			}}}
			compare(t, ns, h, want)
		})
	}
	t.Run("unknown", func(t *testing.T) {
		ns := netnstest.NewNetns(t)
		h := ipvstest.Handle(t, ns)
		if err := h.NewService(tcpService("192.0.2.10", 80, "nosuch")); err == nil {
			t.Error("NewService with an unknown scheduler succeeded, want an error")
		}
	})
}

// compare checks the table in ns through moby/ipvs and through ipvsadm.
func compare(t *testing.T, ns *netnstest.Netns, h *ipvs.Handle, want []ipvstest.Service) {
	t.Helper()
	want = slices.Clone(want)
	ipvstest.Sort(want)
	got, err := ipvstest.ReadMoby(h)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("moby/ipvs read-back (-want +got):\n%s", d)
	}
	adm, err := ipvstest.ReadIpvsadm(ns)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, adm, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("ipvsadm -Ln (-want +got):\n%s", d)
	}
}

func TestTableRoundTrip(t *testing.T) {
	ns := tableNS(t)
	h := ipvstest.Handle(t, ns)
	web := tcpService("192.0.2.10", 80, "wrr")
	dns := &ipvs.Service{
		AddressFamily: syscall.AF_INET, Protocol: syscall.IPPROTO_UDP,
		Address: net.ParseIP("203.0.113.5"), Port: 53, SchedName: "sh", Netmask: 0xffffffff,
		Flags: 0x1, Timeout: 60, // IP_VS_SVC_F_PERSISTENT
	}
	mark := &ipvs.Service{
		AddressFamily: syscall.AF_INET, FWMark: 7, SchedName: "wlc", Netmask: 0xffffffff,
		Flags: 0x1, Timeout: 300,
	}
	for _, s := range []*ipvs.Service{web, dns, mark} {
		if err := h.NewService(s); err != nil {
			t.Fatalf("NewService %+v: %v", s, err)
		}
	}
	dest := func(ip string, port uint16, fwd uint32, w int, upper, lower uint32) *ipvs.Destination {
		return &ipvs.Destination{
			AddressFamily: syscall.AF_INET, Address: net.ParseIP(ip), Port: port,
			ConnectionFlags: fwd, Weight: w, UpperThreshold: upper, LowerThreshold: lower,
		}
	}
	adds := []struct {
		svc *ipvs.Service
		d   *ipvs.Destination
	}{
		{web, dest("198.51.100.11", 8080, ipvs.ConnectionFlagMasq, 3, 100, 10)},
		{web, dest("198.51.100.12", 80, ipvs.ConnectionFlagDirectRoute, 0, 0, 0)},
		{web, dest("198.51.100.13", 80, ipvs.ConnectionFlagTunnel, 5, 0, 0)},
		{dns, dest("198.51.100.21", 53, ipvs.ConnectionFlagMasq, 1, 0, 0)},
		{mark, dest("198.51.100.31", 0, ipvs.ConnectionFlagDirectRoute, 1, 50, 0)},
	}
	for _, a := range adds {
		if err := h.NewDestination(a.svc, a.d); err != nil {
			t.Fatalf("NewDestination %v: %v", a.d.Address, err)
		}
	}
	// In the canonical order of ipvstest.Sort: by protocol name, then address.
	want := []ipvstest.Service{
		{Proto: "FWM", Addr: "7", Sched: "wlc", Persistent: 300, Dests: []ipvstest.Dest{
			{Addr: "198.51.100.31:0", Forward: "Route", Weight: 1, Upper: 50},
		}},
		{Proto: "TCP", Addr: "192.0.2.10:80", Sched: "wrr", Dests: []ipvstest.Dest{
			{Addr: "198.51.100.11:8080", Forward: "Masq", Weight: 3, Upper: 100, Lower: 10},
			{Addr: "198.51.100.12:80", Forward: "Route", Weight: 0},
			{Addr: "198.51.100.13:80", Forward: "Tunnel", Weight: 5},
		}},
		{Proto: "UDP", Addr: "203.0.113.5:53", Sched: "sh", Persistent: 60, Dests: []ipvstest.Dest{
			{Addr: "198.51.100.21:53", Forward: "Masq", Weight: 1},
		}},
	}
	t.Run("created", func(t *testing.T) { compare(t, ns, h, want) })

	t.Run("updated", func(t *testing.T) {
		// Drain a server (weight 0), revive another, change scheduler and
		// persistence: the operations ipvssync issues on a config change.
		if err := h.UpdateDestination(web, dest("198.51.100.11", 8080, ipvs.ConnectionFlagMasq, 0, 100, 10)); err != nil {
			t.Fatalf("UpdateDestination: %v", err)
		}
		if err := h.UpdateDestination(web, dest("198.51.100.12", 80, ipvs.ConnectionFlagDirectRoute, 7, 0, 0)); err != nil {
			t.Fatalf("UpdateDestination: %v", err)
		}
		mark.SchedName, mark.Timeout = "lc", 600
		if err := h.UpdateService(mark); err != nil {
			t.Fatalf("UpdateService: %v", err)
		}
		if err := h.DelDestination(dns, dest("198.51.100.21", 53, ipvs.ConnectionFlagMasq, 1, 0, 0)); err != nil {
			t.Fatalf("DelDestination: %v", err)
		}
		want[0].Sched, want[0].Persistent = "lc", 600
		want[1].Dests[0].Weight = 0
		want[1].Dests[1].Weight = 7
		want[2].Dests = nil
		compare(t, ns, h, want)
	})

	t.Run("errors", func(t *testing.T) {
		if err := h.NewService(web); !errors.Is(err, syscall.EEXIST) {
			t.Errorf("NewService of an existing service = %v, want EEXIST", err)
		}
		if err := h.DelDestination(dns, dest("198.51.100.99", 53, 0, 1, 0, 0)); !errors.Is(err, syscall.ENOENT) {
			t.Errorf("DelDestination of a missing destination = %v, want ENOENT", err)
		}
	})

	t.Run("flush", func(t *testing.T) {
		if err := h.Flush(); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		compare(t, ns, h, nil)
	})
}
