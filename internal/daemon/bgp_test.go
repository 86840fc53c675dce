package daemon

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/bgp"
	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/ipvssync"
)

// TestBGPFollowsQuorumMaintAndStop runs the daemon as built for
// production, IPVS on the fake kernel and BGP on the fake speaker: the
// VIP is announced once its real server's tcp_check passes, withdrawn
// when the server's listener closes (quorum lost) and when the director
// goes into maintenance, and withdrawn before the speaker stops.
func TestBGPFollowsQuorumMaintAndStop(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	conf := fmt.Sprintf(`
global { control_socket = "%s" }
bgp {
  asn           = 64512
  router_id     = "192.0.2.1"
  withdraw_wait = "50ms"
  neighbor "r1" {
    address    = "192.0.2.254"
    remote_asn = 64500
  }
}
virtual_server "web" {
  address  = "192.0.2.80:%d"
  announce = true
  real_server "a" {
    address = "127.0.0.1:%d"
    tcp_check {
      delay_loop      = 0.1
      connect_timeout = 0.5
    }
  }
}
virtual_server "quiet" {
  address  = "192.0.2.81:%d"
  real_server "a" {
    address = "127.0.0.1:%d"
  }
}
`, filepath.Join(dir, "lbhad.sock"), port, port, port, port)
	path := filepath.Join(dir, "lbhad.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	sp := &bgp.Fake{}
	ports := fakeIPVS(ipvssync.NewFakeKernel())
	ports.NewSpeaker = func() bgp.Speaker { return sp }
	p := runBuilt(t, Options{ConfigPath: path, Ports: ports})

	vip := netip.MustParsePrefix("192.0.2.80/32")
	has := func() bool { return slices.Contains(sp.Paths(), vip) }
	const bound = 10 * time.Second
	eventually(t, "VIP announced with quorum", bound, has)
	if got := sp.Paths(); len(got) != 1 {
		t.Errorf("announced %v, want only %v (quiet has no announce)", got, vip)
	}
	if sp.Cfg == nil || sp.Cfg.ASN != 64512 {
		t.Errorf("speaker config %+v", sp.Cfg)
	}

	ln.Close()
	eventually(t, "VIP withdrawn on quorum loss", bound, func() bool { return !has() })
	ln, err = net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	eventually(t, "VIP announced again", bound, has)

	r, err := maintCmd(t, p.Maint, control.MaintArgs{Target: "director", On: true})
	if err != nil {
		t.Fatal(err) // a director with bgp and no vrrp_instance accepts it
	}
	if !strings.Contains(r.Message, "BGP routes withdrawn") {
		t.Errorf("maint reply %q does not say the routes are withdrawn", r.Message)
	}
	if has() {
		t.Error("VIP still announced right after maint director on")
	}
	st := p.BGP.Status()
	if st == nil || len(st.Routes) != 1 || st.Routes[0].Announced || st.Routes[0].Reason != bgp.ReasonMaint {
		t.Errorf("status in maintenance: %+v", st)
	}
	if _, err := maintCmd(t, p.Maint, control.MaintArgs{Target: "director", On: false}); err != nil {
		t.Fatal(err)
	}
	if !has() {
		t.Error("VIP not announced right after maint director off")
	}

	if err := p.BGP.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls := sp.CallLog()
	if n := len(calls); n < 2 || calls[n-2] != "withdraw "+vip.String() || calls[n-1] != "stop" {
		t.Errorf("last speaker calls %q, want the withdrawal then stop", calls)
	}
}

// A reload that drops the bgp block withdraws every route and stops the
// speaker; one that brings it back starts it again.
func TestBGPReloadWithoutBlock(t *testing.T) {
	sp := &bgp.Fake{}
	c := newBGPComponent(zaptest.NewLogger(t), func() bgp.Speaker { return sp }, nil, bgpLinks{})
	cfg := &config.Config{
		BGP:            &config.BGP{ASN: 64512},
		VirtualServers: []*config.VirtualServer{{Name: "web", Address: netip.MustParseAddrPort("192.0.2.80:80"), Announce: true}},
	}
	ctx := context.Background()
	if err := c.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	c.QuorumChange(ipvssync.QuorumChange{VirtualServer: cfg.VirtualServers[0], Up: true, Initial: true})
	vip := netip.MustParsePrefix("192.0.2.80/32")
	if !c.announced(vip) || !slices.Equal(sp.Paths(), []netip.Prefix{vip}) {
		t.Fatalf("not announced: %v", sp.Paths())
	}
	noBGP := &config.Config{VirtualServers: cfg.VirtualServers}
	if err := c.Apply(ctx, noBGP); err != nil {
		t.Fatal(err)
	}
	calls := sp.CallLog()
	if n := len(calls); n < 2 || calls[n-2] != "withdraw "+vip.String() || calls[n-1] != "stop" {
		t.Errorf("calls %q, want the withdrawal then stop", calls)
	}
	if c.Status() != nil {
		t.Error("status without a bgp block")
	}
	if err := c.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sp.Paths(), []netip.Prefix{vip}) {
		t.Errorf("not announced again after the block came back: %v", sp.Paths())
	}
}
