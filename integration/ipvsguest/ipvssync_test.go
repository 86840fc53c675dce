//go:build ipvsguest && linux

package ipvsguest

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/ipvstest"
	"github.com/lbhad/lbhad/internal/netnstest"
	"github.com/lbhad/lbhad/ipvssync"
)

var syncAddrCmp = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

// syncNS is a fresh netns where the real servers 198.51.100.0/24 and
// 2001:db8:1::/64 are routable (the kernel refuses unroutable
// destinations) and lo is up, so 127.0.0.1 can be a sorry server.
func syncNS(t *testing.T) *netnstest.Netns {
	t.Helper()
	ns := netnstest.NewNetns(t)
	h, err := netlink.NewHandleAt(ns.Handle(), unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "sync0"}}); err != nil {
		t.Fatalf("add dummy: %v", err)
	}
	l, err := h.LinkByName("sync0")
	if err != nil {
		t.Fatal(err)
	}
	for _, cidr := range []string{"198.51.100.1/24", "2001:db8:1::1/64"} {
		a, _ := netlink.ParseAddr(cidr)
		a.Flags = unix.IFA_F_NODAD
		if err := h.AddrAdd(l, a); err != nil {
			t.Fatalf("add %s: %v", cidr, err)
		}
	}
	for _, name := range []string{"sync0", "lo"} {
		l, err := h.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.LinkSetUp(l); err != nil {
			t.Fatalf("up %s: %v", name, err)
		}
	}
	return ns
}

func rsrv(addr string, w int, kind config.ForwardKind) *config.RealServer {
	return &config.RealServer{Address: netip.MustParseAddrPort(addr), Weight: w, Kind: kind}
}

// syncConfig exercises every scheduler the guest kernel has, every
// forwarding method, persistence with a netmask, thresholds, UDP with
// ops, SCTP, the sh and mh flags, a virtual_server_group (two addresses
// and a mark), fwmark and IPv6.
func syncConfig() []*config.VirtualServer {
	var vss []*config.VirtualServer
	kinds := []config.ForwardKind{config.KindNAT, config.KindDR, config.KindTUN}
	for i, s := range config.Schedulers {
		if has, known := (config.OSHost{}).HasScheduler(s); known && !has {
			continue // twos needs Linux 6.2; TestSchedulerMissingWarns covers it
		}
		v := &config.VirtualServer{
			Name: s, Address: netip.AddrPortFrom(netip.MustParseAddr("192.0.2.50"), uint16(8000+i)),
			Protocol: config.TCP, Scheduler: s, Kind: kinds[i%3], Quorum: 1,
		}
		for j := 0; j < 3; j++ {
			// Real-server port = virtual port: ipvsadm (and so -R) forces
			// that for DR and TUN destinations.
			r := rsrv(fmt.Sprintf("198.51.100.%d:%d", 10+j, 8000+i), j+1, kinds[(i+j)%3])
			if j == 2 {
				r.UpperThreshold, r.LowerThreshold = 100, 50
			}
			v.RealServers = append(v.RealServers, r)
		}
		if i%2 == 0 {
			v.PersistenceTimeout = time.Duration(60+i) * time.Second
		}
		if i == 4 {
			v.PersistenceNetmask = netip.MustParseAddr("255.255.255.0")
		}
		vss = append(vss, v)
	}
	vss = append(vss,
		&config.VirtualServer{Name: "dns", Address: netip.MustParseAddrPort("192.0.2.50:53"), Protocol: config.UDP,
			Scheduler: "rr", Quorum: 1, RealServers: []*config.RealServer{rsrv("198.51.100.20:53", 1, config.KindDR)}},
		&config.VirtualServer{Name: "mark", FWMark: 7, Scheduler: "wlc", Quorum: 1, PersistenceTimeout: 300 * time.Second,
			RealServers: []*config.RealServer{rsrv("198.51.100.21:0", 2, config.KindDR), rsrv("198.51.100.22:0", 1, config.KindDR)}},
		&config.VirtualServer{Name: "diameter", Address: netip.MustParseAddrPort("192.0.2.50:3868"), Protocol: config.SCTP,
			Scheduler: "sh", SchedFallback: true, SchedPort: true, Quorum: 1,
			RealServers: []*config.RealServer{rsrv("198.51.100.23:3868", 1, config.KindDR), rsrv("198.51.100.24:3868", 1, config.KindDR)}},
		&config.VirtualServer{Name: "syslog", Address: netip.MustParseAddrPort("192.0.2.50:514"), Protocol: config.UDP,
			Scheduler: "mh", OnePacket: true, SchedPort: true, Quorum: 1,
			RealServers: []*config.RealServer{rsrv("198.51.100.25:514", 1, config.KindDR)}},
		&config.VirtualServer{Name: "grp", Group: "grp", Address: netip.MustParseAddrPort("192.0.2.60:80"), Scheduler: "rr", Quorum: 1,
			Members:     []config.GroupMember{{Address: netip.MustParseAddrPort("192.0.2.60:80")}, {Address: netip.MustParseAddrPort("192.0.2.61:80")}, {FWMark: 9}},
			RealServers: []*config.RealServer{rsrv("198.51.100.26:80", 2, config.KindDR), rsrv("198.51.100.27:80", 1, config.KindTUN)}},
		&config.VirtualServer{Name: "v6", Address: netip.MustParseAddrPort("[2001:db8::50]:443"), Scheduler: "wrr", Quorum: 1,
			RealServers: []*config.RealServer{rsrv("[2001:db8:1::10]:443", 3, config.KindNAT), rsrv("[2001:db8:1::11]:443", 1, config.KindDR)}},
	)
	return vss
}

