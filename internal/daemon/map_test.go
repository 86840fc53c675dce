package daemon

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/vrrp"
)

const mapConf = `
global { script_user = "nobody" }
vrrp_script "chk" {
  script = "/bin/true"
  interval = 2
  weight = -20
  fall = 2
}
vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 51
  priority = 150
  authentication {
    auth_type = "PASS"
    auth_pass = "pw12"
  }
  virtual_ipaddress = ["192.0.2.50/24", "192.0.2.51 dev eth1 label eth1:vip"]
  track_script "chk" {}
}
vrrp_instance "VI_2" {
  interface = "eth0"
  virtual_router_id = 52
  unicast_src_ip = "192.0.2.11"
  unicast_peer = ["192.0.2.12"]
  virtual_ipaddress = ["192.0.2.60"]
}
virtual_server "web" {
  address = "192.0.2.50:80"
  lb_kind = "dr"
  real_server "a" {
    address = "198.51.100.7:80"
    http_get { path = "/health" }
  }
  real_server "b" {
    address = "198.51.100.8:80"
    tcp_check {}
  }
  real_server "c" {
    address = "198.51.100.9:80"
  }
}
`

func mustParse(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, diags := config.Parse([]byte(src), "test.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

func TestVRRPConfigMapping(t *testing.T) {
	cfg := mustParse(t, mapConf)
	vc := vrrpConfig(cfg)
	if len(vc.Instances) != 2 {
		t.Fatalf("got %d instances", len(vc.Instances))
	}
	in := vc.Instances[0]
	if in.SrcAddr.IsValid() || in.AuthType != vrrp.AuthSimple || in.AuthPass != "pw12" || in.Priority != 150 {
		t.Errorf("VI_1 mapped wrong: %+v", in)
	}
	wantVIPs := []vrrp.VIPAddr{
		{Prefix: netip.MustParsePrefix("192.0.2.50/24"), Dev: "eth0"},
		{Prefix: netip.MustParsePrefix("192.0.2.51/32"), Dev: "eth1", Label: "eth1:vip"},
	}
	if diff := cmp.Diff(wantVIPs, in.VIPs, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("VIPs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]vrrp.TrackScript{{Name: "chk", Weight: -20}}, in.TrackScripts); diff != "" {
		t.Errorf("track scripts (-want +got):\n%s", diff)
	}
	if in.GARPMasterRepeat != 5 || in.GARPMasterDelay != 5*time.Second {
		t.Errorf("garp defaults not carried: %+v", in)
	}
	if vc.Instances[1].SrcAddr != netip.MustParseAddr("192.0.2.11") {
		t.Errorf("unicast_src_ip not used: %v", vc.Instances[1].SrcAddr)
	}
	opts := transportOptions(vc)
	if got := opts["eth0"]; got.SrcIP != netip.MustParseAddr("192.0.2.11") || len(got.UnicastPeers) != 1 {
		t.Errorf("transport options for eth0: %+v", got)
	}
	// The virtual server's address is announced after the others.
	if diff := cmp.Diff([]netip.Addr{netip.MustParseAddr("192.0.2.50")}, vc.ServiceAddrs, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("service addresses (-want +got):\n%s", diff)
	}
}

// Every instance and sync group is passed on, whatever the state of its
// interface: the router makes an instance whose interface is missing or
// has no address wait, alone, and says so in its status.
func TestVRRPConfigKeepsWaitingInstances(t *testing.T) {
	cfg := mustParse(t, `
vrrp_instance "A" {
  interface = "eth0"
  virtual_router_id = 1
  virtual_ipaddress = ["192.0.2.50"]
}
vrrp_instance "B" {
  interface = "late0"
  virtual_router_id = 2
  unicast_src_ip = "198.51.100.2"
  unicast_peer = ["198.51.100.3"]
  virtual_ipaddress = ["198.51.100.1"]
}
vrrp_sync_group "G" { group = ["A", "B"] }
`)
	vc := vrrpConfig(cfg)
	var names []string
	for _, in := range vc.Instances {
		names = append(names, in.Name)
	}
	if diff := cmp.Diff([]string{"A", "B"}, names); diff != "" {
		t.Errorf("instances (-want +got):\n%s", diff)
	}
	if len(vc.SyncGroups) != 1 || vc.SyncGroups[0].Name != "G" {
		t.Errorf("sync groups %+v, want G", vc.SyncGroups)
	}
	if vc.Instances[0].SrcAddr.IsValid() || vc.Instances[1].SrcAddr != netip.MustParseAddr("198.51.100.2") {
		t.Errorf("sources %v and %v, want none (primary, found by the router) and unicast_src_ip",
			vc.Instances[0].SrcAddr, vc.Instances[1].SrcAddr)
	}
}

func TestCheckSpecsMapping(t *testing.T) {
	cfg := mustParse(t, mapConf)
	specs, realOf, err := checkSpecs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]checker.Spec{}
	for _, s := range specs {
		byID[s.ID] = s
	}
	if len(specs) != 3 {
		t.Fatalf("got %d specs, want script + 2 real-server checks: %v", len(specs), specs)
	}
	s := byID["script/chk"]
	if s.Kind != checker.KindScript || s.Interval != 2*time.Second || s.Fall != 2 || s.Misc == nil || s.Misc.User != "nobody" {
		t.Errorf("script spec: %+v", s)
	}
	a := byID["rs/web/a"]
	if a.Kind != checker.KindHTTP || a.HTTP == nil || len(a.HTTP.URLs) != 1 || a.HTTP.URLs[0].Path != "/health" || a.Target != netip.MustParseAddrPort("198.51.100.7:80") {
		t.Errorf("http spec: %+v", a)
	}
	// A bare tcp_check maps to a bare connect: no TCPSpec.
	if b := byID["rs/web/b"]; b.Kind != checker.KindTCP || b.TCP != nil {
		t.Errorf("tcp spec: %+v", b)
	}
	withIO := mustParse(t, `
virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "b" {
    address = "198.51.100.8:80"
    tcp_check {
      send   = "PING"
      expect = "PONG"
    }
  }
}
`)
	ioSpecs, _, err := checkSpecs(withIO)
	if err != nil {
		t.Fatal(err)
	}
	if len(ioSpecs) != 1 || ioSpecs[0].TCP == nil || ioSpecs[0].TCP.Send != "PING" || ioSpecs[0].TCP.Expect != "PONG" {
		t.Errorf("tcp_check with send and expect: %+v", ioSpecs)
	}
	if _, ok := realOf["rs/web/c"]; ok {
		t.Error("a real server without a check got a spec")
	}
	if k := realOf["rs/web/a"].key(); k.Dest.Addr != netip.MustParseAddr("198.51.100.7") {
		t.Errorf("real key: %+v", k)
	}
}

// TestCheckSpecsSeveralChecks: each check block of a real server is a
// spec of its own; the first keeps the one-check ID and all map back to
// the same real server, which lists them in config order.
func TestCheckSpecsSeveralChecks(t *testing.T) {
	cfg := mustParse(t, `
virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "a" {
    address = "198.51.100.7:80"
    tcp_check {}
    http_get {
      url { path = "/a" }
      url { path = "/b" }
    }
    tcp_check { connect_port = 81 }
  }
}
`)
	specs, realOf, err := checkSpecs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range specs {
		ids = append(ids, s.ID+" "+s.Kind.String())
	}
	if diff := cmp.Diff([]string{"rs/web/a tcp_check", "rs/web/a#2 http_get", "rs/web/a#3 tcp_check"}, ids); diff != "" {
		t.Errorf("specs (-want +got):\n%s", diff)
	}
	want := []string{"rs/web/a", "rs/web/a#2", "rs/web/a#3"}
	for _, id := range want {
		if diff := cmp.Diff(want, realOf[id].ids); diff != "" || realOf[id].rs.Name != "a" {
			t.Errorf("realOf[%s] = %+v, want real server a with ids %v", id, realOf[id], want)
		}
	}
	if u := specs[1].HTTP.URLs; len(u) != 2 || u[0].Path != "/a" || u[1].Path != "/b" {
		t.Errorf("http_get urls: %+v", u)
	}
	if specs[2].ConnectPort != 81 {
		t.Errorf("third check port %d, want 81", specs[2].ConnectPort)
	}
}

// TestCheckKindEveryConfigKind walks every check kind config can name
// (those with a name of their own) and wants the checker kind of the
// same name; a kind config does not know must be refused, not cast.
func TestCheckKindEveryConfigKind(t *testing.T) {
	known := 0
	for k := config.CheckKind(-1); k < 64; k++ {
		name := k.String()
		got, err := checkKind(k)
		if strings.HasPrefix(name, "CheckKind(") {
			if err == nil {
				t.Errorf("unknown config kind %d mapped to %v", int(k), got)
			}
			continue
		}
		known++
		if err != nil {
			t.Errorf("config kind %s: %v", name, err)
		} else if got.String() != name {
			t.Errorf("config kind %s maps to checker kind %s", name, got)
		}
	}
	if known < 4 {
		t.Errorf("only %d named config kinds found", known)
	}
}
