//go:build ipvsguest && linux

package ipvsguest

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/ipvstest"
	"github.com/lbhad/lbhad/internal/netnstest"
	"github.com/lbhad/lbhad/ipvssync"
)

// These tests send real HTTP traffic through a table that ipvssync
// programmed from an HCL config, parsed by config.Parse as lbhad does:
//
//	client 192.0.2.2 --veth-- 192.0.2.1 director, VIP 203.0.113.10
//	director br0 198.51.100.1 (DIP) --veth-- rs1 .11, rs2 .12, rs3 .13, sorry .20
//
// In NAT mode the real servers route back through the DIP and listen on
// 8080 (the director maps 80 -> 8080); in DR mode they hold the VIP on lo
// with arp_ignore=1/arp_announce=2 and listen on 80, and the client
// (198.51.100.2, VIP routed via the director) is on their segment, so
// their answers go to it directly.

const trafficVIP = "203.0.113.10"

var trafficRS = []struct {
	name, ip string
	weight   int
}{{"rs1", "198.51.100.11", 3}, {"rs2", "198.51.100.12", 1}, {"rs3", "198.51.100.13", 2}}

const trafficSorryIP = "198.51.100.20"

// trafficHCL is the lbhad config of the director for lbKind NAT or DR.
func trafficHCL(lbKind string, rsPort int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "virtual_server \"web\" {\n  address = \"%s:80\"\n  protocol = \"tcp\"\n  lb_algo = \"wrr\"\n  lb_kind = %q\n", trafficVIP, lbKind)
	if lbKind == "NAT" {
		fmt.Fprintf(&b, "  sorry_server = \"%s:%d\"\n", trafficSorryIP, rsPort)
	}
	for _, rs := range trafficRS {
		fmt.Fprintf(&b, "  real_server %q {\n    address = \"%s:%d\"\n    weight = %d\n  }\n", rs.name, rs.ip, rsPort, rs.weight)
	}
	b.WriteString("}\n")
	return b.String()
}

type trafficLab struct {
	client *netnstest.Netns
	// local is the address a server sees a request arrive on; clientIP
	// the source address it sees.
	local    func(serverIP string) string
	clientIP string
	servers  map[string]string // name -> IP
	http     *http.Client
	ipvs     ipvssync.Kernel
	cfg      []*config.VirtualServer
	health   ipvssync.Health
	rec      *ipvssync.Reconciler

	director *netnstest.Netns
	nss      map[string]*netnstest.Netns // server name -> its namespace
	macs     map[string]string           // MAC -> node name, for the wire log
	wire     *wireLog
	ports    map[uint16]string // client port -> the request that last used it
}

