package control

import (
	"net/netip"
	"time"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/ipvssync"
	"github.com/lbhad/lbhad/vrrp"
)

// secretHCL holds every secret the config has, each a distinct string
// the tests look for in every output.
const secretHCL = `
global {
  router_id = "lb1"
  notification {
    email {
      server   = "smtp.example.com"
      from     = "lbhad@example.com"
      to       = ["ops@example.com"]
      username = "lbhad"
      password = "SMTPpw-9f3a"
    }
    webhook "chat" {
      url     = "https://user:URLpw-77c1@hooks.example.com/services/PATHtok-3a7c?token=URLtok-51e2"
      secret  = "HOOKsec-4d2b"
      headers = { "Authorization" = "Bearer HDRtok-0c9e" }
    }
    webhook "public" {
      url           = "https://hooks.example.com/lbhad/events#FRAGtok-8b1d"
      url_path_safe = true
    }
  }
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  authentication {
    auth_type = "pass"
    auth_pass = "AP-6e1x"
  }
  virtual_ipaddress = ["192.0.2.50/24"]
}

virtual_server "web" {
  address  = "192.0.2.50:80"
  lb_algo  = "wrr"
  lb_kind  = "dr"
  quorum   = 1
  real_server "rs1" {
    address = "192.0.2.7:80"
    weight  = 2
    http_get {
      path = "/health"
    }
  }
  real_server "rs2" {
    address = "192.0.2.8:80"
    tcp_check {}
  }
  real_server "rs3" {
    address = "192.0.2.9:80"
  }
}
`

var secrets = []string{"SMTPpw-9f3a", "URLpw-77c1", "URLtok-51e2", "HOOKsec-4d2b", "HDRtok-0c9e", "AP-6e1x", "PATHtok-3a7c", "FRAGtok-8b1d"}

var (
	zone    = time.FixedZone("CET", 3600)
	tStart  = time.Date(2025, 3, 14, 1, 0, 0, 0, zone)
	tTrans  = time.Date(2025, 3, 14, 1, 2, 3, 0, zone)
	tNow    = time.Date(2025, 3, 14, 9, 30, 0, 0, zone)
	tCheck  = time.Date(2025, 3, 14, 9, 29, 58, 0, zone)
	tReload = time.Date(2025, 3, 14, 8, 0, 0, 0, zone)
)

func mustParse(src string) *config.Config {
	cfg, diags := config.Parse([]byte(src), "test.hcl")
	if diags.HasErrors() {
		panic(diags.Error())
	}
	return cfg
}

// fixtureInput is a running director: VI_1 master, rs1 up, rs2 down and
// pulled from the kernel, rs3 unchecked, one script failing.
func fixtureInput() Input {
	cfg := mustParse(secretHCL)
	var counters vrrp.Counters
	counters.AdvertsSent = 1234
	counters.AdvertsReceived = 7
	counters.BecameMaster = 1
	counters.Dropped[vrrp.DropAuth] = 2
	counters.Dropped[vrrp.DropTTL] = 1
	vs := cfg.VirtualServers[0]
	svc := ipvssync.ServiceKeyOf(vs)
	rk1 := ipvssync.RealKeyOf(vs, vs.RealServers[0])
	rk3 := ipvssync.RealKeyOf(vs, vs.RealServers[2])
	table := ipvssync.Table{svc: {
		Service: ipvssync.Service{Key: svc, Scheduler: "wrr",
			Stats: ipvssync.Stats{Conns: 40, PacketsIn: 400, PacketsOut: 380, BytesIn: 40000, BytesOut: 90000, CPS: 1}},
		Dests: map[ipvssync.DestKey]ipvssync.Destination{
			rk1.Dest: {Addr: rk1.Dest.Addr, Port: rk1.Dest.Port, Weight: 2, Forward: ipvssync.ForwardDR, ActiveConns: 3, InactConns: 10,
				Stats: ipvssync.Stats{Conns: 40, PacketsIn: 400, PacketsOut: 380, BytesIn: 40000, BytesOut: 90000}},
			rk3.Dest: {Addr: rk3.Dest.Addr, Port: rk3.Dest.Port, Weight: 1, Forward: ipvssync.ForwardDR},
		},
	}}
	return Input{
		Config: cfg, ConfigPath: "/etc/lbhad/lbhad.hcl", StartedAt: tStart, Now: tNow,
		LastReload: &ReloadStatus{At: tReload, OK: true},
		VRRP: []vrrp.Status{{
			Name: "VI_1", Interface: "eth0", VRID: 51, State: vrrp.StateMaster,
			BasePriority: 150, EffectivePriority: 150, Master: netip.MustParseAddr("192.0.2.11"), MasterPriority: 150,
			VIPs: []netip.Prefix{netip.MustParsePrefix("192.0.2.50/24")}, LastTransition: tTrans,
			LastReason: vrrp.ReasonMasterDown, Counters: counters,
		}},
		Checks: []checker.Status{
			{
				Spec:  &checker.Spec{ID: "script/chk_nginx", Name: "chk_nginx", Kind: checker.KindScript},
				State: checker.StateDown, Failures: 3, LastTime: tCheck,
				Last: checker.Result{Reason: "exit status 1", Latency: 4200 * time.Microsecond},
			},
			{
				Spec:  &checker.Spec{ID: "rs/web/rs1", Name: "rs1", Kind: checker.KindHTTP, Target: netip.MustParseAddrPort("192.0.2.7:80"), VirtualServer: "web"},
				State: checker.StateUp, LastTime: tCheck,
				Last: checker.Result{OK: true, Latency: 12345678},
			},
			{
				Spec:  &checker.Spec{ID: "rs/web/rs2", Name: "rs2", Kind: checker.KindTCP, Target: netip.MustParseAddrPort("192.0.2.8:80"), VirtualServer: "web"},
				State: checker.StateDown, Failures: 1, LastTime: tCheck,
				Last: checker.Result{Reason: "connection refused", Latency: 300 * time.Microsecond},
			},
		},
		Table: table,
	}
}
