package daemon

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/vrrp"
)

// TestVRRPv3Mapping: version, family, interval and per-peer TTL bounds
// reach the router, and an interface with an IPv4 and an IPv6 instance
// gets one transport of each family.
func TestVRRPv3Mapping(t *testing.T) {
	cfg := mustParse(t, `
global { vrrp_version = 3 }
vrrp_instance "web4" {
  interface         = "eth0"
  virtual_router_id = 51
  advert_int        = 0.1
  unicast_src_ip    = "192.0.2.1"
  unicast_peer      = ["192.0.2.2 min_ttl 250 max_ttl 255"]
  virtual_ipaddress = ["192.0.2.50/24"]
}
vrrp_instance "web6" {
  interface         = "eth0"
  virtual_router_id = 51
  advert_int        = "250ms"
  virtual_ipaddress = ["2001:db8::50/64"]
}
vrrp_instance "legacy" {
  interface         = "eth1"
  virtual_router_id = 52
  version           = 2
  virtual_ipaddress = ["198.51.100.50"]
}
`)
	vc := vrrpConfig(cfg)
	type got struct {
		Name     string
		Version  uint8
		IPv6     bool
		Interval time.Duration
		TTL      map[netip.Addr]vrrp.TTLBounds
	}
	var g []got
	for _, in := range vc.Instances {
		g = append(g, got{in.Name, in.Version, in.IPv6, in.AdvertInterval, in.PeerTTL})
	}
	want := []got{
		{"web4", vrrp.Version3, false, 100 * time.Millisecond,
			map[netip.Addr]vrrp.TTLBounds{netip.MustParseAddr("192.0.2.2"): {Min: 250, Max: 255}}},
		{"web6", vrrp.Version3, true, 250 * time.Millisecond, nil},
		{"legacy", vrrp.Version, false, time.Second, nil},
	}
	if d := cmp.Diff(want, g, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
		t.Errorf("instances (-want +got):\n%s", d)
	}
	opts := transportOptions(vc)
	if o := opts["eth0"]; o.IPv6 || o.SrcIP != netip.MustParseAddr("192.0.2.1") || len(o.UnicastPeers) != 1 {
		t.Errorf("eth0 ipv4 transport: %+v", o)
	}
	if o, ok := opts["eth0/ipv6"]; !ok || !o.IPv6 || len(o.UnicastPeers) != 0 {
		t.Errorf("eth0 ipv6 transport: %+v (present %v)", o, ok)
	}
	if _, err := vrrp.NewRouter(vc, vrrp.Deps{
		OpenTransport:  func(string) (vrrp.Transport, error) { return nil, nil },
		OpenTransport6: func(string) (vrrp.Transport, error) { return nil, nil },
		PrimaryAddr:    func(string) (netip.Addr, error) { return netip.Addr{}, nil },
		PrimaryAddr6:   vrrp.LinkLocalIPv6,
		Addrs:          nopAddrs{},
	}); err != nil {
		t.Errorf("router refuses the mapped config: %v", err)
	}
}

type nopAddrs struct{}

func (nopAddrs) Add(vrrp.VIPAddr) error    { return nil }
func (nopAddrs) Remove(vrrp.VIPAddr) error { return nil }

// TestOpenTransport6 asks the dialer for the IPv6 transport with the
// IPv6 instances' options.
func TestOpenTransport6(t *testing.T) {
	var seen []vrrp.TransportOptions
	c := &vrrpComponent{opts: map[string]vrrp.TransportOptions{
		"eth0":      {},
		"eth0/ipv6": {IPv6: true, UnicastPeers: []netip.Addr{netip.MustParseAddr("2001:db8::2")}},
	}, dial: func(_ string, o vrrp.TransportOptions) (vrrp.Transport, error) {
		seen = append(seen, o)
		return nil, nil
	}}
	c.openTransport("eth0")
	c.openTransport6("eth0")
	if len(seen) != 2 || seen[0].IPv6 || !seen[1].IPv6 || len(seen[1].UnicastPeers) != 1 {
		t.Errorf("dialled with %+v", seen)
	}
}
