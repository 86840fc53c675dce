//go:build !nogobgp

package bgp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"

	api "github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	gbgp "github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"
	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
)

// GoBGP is the Speaker backed by an embedded GoBGP server: no gRPC
// listener, no other process. It is the only file that speaks GoBGP's
// types.
type GoBGP struct {
	log *zap.Logger

	mu        sync.Mutex
	srv       *server.BgpServer
	global    *config.BGP // what srv was started with
	neighbors map[netip.Addr]*config.BGPNeighbor
	paths     map[netip.Prefix]bool // re-announced after a restart
}

// NewGoBGP returns a stopped speaker; Apply starts it. log nil is none.
func NewGoBGP(log *zap.Logger) *GoBGP {
	if log == nil {
		log = zap.NewNop()
	}
	return &GoBGP{log: log, neighbors: map[netip.Addr]*config.BGPNeighbor{}, paths: map[netip.Prefix]bool{}}
}

func (g *GoBGP) Apply(ctx context.Context, cfg *config.BGP) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.srv != nil && !sameGlobal(g.global, cfg) {
		g.stopLocked(ctx)
	}
	if g.srv == nil {
		if err := g.startLocked(ctx, cfg); err != nil {
			return err
		}
	}
	want := map[netip.Addr]*config.BGPNeighbor{}
	for _, n := range cfg.Neighbors {
		want[n.Address] = n
	}
	var errs []error
	for a, old := range g.neighbors {
		if n := want[a]; n == nil || *n != *old {
			if err := g.srv.DeletePeer(ctx, &api.DeletePeerRequest{Address: a.String()}); err != nil {
				errs = append(errs, fmt.Errorf("delete bgp neighbor %s: %w", a, err))
			}
			delete(g.neighbors, a)
		}
	}
	for a, n := range want {
		if g.neighbors[a] != nil {
			continue
		}
		if err := g.srv.AddPeer(ctx, &api.AddPeerRequest{Peer: peerOf(n)}); err != nil {
			errs = append(errs, fmt.Errorf("add bgp neighbor %s (%s): %w", n.Name, a, err))
			continue
		}
		c := *n
		g.neighbors[a] = &c
	}
	return errors.Join(errs...)
}

func sameGlobal(a, b *config.BGP) bool {
	return a.ASN == b.ASN && a.RouterID == b.RouterID && a.ListenPort == b.ListenPort
}

func (g *GoBGP) startLocked(ctx context.Context, cfg *config.BGP) error {
	lvl := &slog.LevelVar{}
	lvl.Set(slog.LevelWarn) // GoBGP logs every state change at info; status shows them
	srv := server.NewBgpServer(server.LoggerOption(slog.New(zapHandler{g.log, nil}), lvl))
	go srv.Serve()
	port := int32(cfg.ListenPort)
	if port == 0 {
		port = -1 // GoBGP: do not listen
	}
	if err := srv.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn: cfg.ASN, RouterId: cfg.RouterID.String(), ListenPort: port,
	}}); err != nil {
		srv.Stop()
		return fmt.Errorf("start bgp: %w", err)
	}
	g.srv, g.global = srv, cfg
	g.neighbors = map[netip.Addr]*config.BGPNeighbor{}
	for p := range g.paths {
		if err := g.pathLocked(p, false); err != nil {
			return err
		}
	}
	return nil
}

func peerOf(n *config.BGPNeighbor) *api.Peer {
	p := &api.Peer{
		Conf: &api.PeerConf{NeighborAddress: n.Address.String(), PeerAsn: n.RemoteASN, AuthPassword: n.Password, Description: n.Name},
		Timers: &api.Timers{Config: &api.TimersConfig{
			HoldTime: uint64(n.HoldTime.Seconds()), KeepaliveInterval: uint64(n.Keepalive.Seconds()), ConnectRetry: 5,
		}},
		Transport: &api.Transport{RemotePort: uint32(n.Port)},
	}
	if n.Multihop > 0 {
		p.EbgpMultihop = &api.EbgpMultihop{Enabled: true, MultihopTtl: uint32(n.Multihop)}
	}
	return p
}

