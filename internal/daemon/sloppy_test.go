package daemon

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/bgp"
)

// The BGP component turns on sloppy mode for the protocols of the
// announced virtual services, before it hands the config to the
// speaker, and not at all with ipvs_sloppy = false or when nothing is
// announced.
func TestBGPSetsIPVSSloppy(t *testing.T) {
	const head = `bgp {
  asn       = 64512
  router_id = "192.0.2.1"
  %s
  neighbor "r1" {
    address    = "192.0.2.254"
    remote_asn = 64500
  }
}
`
	vs := func(name, proto string, announce bool) string {
		return `virtual_server "` + name + `" {
  address  = "192.0.2.80:80"
  protocol = "` + proto + `"
  lb_algo  = "mh"
  announce = ` + map[bool]string{true: "true", false: "false"}[announce] + `
  real_server "a" { address = "198.51.100.10:80" }
}
`
	}
	type call struct{ tcp, sctp bool }
	for _, tc := range []struct {
		name, attr, services string
		want                 []call
	}{
		{"tcp", "", vs("web", "tcp", true), []call{{true, false}}},
		{"sctp", "", vs("sig", "sctp", true), []call{{false, true}}},
		{"udp needs nothing", "", vs("dns", "udp", true), nil},
		{"not announced", "", vs("web", "tcp", false), nil},
		{"turned off", "ipvs_sloppy = false", vs("web", "tcp", true), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := []byte(fmt.Sprintf(head, tc.attr) + tc.services)
			cfg, diags := config.Parse(src, "sloppy.hcl")
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			var got []call
			sp := &bgp.Fake{}
			c := newBGPComponent(zaptest.NewLogger(t), func() bgp.Speaker {
				if sp.Cfg != nil {
					t.Error("speaker configured before sloppy mode was set")
				}
				return sp
			}, nil, bgpLinks{setSloppy: func(tcp, sctp bool) error {
				if sp.Cfg != nil {
					t.Error("sloppy mode set after the speaker was configured")
				}
				got = append(got, call{tcp, sctp})
				return nil
			}})
			if err := c.Apply(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) || (len(got) == 1 && got[0] != tc.want[0]) {
				t.Errorf("setSloppy calls %v, want %v", got, tc.want)
			}
		})
	}
}

// A kernel that refuses the setting does not stop the announcements:
// new flows work without sloppy mode, only rehashed ones break.
func TestBGPSloppyFailureNotFatal(t *testing.T) {
	cfg, diags := config.Parse([]byte(`bgp {
  asn       = 64512
  router_id = "192.0.2.1"
  neighbor "r1" {
    address    = "192.0.2.254"
    remote_asn = 64500
  }
}
virtual_server "web" {
  address  = "192.0.2.80:80"
  lb_algo  = "mh"
  announce = true
  real_server "a" { address = "198.51.100.10:80" }
}
`), "sloppy.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	sp := &bgp.Fake{}
	c := newBGPComponent(zaptest.NewLogger(t), func() bgp.Speaker { return sp }, nil, bgpLinks{
		setSloppy: func(bool, bool) error { return errors.New("no ip_vs") },
	})
	if err := c.Apply(context.Background(), cfg); err != nil {
		t.Fatalf("Apply: %v, want the sloppy failure logged only", err)
	}
	if sp.Cfg == nil {
		t.Error("the speaker was not configured after the sloppy failure")
	}
}