// stripObserved drops what the kernel reports but Desired never sets.
// (The 127.0.0.1 sorry server reads back as Masq: no Local conversion.)
func stripObserved(t ipvssync.Table) ipvssync.Table {
	out := t.Clone()
	for k, e := range out {
		e.Stats = ipvssync.Stats{}
		if !e.Persistent() {
			// The kernel keeps a netmask for every service; Plan ignores it
			// when there is no persistence.
			e.Timeout, e.Netmask = 0, 0
		}
		for dk, d := range e.Dests {
			d.ActiveConns, d.InactConns, d.Stats = 0, 0, ipvssync.Stats{}
			e.Dests[dk] = d
		}
		out[k] = e
	}
	return out
}

func countEntries(t ipvssync.Table) int {
	n := 0
	for _, e := range t {
		n += 1 + len(e.Dests)
	}
	return n
}

// assertKernel checks the kernel table against want through moby/ipvs and,
// byte for byte, through `ipvsadm -Ln`.
func assertKernel(t *testing.T, ns *netnstest.Netns, k ipvssync.Kernel, want ipvssync.Table) ipvssync.Table {
	t.Helper()
	got, err := ipvssync.Read(k)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, stripObserved(got), syncAddrCmp); diff != "" {
		t.Errorf("kernel table (-want +got):\n%s", diff)
	}
	adm, err := ipvstest.Ipvsadm(ns, "-Ln")
	if err != nil {
		t.Fatal(err)
	}
	var opts ipvssync.ListOptions
	if v, size, err := ipvssync.KernelInfo(); err == nil {
		opts.Version, opts.Size = v, size
	} else {
		t.Errorf("KernelInfo: %v", err)
	}
	var mine bytes.Buffer
	if err := ipvssync.FormatList(&mine, got, opts); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(adm), mine.String()); diff != "" {
		t.Errorf("FormatList differs from ipvsadm -Ln (-ipvsadm +ours):\n%s", diff)
	}
	return got
}

