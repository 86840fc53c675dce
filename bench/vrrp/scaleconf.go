package vrrpbench

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// benchNet holds every VIP of the many-instance runs (vipOf).
var benchNet = netip.MustParsePrefix("198.18.0.0/16")

// linkNet returns the addresses of d1 and d2 on link i (198.19.i.0/24)
// and the VIP of VRID v on it (198.18.i.v/32): the RFC 2544 benchmarking
// range, since the documentation ranges hold fewer than 1,000 addresses.
// Both live only inside the lab's namespaces.
func linkNet(i int) (d1, d2 string) {
	return fmt.Sprintf("198.19.%d.1/24", i), fmt.Sprintf("198.19.%d.2/24", i)
}

func vipOf(i, v int) string { return fmt.Sprintf("198.18.%d.%d/32", i, v) }

func linkName(i int) string { return fmt.Sprintf("vr%d", i) }

// scaleProto is the protocol lines of every instance, "advert_int 1"
// (VRRPv2) or VRRPv3 at o.ScaleAdvert, in each daemon's syntax.
func scaleProto(kind string, o Config) string {
	adv, v3 := "1", o.ScaleAdvert > 0
	if v3 {
		adv = strconv.FormatFloat(o.ScaleAdvert.Seconds(), 'f', -1, 64)
	}
	switch {
	case kind == "lbhad" && v3:
		return "  advert_int = " + adv + "\n  version = 3\n"
	case kind == "lbhad":
		return "  advert_int = " + adv + "\n"
	case v3:
		return "  advert_int " + adv + "\n  version 3\n"
	}
	return "  advert_int " + adv + "\n"
}

func scaleConf(kind, router, sock string, o Config, prio int) string {
	var b strings.Builder
	proto := scaleProto(kind, o)
	if kind == "lbhad" {
		fmt.Fprintf(&b, "global {\n  router_id = %q\n  control_socket = %q\n}\n", router, sock)
		for i := 0; i < o.Links; i++ {
			for v := 1; v <= o.PerLink; v++ {
				fmt.Fprintf(&b, "\nvrrp_instance \"VI_%d_%d\" {\n  interface = %q\n  virtual_router_id = %d\n  priority = %d\n%s  state = \"BACKUP\"\n  virtual_ipaddress = [%q]\n}\n",
					i, v, linkName(i), v, prio, proto, vipOf(i, v))
			}
		}
		return b.String()
	}
	fmt.Fprintf(&b, "global_defs {\n  router_id %s\n}\n", router)
	for i := 0; i < o.Links; i++ {
		for v := 1; v <= o.PerLink; v++ {
			fmt.Fprintf(&b, "\nvrrp_instance VI_%d_%d {\n  state BACKUP\n  interface %s\n  virtual_router_id %d\n  priority %d\n%s  virtual_ipaddress {\n    %s\n  }\n}\n",
				i, v, linkName(i), v, prio, proto, vipOf(i, v))
		}
	}
	return b.String()
}