func (g *GoBGP) Announce(_ context.Context, p netip.Prefix) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.paths[p] = true
	if g.srv == nil {
		return nil // announced when it starts
	}
	return g.pathLocked(p, false)
}

func (g *GoBGP) Withdraw(_ context.Context, p netip.Prefix) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.paths, p)
	if g.srv == nil {
		return nil
	}
	return g.pathLocked(p, true)
}

// pathLocked adds or deletes p's path. The next hop is unspecified, so
// GoBGP puts the session's own address (next hop self).
func (g *GoBGP) pathLocked(p netip.Prefix, withdraw bool) error {
	nlri, err := gbgp.NewIPAddrPrefix(p)
	if err != nil {
		return fmt.Errorf("bgp path %s: %w", p, err)
	}
	family, nh := gbgp.RF_IPv4_UC, netip.IPv4Unspecified()
	attrs := []gbgp.PathAttributeInterface{gbgp.NewPathAttributeOrigin(gbgp.BGP_ORIGIN_ATTR_TYPE_IGP)}
	if p.Addr().Is4() {
		a, err := gbgp.NewPathAttributeNextHop(nh)
		if err != nil {
			return fmt.Errorf("bgp path %s: %w", p, err)
		}
		attrs = append(attrs, a)
	} else {
		family = gbgp.RF_IPv6_UC
		a, err := gbgp.NewPathAttributeMpReachNLRI(family, []gbgp.PathNLRI{{NLRI: nlri}}, netip.IPv6Unspecified())
		if err != nil {
			return fmt.Errorf("bgp path %s: %w", p, err)
		}
		attrs = append(attrs, a)
	}
	path := &apiutil.Path{Family: family, Nlri: nlri, Attrs: attrs}
	if withdraw {
		if err := g.srv.DeletePath(apiutil.DeletePathRequest{Paths: []*apiutil.Path{path}}); err != nil {
			return fmt.Errorf("withdraw %s: %w", p, err)
		}
		return nil
	}
	if _, err := g.srv.AddPath(apiutil.AddPathRequest{Paths: []*apiutil.Path{path}}); err != nil {
		return fmt.Errorf("announce %s: %w", p, err)
	}
	return nil
}

func (g *GoBGP) Sessions(ctx context.Context) ([]Session, error) {
	g.mu.Lock()
	srv, names := g.srv, map[string]string{}
	for a, n := range g.neighbors {
		names[a.String()] = n.Name
	}
	g.mu.Unlock()
	if srv == nil {
		return nil, nil
	}
	var out []Session
	err := srv.ListPeer(ctx, &api.ListPeerRequest{}, func(p *api.Peer) {
		if p.Conf == nil || p.State == nil {
			return
		}
		a, _ := netip.ParseAddr(p.Conf.NeighborAddress)
		out = append(out, Session{
			Neighbor: names[p.Conf.NeighborAddress], Address: a,
			State: stateName(p.State.SessionState),
			Up:    p.State.SessionState == api.PeerState_SESSION_STATE_ESTABLISHED,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list bgp neighbors: %w", err)
	}
	return out, nil
}

// stateName maps GoBGP's enum by name to RFC 4271's state names.
func stateName(s api.PeerState_SessionState) string {
	n := strings.TrimPrefix(s.String(), "SESSION_STATE_")
	return strings.ToLower(n)
}

func (g *GoBGP) Stop(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopLocked(ctx)
	return nil
}

// stopLocked closes the sessions (a CEASE to each router, which drops
// our routes at once) and the server.
func (g *GoBGP) stopLocked(ctx context.Context) {
	if g.srv == nil {
		return
	}
	// Server.Stop sends the CEASEs (its own StopBgp, which must not run
	// twice: a second one fails with "not running", logged as an error)
	// and stops the BFD server, but takes no context: bound the wait by
	// ours and leave a stuck stop behind rather than block shutdown.
	srv := g.srv
	done := make(chan struct{})
	go func() { srv.Stop(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		g.log.Warn("stop bgp: not finished in time, leaving it", zap.Error(ctx.Err()))
	}
	g.srv, g.global = nil, nil
	g.neighbors = map[netip.Addr]*config.BGPNeighbor{}
}
