package daemon

import (
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/vrrp"
)

func vipAddr(v config.VIP) vrrp.VIPAddr {
	return vrrp.VIPAddr{Prefix: v.Prefix, Dev: v.Dev, Label: v.Label, Broadcast: v.Broadcast, Scope: v.Scope}
}

// routeTypes maps config's route types onto vrrp's by name.
var routeTypes = map[config.RouteType]vrrp.RouteType{
	config.RouteUnicast:     vrrp.RouteUnicast,
	config.RouteBlackhole:   vrrp.RouteBlackhole,
	config.RouteUnreachable: vrrp.RouteUnreachable,
	config.RouteProhibit:    vrrp.RouteProhibit,
}

// virtualRoutes maps an instance's virtual_routes and virtual_rules.
func virtualRoutes(in *config.Instance) ([]vrrp.VRoute, []vrrp.VRule) {
	var routes []vrrp.VRoute
	for _, r := range in.VirtualRoutes {
		routes = append(routes, vrrp.VRoute{Type: routeTypes[r.Type], Dst: r.Dst, Src: r.Src, Via: r.Via, Dev: r.Dev,
			Table: r.Table, Metric: r.Metric, Scope: r.Scope, Protocol: r.Protocol})
	}
	var rules []vrrp.VRule
	for _, r := range in.VirtualRules {
		rules = append(rules, vrrp.VRule{IPv6: r.IPv6, From: r.From, To: r.To, IIF: r.IIF, OIF: r.OIF,
			FWMark: r.FWMark, FWMask: r.FWMask, Table: r.Table, Priority: r.Priority})
	}
	return routes, rules
}
