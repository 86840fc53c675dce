//go:build !nogobgp

package bgp

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	api "github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	gbgp "github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"
	"go.uber.org/zap/zaptest"

	"github.com/lbhad/lbhad/config"
)

// router is a second GoBGP on loopback standing in for a router: it
// listens, accepts lbhad's session passively, and reports the routes
// it learnt.
func router(t *testing.T) (srv *server.BgpServer, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	srv = server.NewBgpServer()
	go srv.Serve()
	ctx := context.Background()
	if err := srv.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn: 64500, RouterId: "192.0.2.254", ListenPort: int32(port), ListenAddresses: []string{"127.0.0.1"},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddPeer(ctx, &api.AddPeerRequest{Peer: &api.Peer{
		Conf:      &api.PeerConf{NeighborAddress: "127.0.0.1", PeerAsn: 64512},
		Transport: &api.Transport{PassiveMode: true},
	}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.StopBgp(context.Background(), &api.StopBgpRequest{}); srv.Stop() })
	return srv, port
}

// learnt returns the router's route to p and its next hop, if any.
func learnt(t *testing.T, srv *server.BgpServer, p netip.Prefix) (netip.Addr, bool) {
	t.Helper()
	var nh netip.Addr
	found := false
	err := srv.ListPath(apiutil.ListPathRequest{TableType: api.TableType_TABLE_TYPE_GLOBAL, Family: gbgp.RF_IPv4_UC},
		func(nlri gbgp.NLRI, paths []*apiutil.Path) {
			if nlri.String() != p.String() {
				return
			}
			for _, path := range paths {
				for _, a := range path.Attrs {
					if n, ok := a.(*gbgp.PathAttributeNextHop); ok {
						nh, found = n.Value, true
					}
				}
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	return nh, found
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // GoBGP retries a connect every 5s
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestGoBGPOverLoopback drives the adapter against a second GoBGP: the
// session comes up, an announced /32 arrives with next hop self, a
// withdrawn one leaves, a changed neighbor is replaced and the path
// announced again, and Stop ends the session.
func TestGoBGPOverLoopback(t *testing.T) {
	rt, port := router(t)
	g := NewGoBGP(zaptest.NewLogger(t))
	ctx := context.Background()
	cfg := &config.BGP{ASN: 64512, RouterID: netip.MustParseAddr("192.0.2.1"), Neighbors: []*config.BGPNeighbor{{
		Name: "r1", Address: netip.MustParseAddr("127.0.0.1"), Port: port, RemoteASN: 64500,
		HoldTime: 9 * time.Second, Keepalive: 3 * time.Second,
	}}}
	if err := g.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Stop(context.Background()) })
	up := func() bool {
		s, err := g.Sessions(ctx)
		return err == nil && len(s) == 1 && s[0].Up && s[0].Neighbor == "r1" && s[0].State == "established"
	}
	waitFor(t, "session established", up)

	vip := netip.MustParsePrefix("192.0.2.80/32")
	if err := g.Announce(ctx, vip); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "route at the router", func() bool { _, ok := learnt(t, rt, vip); return ok })
	if nh, _ := learnt(t, rt, vip); nh != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("next hop %v, want the session's own address (next hop self)", nh)
	}
	if err := g.Withdraw(ctx, vip); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "route withdrawn", func() bool { _, ok := learnt(t, rt, vip); return !ok })

	// A changed neighbor is replaced; the paths held are sent again.
	if err := g.Announce(ctx, vip); err != nil {
		t.Fatal(err)
	}
	changed := *cfg
	n := *cfg.Neighbors[0]
	n.HoldTime, n.Keepalive = 30*time.Second, 10*time.Second
	changed.Neighbors = []*config.BGPNeighbor{&n}
	if err := g.Apply(ctx, &changed); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "session back after the change", up)
	waitFor(t, "route at the router again", func() bool { _, ok := learnt(t, rt, vip); return ok })

	if err := g.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "route gone with the session", func() bool { _, ok := learnt(t, rt, vip); return !ok })
	if s, _ := g.Sessions(ctx); len(s) != 0 {
		t.Errorf("sessions after Stop: %+v", s)
	}
}
