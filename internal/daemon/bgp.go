package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/bgp"
	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/ipvssync"
)

// bgpCallTimeout bounds one call into the BGP speaker.
const bgpCallTimeout = 5 * time.Second

// bgpComponent announces the addresses of the virtual servers with
// announce = true while they have quorum (bgp.Table decides), fed by
// the IPVS component's quorum changes and the director's maintenance.
// It is the last part to start and the first to stop: on SIGTERM it
// withdraws every route, waits withdraw_wait for the routers to move
// the flows, and only then do IPVS and VRRP stop.
//
// Locks: speakMu makes decisions and speaker calls one at a time, so
// the speaker sees changes in the order the table made them; mu guards
// the inputs and is never held across a speaker call.
type bgpComponent struct {
	log   *zap.Logger
	open  func() bgp.Speaker
	clock clock.Clock
	bgpLinks

	speakMu sync.Mutex
	speaker bgp.Speaker
	table   bgp.Table

	mu       sync.Mutex
	cfg      *config.BGP
	services []bgp.Service
	quorum   map[string]bool // virtual server name -> quorum, once known
	stopping bool
}

// bgpLinks are whom the BGP component asks and tells; a nil field is
// nobody.
type bgpLinks struct {
	// directorMaint says whether the whole director is in maintenance.
	directorMaint func() bool
	// changed is told after routes were announced or withdrawn.
	changed func()
	// setSloppy turns on IPVS's sloppy_tcp and/or sloppy_sctp.
	setSloppy func(tcp, sctp bool) error
}

func newBGPComponent(log *zap.Logger, open func() bgp.Speaker, clk clock.Clock, links bgpLinks) *bgpComponent {
	log = log.With(zap.String("component", "bgp"))
	if open == nil && bgp.NewDefault != nil {
		open = func() bgp.Speaker { return bgp.NewDefault(log) }
	}
	return &bgpComponent{log: log, open: open, clock: clock.OrReal(clk), bgpLinks: links, quorum: map[string]bool{}}
}

func (c *bgpComponent) Name() string { return "bgp" }

// Check accepts every valid config (the bgp block was checked by the
// config package, and the speaker opens no socket before Apply) but a
// bgp block in a binary built without the speaker: that one is refused
// with bgp.ErrNotLinked, at start (cmd/lbhad then runs the full binary)
// and on reload (the running config stays; a restart starts BGP).
func (c *bgpComponent) Check(cfg *config.Config) error {
	if cfg.BGP != nil && c.open == nil {
		return fmt.Errorf("a bgp block needs a restart of lbhad (the running binary has no BGP speaker): %w", bgp.ErrNotLinked)
	}
	return nil
}

func (c *bgpComponent) Apply(ctx context.Context, cfg *config.Config) error {
	c.mu.Lock()
	c.cfg, c.services = cfg.BGP, bgp.ServicesOf(cfg)
	if cfg.BGP == nil {
		c.services = nil // withdraws whatever was announced
	}
	c.mu.Unlock()

	c.speakMu.Lock()
	defer c.speakMu.Unlock()
	if cfg.BGP == nil {
		err := c.updateHeld(ctx)
		if c.speaker != nil {
			err = errors.Join(err, c.speaker.Stop(ctx))
			c.speaker = nil
			c.log.Info("bgp stopped: no bgp block")
		}
		return err
	}
	c.sloppy(cfg)
	if c.speaker == nil {
		c.speaker = c.open()
	}
	if err := c.speaker.Apply(ctx, cfg.BGP); err != nil {
		return err
	}
	return c.updateHeld(ctx)
}

// sloppy turns on IPVS's sloppy mode for the protocols of the
// announced virtual services before anything is announced: after an
// ECMP rehash (a director gone, one added) a director sees flows
// another one started, mid-stream; without sloppy_tcp IPVS creates no
// connection for a packet that is not a SYN and the flow is reset.
// Only turned on, never off: the setting is the network namespace's,
// and an operator may want it for other reasons. A failure is logged,
// not fatal: new flows still work, only rehashed ones break.
func (c *bgpComponent) sloppy(cfg *config.Config) {
	if !cfg.BGP.IPVSSloppy || c.setSloppy == nil {
		return
	}
	tcp, sctp := sloppyNeeds(cfg)
	if !tcp && !sctp {
		return
	}
	if err := c.setSloppy(tcp, sctp); err != nil {
		c.log.Error("ipvs sloppy mode; flows that an ECMP rehash moves to this director will be reset", zap.Error(err))
		return
	}
	c.log.Info("ipvs sloppy mode on", zap.Bool("sloppy_tcp", tcp), zap.Bool("sloppy_sctp", sctp))
}

// sloppyNeeds says which sloppy settings the announced virtual
// services need: TCP's and SCTP's (UDP has no connection setup).
func sloppyNeeds(cfg *config.Config) (tcp, sctp bool) {
	for _, vs := range cfg.VirtualServers {
		if !vs.Announce {
			continue
		}
		switch vs.Protocol {
		case config.TCP:
			tcp = true
		case config.SCTP:
			sctp = true
		}
	}
	return tcp, sctp
}

