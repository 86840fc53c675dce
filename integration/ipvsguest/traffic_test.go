//go:build ipvsguest && linux

package ipvsguest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/moby/ipvs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/internal/ipvstest"
	"github.com/lbhad/lbhad/internal/netnstest"
)

// TestNATTraffic sends HTTP requests from a client namespace through a
// director's VIP to two real servers in NAT (Masq) mode:
//
//	client 192.0.2.2 --veth-- 192.0.2.1 director (VIP 203.0.113.10 on dummy)
//	director br0 198.51.100.1 --veth-- rs1 198.51.100.11, rs2 198.51.100.12
func TestNATTraffic(t *testing.T) {
	client, director := netnstest.NewNetns(t), netnstest.NewNetns(t)
	rs := []*netnstest.Netns{netnstest.NewNetns(t), netnstest.NewNetns(t)}
	rsIP := []string{"198.51.100.11", "198.51.100.12"}

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
	// Director side: veth to the client, a bridge to the real servers and a
	// dummy holding the VIP.
	must("add veth to client", hd.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "to-client"}, PeerName: "eth0", PeerNamespace: netlink.NsFd(client.FD())}))
	must("add bridge", hd.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}))
	must("add dummy", hd.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "vip0"}}))
	br, err := hd.LinkByName("br0")
	must("bridge", err)
	for i, ns := range rs {
		name := fmt.Sprintf("to-rs%d", i+1)
		must("add veth to rs", hd.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name, MasterIndex: br.Attrs().Index}, PeerName: "eth0", PeerNamespace: netlink.NsFd(ns.FD())}))
	}
	addrUp(t, hd, "to-client", "192.0.2.1/24")
	addrUp(t, hd, "br0", "198.51.100.1/24")
	addrUp(t, hd, "vip0", "203.0.113.10/32")
	addrUp(t, hd, "to-rs1", "")
	addrUp(t, hd, "to-rs2", "")
	addrUp(t, hd, "lo", "")
	must("enable forwarding", director.Run(func() error {
		return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0o644)
	}))

	hc, err := netlink.NewHandleAt(client.Handle(), unix.NETLINK_ROUTE)
	must("client handle", err)
	defer hc.Close()
	addrUp(t, hc, "eth0", "192.0.2.2/24")
	addrUp(t, hc, "lo", "")
	defaultRoute(t, hc, "192.0.2.1")

	for i, ns := range rs {
		h, err := netlink.NewHandleAt(ns.Handle(), unix.NETLINK_ROUTE)
		must("rs handle", err)
		addrUp(t, h, "eth0", rsIP[i]+"/24")
		addrUp(t, h, "lo", "")
		defaultRoute(t, h, "198.51.100.1")
		h.Close()
		serveHTTP(t, ns, fmt.Sprintf("rs%d", i+1))
	}

	ih := ipvstest.Handle(t, director)
	svc := tcpService("203.0.113.10", 80, "rr")
	must("NewService", ih.NewService(svc))
	for _, ip := range rsIP {
		must("NewDestination", ih.NewDestination(svc, &ipvs.Destination{
			AddressFamily: syscall.AF_INET, Address: net.ParseIP(ip), Port: 8080,
			ConnectionFlags: ipvs.ConnectionFlagMasq, Weight: 1,
		}))
	}

	c := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				var conn net.Conn
				err := client.Run(func() (err error) {
					conn, err = (&net.Dialer{}).DialContext(ctx, network, addr)
					return err
				})
				return conn, err
			},
		},
	}
	const requests = 100
	hits := map[string]int{}
	for i := 0; i < requests; i++ {
		resp, err := c.Get("http://203.0.113.10/")
		if err != nil {
			t.Fatalf("request %d through the VIP: %v (hits so far %v)", i, err, hits)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("request %d: read body: %v", i, err)
		}
		hits[string(body)]++
	}
	t.Logf("hits per real server: %v", hits)
	if hits["rs1"] == 0 || hits["rs2"] == 0 || hits["rs1"]+hits["rs2"] != requests {
		t.Errorf("hits = %v, want %d requests spread over rs1 and rs2", hits, requests)
	}
	// The kernel folds its per-CPU counters into what it reports every two
	// seconds (the rate estimator), so wait for the count to settle.
	var conns uint32
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		got, err := ih.GetService(svc)
		must("GetService", err)
		if conns = got.Stats.Connections; conns >= requests || time.Now().After(deadline) {
			break
		}
	}
	if conns != requests {
		t.Errorf("IPVS counted %d connections, want %d", conns, requests)
	}
}

func addrUp(t *testing.T, h *netlink.Handle, name, cidr string) {
	t.Helper()
	l, err := h.LinkByName(name)
	if err != nil {
		t.Fatalf("link %s: %v", name, err)
	}
	if cidr != "" {
		a, err := netlink.ParseAddr(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.AddrAdd(l, a); err != nil {
			t.Fatalf("add %s to %s: %v", cidr, name, err)
		}
	}
	if err := h.LinkSetUp(l); err != nil {
		t.Fatalf("set %s up: %v", name, err)
	}
}

func defaultRoute(t *testing.T, h *netlink.Handle, gw string) {
	t.Helper()
	if err := h.RouteAdd(&netlink.Route{Gw: net.ParseIP(gw)}); err != nil {
		t.Fatalf("default route via %s: %v", gw, err)
	}
}

// serveHTTP answers every request with name, from a listener created inside
// ns (the accepted connections inherit its namespace).
func serveHTTP(t *testing.T, ns *netnstest.Netns, name string) {
	t.Helper()
	var ln net.Listener
	if err := ns.Run(func() (err error) {
		ln, err = net.Listen("tcp4", ":8080")
		return err
	}); err != nil {
		t.Fatalf("listen in %s: %v", name, err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, name) }),
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