func TestIPVSSyncEverything(t *testing.T) {
	ns := syncNS(t)
	h := ipvssync.FromMoby(ipvstest.Handle(t, ns))
	r := ipvssync.NewReconciler(h, nil)
	cfg := syncConfig()
	want := ipvssync.Desired(cfg, ipvssync.Health{})
	n, err := r.Sync(want)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if n != countEntries(want) {
		t.Errorf("first Sync wrote %d, want %d", n, countEntries(want))
	}
	got := assertKernel(t, ns, h, want)
	if n, err := r.Sync(want); n != 0 || err != nil {
		t.Errorf("unchanged Sync wrote %d, %v; want 0", n, err)
	}

	// FormatSave output restores the same table with ipvsadm -R.
	var save bytes.Buffer
	if err := ipvssync.FormatSave(&save, got); err != nil {
		t.Fatal(err)
	}
	ns2 := syncNS(t)
	err = ns2.Run(func() error {
		cmd := execIpvsadm("-R")
		cmd.Stdin = bytes.NewReader(save.Bytes())
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("ipvsadm -R: %w: %s\ninput:\n%s", err, out, save.String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	assertKernel(t, ns2, ipvssync.FromMoby(ipvstest.Handle(t, ns2)), want)
}

// The guest's 6.1 kernel has no twos scheduler: the host check of
// validate says so, and the kernel refuses the service as it warned.
func TestSchedulerMissingWarns(t *testing.T) {
	if has, known := (config.OSHost{}).HasScheduler("rr"); !has || !known {
		t.Fatalf("HasScheduler(rr) = %v, %v in the guest; want true, true", has, known)
	}
	if has, known := (config.OSHost{}).HasScheduler("twos"); has || !known {
		t.Fatalf("HasScheduler(twos) = %v, %v on the guest's 6.1 kernel; want false, true", has, known)
	}
	_, diags := config.ParseWith([]byte("virtual_server \"w\" {\n  address = \"192.0.2.50:80\"\n  lb_algo = \"twos\"\n}\n"), "twos.hcl",
		config.Options{Host: config.OSHost{}})
	if diags.HasErrors() || len(diags) != 1 || diags[0].Summary != "Scheduler missing from this kernel" {
		t.Errorf("validate of lb_algo twos on 6.1: %v, want one warning", diags)
	}
	ns := syncNS(t)
	h := ipvssync.FromMoby(ipvstest.Handle(t, ns))
	vs := &config.VirtualServer{Name: "w", Address: netip.MustParseAddrPort("192.0.2.50:80"), Scheduler: "twos", Quorum: 1}
	if _, err := ipvssync.NewReconciler(h, nil).Sync(ipvssync.Desired([]*config.VirtualServer{vs}, ipvssync.Health{})); err == nil {
		t.Error("the 6.1 kernel accepted a twos service")
	}
}

func TestIPVSSyncFailureRecoveryAndSorry(t *testing.T) {
	ns := syncNS(t)
	h := ipvssync.FromMoby(ipvstest.Handle(t, ns))
	r := ipvssync.NewReconciler(h, nil)
	v := &config.VirtualServer{Name: "web", Address: netip.MustParseAddrPort("192.0.2.50:80"), Scheduler: "wlc",
		Kind: config.KindNAT, Quorum: 1, SorryServer: netip.MustParseAddrPort("127.0.0.1:80"),
		RealServers: []*config.RealServer{rsrv("198.51.100.10:80", 2, config.KindNAT), rsrv("198.51.100.11:80", 3, config.KindNAT)}}
	cfg := []*config.VirtualServer{v}
	hl := ipvssync.Health{Real: map[ipvssync.RealKey]ipvssync.RealState{}}
	set := func(i int, alive bool) {
		hl.Real[ipvssync.RealKeyOf(v, v.RealServers[i])] = ipvssync.RealState{Alive: alive}
	}
	step := func(name string, wantWrites int) {
		t.Helper()
		ipvssync.UpdateQuorum(cfg, &hl)
		want := ipvssync.Desired(cfg, hl)
		n, err := r.Sync(want)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n != wantWrites {
			t.Errorf("%s: wrote %d, want %d", name, n, wantWrites)
		}
		assertKernel(t, ns, h, want)
	}
	step("start", 3)
	set(0, false)
	step("one real server fails", 1)
	set(0, true)
	step("it recovers", 1)
	set(0, false)
	set(1, false)
	step("all down: sorry server in", 3) // two deletes, one add
	set(1, true)
	step("one back: sorry server out", 2)
	set(0, true)
	step("both alive", 1)
	// inhibit_on_failure: the failed server stays at weight 0.
	for _, rs := range v.RealServers {
		rs.InhibitOnFailure = true
	}
	set(1, false)
	step("inhibited failure", 1)
	if n, err := r.Stop(false); n != 1 || err != nil {
		t.Errorf("Stop = %d, %v", n, err)
	}
}

func TestIPVSSyncAdoptionLeavesTableUntouched(t *testing.T) {
	ns := syncNS(t)
	h := ipvssync.FromMoby(ipvstest.Handle(t, ns))
	// An operator (or an earlier lbhad) made our service and a foreign one.
	for _, args := range [][]string{
		{"-A", "-t", "192.0.2.50:80", "-s", "wlc"},
		{"-a", "-t", "192.0.2.50:80", "-r", "198.51.100.10:80", "-g", "-w", "2"},
		{"-a", "-t", "192.0.2.50:80", "-r", "198.51.100.11:80", "-m", "-w", "3"},
		{"-A", "-u", "203.0.113.9:514", "-s", "rr"},
		{"-a", "-u", "203.0.113.9:514", "-r", "198.51.100.30:514", "-m", "-w", "1"},
	} {
		if _, err := ipvstest.Ipvsadm(ns, args...); err != nil {
			t.Fatal(err)
		}
	}
	before, err := ipvstest.Ipvsadm(ns, "-Ln")
	if err != nil {
		t.Fatal(err)
	}
	v := &config.VirtualServer{Name: "web", Address: netip.MustParseAddrPort("192.0.2.50:80"), Scheduler: "wlc", Quorum: 1,
		RealServers: []*config.RealServer{rsrv("198.51.100.10:80", 2, config.KindDR), rsrv("198.51.100.11:80", 3, config.KindNAT)}}
	r := ipvssync.NewReconciler(h, nil)
	if n, err := r.Sync(ipvssync.Desired([]*config.VirtualServer{v}, ipvssync.Health{})); n != 0 || err != nil {
		t.Errorf("adopting Sync wrote %d, %v; want 0", n, err)
	}
	after, _ := ipvstest.Ipvsadm(ns, "-Ln")
	if diff := cmp.Diff(string(before), string(after)); diff != "" {
		t.Errorf("adoption changed the table:\n%s", diff)
	}
	// Stop removes only ours.
	if n, err := r.Stop(false); n != 1 || err != nil {
		t.Errorf("Stop = %d, %v", n, err)
	}
	left, _ := ipvstest.Ipvsadm(ns, "-Ln")
	if !strings.Contains(string(left), "UDP  203.0.113.9:514 rr") || strings.Contains(string(left), "192.0.2.50:80") {
		t.Errorf("after Stop:\n%s", left)
	}
}

func TestIPVSSyncTimeouts(t *testing.T) {
	ns := syncNS(t)
	h := ipvssync.FromMoby(ipvstest.Handle(t, ns))
	if err := ipvssync.SetTimeouts(h, 60*time.Second, 30*time.Second, 45*time.Second); err != nil {
		t.Fatal(err)
	}
	out, err := ipvstest.Ipvsadm(ns, "-L", "--timeout")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "Timeout (tcp tcpfin udp): 60 30 45" {
		t.Errorf("ipvsadm -L --timeout = %q", got)
	}
	tcp, fin, udp, err := ipvssync.Timeouts(h)
	if err != nil || tcp != 60*time.Second || fin != 30*time.Second || udp != 45*time.Second {
		t.Errorf("Timeouts = %v %v %v %v", tcp, fin, udp, err)
	}
}

func TestIPVSSyncOpen(t *testing.T) {
	err := netnstest.NewNetns(t).Run(func() error {
		h, err := ipvssync.Open()
		if err != nil {
			return err
		}
		defer h.Close()
		got, err := ipvssync.Read(h)
		if err == nil && len(got) != 0 {
			err = fmt.Errorf("fresh netns has %d services", len(got))
		}
		return err
	})
	if err != nil {
		t.Errorf("Open in a fresh netns: %v", err)
	}
}