// QuorumChange is the IPVS component's onQuorum link.
func (c *bgpComponent) QuorumChange(qc ipvssync.QuorumChange) {
	c.mu.Lock()
	c.quorum[qc.VirtualServer.Name] = qc.Up
	c.mu.Unlock()
	c.update()
}

// MaintChanged is told after the director's maintenance changed.
func (c *bgpComponent) MaintChanged() { c.update() }

func (c *bgpComponent) update() {
	ctx, cancel := context.WithTimeout(context.Background(), bgpCallTimeout)
	defer cancel()
	c.speakMu.Lock()
	defer c.speakMu.Unlock()
	if err := c.updateHeld(ctx); err != nil {
		c.log.Error("bgp update", zap.Error(err))
	}
}

// updateHeld decides the routes and makes the changes; speakMu held.
// The table keeps its decision even when the speaker refuses a change
// (logged): GoBGP refuses only a malformed path or a call to a stopped
// server, and a restarted server re-announces every path it holds.
func (c *bgpComponent) updateHeld(ctx context.Context) error {
	in := c.input()
	changes := c.table.Update(c.clock.Now(), in)
	if c.speaker == nil {
		return nil
	}
	var errs []error
	for _, ch := range changes {
		var err error
		if ch.Announce {
			err = c.speaker.Announce(ctx, ch.Prefix)
		} else {
			err = c.speaker.Withdraw(ctx, ch.Prefix)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.log.Info("bgp route", zap.Stringer("prefix", ch.Prefix), zap.Bool("announced", ch.Announce), zap.String("reason", ch.Reason))
	}
	if len(changes) > 0 && c.changed != nil {
		c.changed()
	}
	return errors.Join(errs...)
}

func (c *bgpComponent) input() bgp.Input {
	maint := c.directorMaint != nil && c.directorMaint()
	c.mu.Lock()
	defer c.mu.Unlock()
	in := bgp.Input{DirectorMaint: maint, Stopping: c.stopping}
	for _, s := range c.services {
		s.Quorum, s.Known = c.quorum[s.Name]
		in.Services = append(in.Services, s)
	}
	return in
}

// Stop withdraws every route first, waits withdraw_wait (when something
// was announced) so routers move the flows while this director still
// forwards them, then closes the sessions.
func (c *bgpComponent) Stop(ctx context.Context) error {
	c.mu.Lock()
	c.stopping = true
	cfg := c.cfg
	c.mu.Unlock()

	c.speakMu.Lock()
	defer c.speakMu.Unlock()
	if c.speaker == nil {
		return nil
	}
	had := len(c.table.Announced()) > 0
	err := c.updateHeld(ctx)
	if had && cfg != nil && cfg.WithdrawWait > 0 {
		c.log.Info("routes withdrawn; waiting before the rest stops", zap.Duration("withdraw_wait", cfg.WithdrawWait))
		t := c.clock.NewTimer(cfg.WithdrawWait)
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
		}
	}
	err = errors.Join(err, c.speaker.Stop(ctx))
	c.speaker = nil
	return err
}

// BGPStatus is the component's part of lbhad status and the metrics.
type BGPStatus struct {
	Sessions []bgp.Session
	Routes   []bgp.Route
	Err      error // the speaker could not list its sessions
}

// Status reports the sessions and the routes; nil without a bgp block.
func (c *bgpComponent) Status() *BGPStatus {
	c.speakMu.Lock()
	sp, routes := c.speaker, c.table.Routes()
	c.speakMu.Unlock()
	if sp == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), bgpCallTimeout)
	defer cancel()
	st := &BGPStatus{Routes: routes}
	st.Sessions, st.Err = sp.Sessions(ctx)
	return st
}

// announced reports whether p is announced, for tests.
func (c *bgpComponent) announced(p netip.Prefix) bool {
	c.speakMu.Lock()
	defer c.speakMu.Unlock()
	for _, a := range c.table.Announced() {
		if a == p {
			return true
		}
	}
	return false
}

// bgpSnapshot converts the component's status for lbhad status and the
// metrics; nil stays nil.
func bgpSnapshot(st *BGPStatus) *control.BGPStatus {
	if st == nil {
		return nil
	}
	out := &control.BGPStatus{Sessions: []control.BGPSession{}, Routes: []control.BGPRoute{}}
	if st.Err != nil {
		out.Error = st.Err.Error()
	}
	for _, s := range st.Sessions {
		out.Sessions = append(out.Sessions, control.BGPSession{Neighbor: s.Neighbor, Address: s.Address.String(), State: s.State, Up: s.Up})
	}
	for _, r := range st.Routes {
		out.Routes = append(out.Routes, control.BGPRoute{Prefix: r.Prefix.String(), Announced: r.Announced, Since: r.Since, Reason: r.Reason, VirtualServers: r.Services})
	}
	return out
}