// newTrafficLab builds the namespaces, starts the HTTP servers and parses
// the config; the table is still empty.
func newTrafficLab(t *testing.T, dr bool) *trafficLab {
	t.Helper()
	lbKind, rsPort := "NAT", 8080
	if dr {
		lbKind, rsPort = "DR", 80
	}
	client, director := netnstest.NewNetns(t), netnstest.NewNetns(t)
	hd, err := netlink.NewHandleAt(director.Handle(), unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer hd.Close()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("add bridge", hd.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}))
	must("add dummy", hd.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "vip0"}}))
	br, err := hd.LinkByName("br0")
	must("bridge", err)
	// In DR mode the client sits on the real servers' segment: their
	// answers come from the VIP, which the director would drop as a martian
	// (its own address as source) if it had to route them.
	clientLink := netlink.LinkAttrs{Name: "to-client"}
	clientIP, clientGW := "192.0.2.2/24", "192.0.2.1"
	if dr {
		clientLink.MasterIndex = br.Attrs().Index
		clientIP, clientGW = "198.51.100.2/24", "198.51.100.1"
	}
	must("add veth to client", hd.LinkAdd(&netlink.Veth{LinkAttrs: clientLink, PeerName: "eth0", PeerNamespace: netlink.NsFd(client.FD())}))
	if dr {
		addrUp(t, hd, "to-client", "")
	} else {
		addrUp(t, hd, "to-client", "192.0.2.1/24")
	}
	addrUp(t, hd, "br0", "198.51.100.1/24")
	addrUp(t, hd, "vip0", trafficVIP+"/32")
	addrUp(t, hd, "lo", "")
	must("enable forwarding", director.Run(func() error {
		return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0o644)
	}))
	if dr {
		// In DR the director sees only the client's half of a connection,
		// so a closed one stays in FIN_WAIT for 2 minutes, and the client's
		// kernel hands its port out again after a few hundred connections
		// (seconds here). With the default conn_reuse_mode=1 a SYN matching
		// such an entry is not scheduled but follows it to its old real
		// server: to a deleted one it is dropped, and the request times out
		// (TestTrafficSyncDRPortReuse). Bit 2 reschedules it, as a DR
		// director needs, so each request is one scheduling decision.
		must("conn_reuse_mode", director.Run(func() error {
			return os.WriteFile("/proc/sys/net/ipv4/vs/conn_reuse_mode", []byte("3\n"), 0o644)
		}))
	}

	hc, err := netlink.NewHandleAt(client.Handle(), unix.NETLINK_ROUTE)
	must("client handle", err)
	defer hc.Close()
	addrUp(t, hc, "eth0", clientIP)
	addrUp(t, hc, "lo", "")
	defaultRoute(t, hc, clientGW)

	type server struct{ name, ip string }
	macs := map[string]string{}
	if l, err := hc.LinkByName("eth0"); err == nil {
		macs[l.Attrs().HardwareAddr.String()] = "client"
	}
	nss := map[string]*netnstest.Netns{}
	servers := []server{}
	for _, rs := range trafficRS {
		servers = append(servers, server{rs.name, rs.ip})
	}
	if !dr {
		servers = append(servers, server{"sorry", trafficSorryIP})
	}
	for i, s := range servers {
		ns := netnstest.NewNetns(t)
		veth := fmt.Sprintf("to-%d", i)
		must("add veth to "+s.name, hd.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: veth, MasterIndex: br.Attrs().Index}, PeerName: "eth0", PeerNamespace: netlink.NsFd(ns.FD())}))
		addrUp(t, hd, veth, "")
		h, err := netlink.NewHandleAt(ns.Handle(), unix.NETLINK_ROUTE)
		must("handle of "+s.name, err)
		lo := ""
		if dr {
			// The VIP on lo, and never answered for in ARP.
			lo = trafficVIP + "/32"
			must("arp sysctls", ns.Run(func() error {
				for _, kv := range [][2]string{{"all/arp_ignore", "1"}, {"all/arp_announce", "2"}, {"eth0/arp_ignore", "1"}, {"eth0/arp_announce", "2"}} {
					p := filepath.Join("/proc/sys/net/ipv4/conf", kv[0])
					if err := os.WriteFile(p, []byte(kv[1]+"\n"), 0o644); err != nil {
						return err
					}
				}
				return nil
			}))
		}
		addrUp(t, h, "eth0", s.ip+"/24")
		addrUp(t, h, "lo", lo)
		defaultRoute(t, h, "198.51.100.1")
		if l, err := h.LinkByName("eth0"); err == nil {
			macs[l.Attrs().HardwareAddr.String()] = s.name
		}
		nss[s.name] = ns
		h.Close()
		serveName(t, ns, fmt.Sprintf(":%d", rsPort), s.name)
	}
	// The bridge takes its address from its ports, so only now is it final.
	if l, err := hd.LinkByName("br0"); err == nil {
		macs[l.Attrs().HardwareAddr.String()] = "director"
	}

	cfg, diags := config.Parse([]byte(trafficHCL(lbKind, rsPort)), "traffic.hcl")
	if diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	k := ipvssync.FromMoby(ipvstest.Handle(t, director))
	ips := map[string]string{}
	for _, s := range servers {
		ips[s.name] = s.ip
	}
	return &trafficLab{
		director: director,
		nss:      nss,
		macs:     macs,
		wire:     startWireLog(t, director, "br0"),
		ports:    map[uint16]string{},
		client:   client,
		local: func(ip string) string {
			if dr {
				return net.JoinHostPort(trafficVIP, "80")
			}
			return net.JoinHostPort(ip, "8080")
		},
		clientIP: strings.TrimSuffix(clientIP, "/24"),
		servers:  ips,
		http: &http.Client{
			Timeout: 5 * time.Second,
			Transport: &http.Transport{
				DisableKeepAlives: true, // one IPVS connection, so one scheduling decision, per request
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					var conn net.Conn
					err := client.Run(func() (err error) {
						conn, err = (&net.Dialer{}).DialContext(ctx, network, addr)
						return err
					})
					return conn, err
				},
			},
		},
		ipvs:   k,
		cfg:    cfg.VirtualServers,
		health: ipvssync.Health{Real: map[ipvssync.RealKey]ipvssync.RealState{}},
		rec:    ipvssync.NewReconciler(k, nil),
	}
}

// sync programs the table for the current health, as the daemon does.
func (l *trafficLab) sync(t *testing.T, what string) int {
	t.Helper()
	ipvssync.UpdateQuorum(l.cfg, &l.health)
	t0 := time.Now()
	n, err := l.rec.Sync(ipvssync.Desired(l.cfg, l.health))
	if err != nil {
		t.Fatalf("%s: Sync: %v", what, err)
	}
	t.Logf("%s: Sync wrote %d in %v", what, n, time.Since(t0).Round(time.Microsecond))
	return n
}

func (l *trafficLab) setAlive(name string, alive bool) {
	vs := l.cfg[0]
	for _, rs := range vs.RealServers {
		if rs.Name == name {
			l.health.Real[ipvssync.RealKeyOf(vs, rs)] = ipvssync.RealState{Alive: alive}
		}
	}
}

// get sends n requests to the VIP, one connection each, and counts the
// answers by server name. Any failed request fails the test.
func (l *trafficLab) get(t *testing.T, what string, n int) map[string]int {
	t.Helper()
	hits := map[string]int{}
	t0 := time.Now()
	for i := 0; i < n; i++ {
		r0 := time.Now()
		resp, err := l.http.Get("http://" + trafficVIP + "/")
		if err != nil {
			l.diagnose(t, fmt.Sprintf("%s: request %d failed after %v", what, i, time.Since(r0).Round(time.Millisecond)), r0)
			t.Fatalf("%s: request %d: %v (answers so far %v)", what, i, err, hits)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: request %d: status %d, read error %v", what, i, resp.StatusCode, err)
		}
		name := string(body)
		hits[name]++
		if got, want := resp.Header.Get("X-Local"), l.local(l.servers[name]); got != want {
			t.Fatalf("%s: request %d reached %s on %s, want %s", what, i, name, got, want)
		}
		host, port, _ := net.SplitHostPort(resp.Header.Get("X-Remote"))
		if host != l.clientIP {
			t.Fatalf("%s: request %d reached %s from %s, want the client %s", what, i, name, host, l.clientIP)
		}
		if p, err := strconv.ParseUint(port, 10, 16); err == nil {
			l.ports[uint16(p)] = fmt.Sprintf("%s request %d at %s, answered by %s", what, i, r0.Format("15:04:05.000"), name)
		}
	}
	d := time.Since(t0)
	t.Logf("%s: %d requests in %v (%.0f/s): %s", what, n, d.Round(time.Millisecond), float64(n)/d.Seconds(), shares(hits, n))
	return hits
}

// diagnose logs, after a failed request, what explains it: the frames
// on the director's bridge since the request started, each SYN's client
// port with the request that used that port before and the port's IPVS
// entries (a SYN that matches an old entry is not scheduled), the IPVS
// settings that decide that, and every namespace's neighbours and TCP
// counters (retransmits, PAWS, drops).
func (l *trafficLab) diagnose(t *testing.T, what string, since time.Time) {
	t.Helper()
	since = since.Add(-100 * time.Millisecond)
	var b strings.Builder
	fmt.Fprintf(&b, "%s; the director's bridge since %s:\n%s", what, since.Format("15:04:05.000000"), l.wire.dump(since, l.macs))
	conns := nsCommand(l.director, "ipvsadm", "-Lnc")
	for _, p := range l.wire.synPorts(since, 80) {
		fmt.Fprintf(&b, "client port %d, used before by: %s; its IPVS entries:\n", p, cmp.Or(l.ports[p], "none in this test"))
		for _, line := range strings.Split(conns, "\n") {
			if strings.Contains(line, fmt.Sprintf(":%d ", p)) {
				fmt.Fprintf(&b, "  %s\n", line)
			}
		}
	}
	fmt.Fprintf(&b, "director IPVS entries not in FIN_WAIT:\n")
	for _, line := range strings.Split(conns, "\n") {
		if line != "" && !strings.Contains(line, "FIN_WAIT") {
			fmt.Fprintf(&b, "  %s\n", line)
		}
	}
	for _, k := range []string{"conn_reuse_mode", "expire_nodest_conn"} {
		fmt.Fprintf(&b, "director net.ipv4.vs.%s = %s\n", k, strings.TrimSpace(nsRead(l.director, "/proc/sys/net/ipv4/vs/"+k)))
	}
	fmt.Fprintf(&b, "director neighbours:\n%s", nsCommand(l.director, "ip", "-s", "neigh"))
	fmt.Fprintf(&b, "director links:\n%s", nsCommand(l.director, "ip", "-s", "-o", "link"))
	names := []string{"client"}
	nss := map[string]*netnstest.Netns{"client": l.client}
	for _, rs := range trafficRS {
		names = append(names, rs.name)
		nss[rs.name] = l.nss[rs.name]
	}
	for _, name := range names {
		fmt.Fprintf(&b, "%s neighbours:\n%s", name, nsCommand(nss[name], "ip", "-s", "neigh"))
		fmt.Fprintf(&b, "%s TCP counters: %s\n", name, tcpExtNonZero(nsRead(nss[name], "/proc/thread-self/net/netstat")+nsRead(nss[name], "/proc/thread-self/net/snmp")))
	}
	t.Log(b.String())
}

func shares(hits map[string]int, n int) string {
	names := make([]string, 0, len(hits))
	for k := range hits {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s %d (%.1f%%)", k, hits[k], 100*float64(hits[k])/float64(n))
	}
	return strings.Join(parts, ", ")
}

// checkSplit fails unless every server in weights got its configured share
// of n within 10% of that share, and nobody else answered.
func checkSplit(t *testing.T, what string, hits map[string]int, n int, weights map[string]int) {
	t.Helper()
	total := 0
	for _, w := range weights {
		total += w
	}
	for name, got := range hits {
		if _, ok := weights[name]; !ok {
			t.Errorf("%s: %s answered %d requests, want none", what, name, got)
		}
	}
	for name, w := range weights {
		want := float64(n) * float64(w) / float64(total)
		if got := float64(hits[name]); math.Abs(got-want) > 0.10*want {
			t.Errorf("%s: %s answered %.0f of %d, want %.0f ± 10%%", what, name, got, n, want)
		}
	}
}

func configuredWeights() map[string]int {
	w := map[string]int{}
	for _, rs := range trafficRS {
		w[rs.name] = rs.weight
	}
	return w
}

// serveName answers every request with name, from a listener created
// inside ns on addr.
func serveName(t *testing.T, ns *netnstest.Netns, addr, name string) {
	t.Helper()
	var ln net.Listener
	if err := ns.Run(func() (err error) {
		ln, err = net.Listen("tcp4", addr)
		return err
	}); err != nil {
		t.Fatalf("listen on %s in %s: %v", addr, name, err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Where the connection arrived and came from tell NAT (real
			// server address, client address) from DR (the VIP itself).
			if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
				w.Header().Set("X-Local", a.String())
			}
			w.Header().Set("X-Remote", r.RemoteAddr)
			io.WriteString(w, name)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("%s server: %v", name, err)
		}
	})
}

// TestTrafficSyncNAT: wrr 3:1:2 over NAT with port mapping, then the
// health path through ipvssync alone: one server fails, all fail (sorry
// server), all return.
func TestTrafficSyncNAT(t *testing.T) {
	l := newTrafficLab(t, false)
	if n := l.sync(t, "converge"); n != 1+len(trafficRS) {
		t.Errorf("converge wrote %d, want %d", n, 1+len(trafficRS))
	}
	const n = 420 // at least 400, a multiple of the weight sum 6
	checkSplit(t, "NAT wrr 3:1:2", l.get(t, "NAT wrr 3:1:2", n), n, configuredWeights())

	l.setAlive("rs1", false)
	if w := l.sync(t, "rs1 fails"); w != 1 {
		t.Errorf("rs1 failing took %d writes, want 1", w)
	}
	checkSplit(t, "rs1 dead", l.get(t, "rs1 dead", 120), 120, map[string]int{"rs2": 1, "rs3": 2})

	l.setAlive("rs2", false)
	l.setAlive("rs3", false)
	if w := l.sync(t, "all fail"); w != 3 { // two deletes, the sorry server added
		t.Errorf("all failing took %d writes, want 3", w)
	}
	if hits := l.get(t, "all dead", 30); hits["sorry"] != 30 {
		t.Errorf("all dead: answers %v, want only the sorry server", hits)
	}

	for _, rs := range trafficRS {
		l.setAlive(rs.name, true)
	}
	if w := l.sync(t, "all back"); w != 4 { // the sorry server out, three adds
		t.Errorf("all returning took %d writes, want 4", w)
	}
	checkSplit(t, "all back", l.get(t, "all back", 120), 120, configuredWeights())
	if w := l.sync(t, "unchanged"); w != 0 {
		t.Errorf("unchanged Sync wrote %d", w)
	}
}

// TestTrafficSyncDR: wrr 3:1:2 with direct routing; the answers come back
// from the real servers' VIP on lo, not through IPVS.
func TestTrafficSyncDR(t *testing.T) {
	l := newTrafficLab(t, true)
	if n := l.sync(t, "converge"); n != 1+len(trafficRS) {
		t.Errorf("converge wrote %d, want %d", n, 1+len(trafficRS))
	}
	const n = 420
	checkSplit(t, "DR wrr 3:1:2", l.get(t, "DR wrr 3:1:2", n), n, configuredWeights())

	l.setAlive("rs3", false)
	if w := l.sync(t, "rs3 fails"); w != 1 {
		t.Errorf("rs3 failing took %d writes, want 1", w)
	}
	checkSplit(t, "rs3 dead", l.get(t, "rs3 dead", 120), 120, map[string]int{"rs1": 3, "rs2": 1})
}

// TestTrafficSyncDRPortReuse: a new connection from the client port of an
// earlier, closed connection to a real server that has since failed is
// scheduled to a live server. In DR the director sees only the client's
// half, so the earlier connection's entry stays in FIN_WAIT (2 minutes);
// the client's kernel hands the same port out again within seconds under
// a stream of short connections (measured in TestTrafficSyncDR), and
// unless conn_reuse_mode reschedules a SYN that matches a FIN_WAIT entry,
// the SYN follows the entry to the deleted destination and is dropped.
func TestTrafficSyncDRPortReuse(t *testing.T) {
	l := newTrafficLab(t, true)
	l.sync(t, "converge")
	const port = 40000
	first := l.getFrom(t, "first", port)
	l.setAlive(first, false)
	l.sync(t, first+" fails")
	if second := l.getFrom(t, "second", port); second == first {
		t.Errorf("second connection from port %d reached %s, which failed", port, second)
	}
}

// getFrom sends one request over a new connection from the client's port
// and returns the name of the server that answered; the server closes
// first, so the client's port is free again when it returns.
func (l *trafficLab) getFrom(t *testing.T, what string, port int) string {
	t.Helper()
	r0 := time.Now()
	var conn net.Conn
	err := l.client.Run(func() (err error) {
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{Port: port}}
		conn, err = d.Dial("tcp4", net.JoinHostPort(trafficVIP, "80"))
		return err
	})
	if err != nil {
		l.diagnose(t, fmt.Sprintf("%s: connection from port %d failed after %v", what, port, time.Since(r0).Round(time.Millisecond)), r0)
		t.Fatalf("%s: dial from port %d: %v", what, port, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatalf("%s: send: %v", what, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s: read response: %v", what, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: read body: %v", what, err)
	}
	// Wait for the server's FIN (EOF), so the client closes second.
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Fatalf("%s: wait for the server to close: %v", what, err)
	}
	t.Logf("%s: port %d reached %s", what, port, body)
	l.ports[uint16(port)] = fmt.Sprintf("%s at %s, answered by %s", what, r0.Format("15:04:05.000"), body)
	return string(body)
}
