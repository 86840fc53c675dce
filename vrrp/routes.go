package vrrp

import (
	"net/netip"

	"go.uber.org/zap"
)

// Virtual routes and rules (keepalived's virtual_routes and
// virtual_rules) follow the VIPs: added once the VIPs are, on becoming
// MASTER, and removed before them on leaving MASTER or stopping. A
// route or rule that cannot be added is logged and left to the next
// transition, as keepalived does: it does not make the master give up.

// RouteType is the kind of a virtual route.
type RouteType uint8

// Route types.
const (
	RouteUnicast RouteType = iota
	RouteBlackhole
	RouteUnreachable
	RouteProhibit
)

// VRoute is one virtual route. It is comparable, so that a reload can
// tell which routes changed.
type VRoute struct {
	Type     RouteType
	Dst      netip.Prefix
	Src      netip.Addr // preferred source; invalid when unset
	Via      netip.Addr // gateway; invalid when unset
	Dev      string
	Table    uint32 // 0: main
	Metric   uint32
	Scope    uint8
	Protocol uint8
}

// VRule is one virtual policy-routing rule.
type VRule struct {
	IPv6     bool
	From, To netip.Prefix // invalid: any
	IIF, OIF string
	FWMark   uint32
	FWMask   uint32 // 0: none given
	Table    uint32
	Priority uint32
}

// RouteManager adds and removes virtual routes and rules. Like
// AddrManager, every call is idempotent: adding what is present or
// removing what is absent is not an error.
type RouteManager interface {
	AddRoute(r VRoute) error
	RemoveRoute(r VRoute) error
	AddRule(r VRule) error
	RemoveRule(r VRule) error
}

// addRoutesLocked puts in's routes, then its rules, in place.
func (r *Router) addRoutesLocked(in *instance, routes []VRoute, rules []VRule) {
	if r.deps.Routes == nil {
		return
	}
	for _, rt := range routes {
		if err := r.deps.Routes.AddRoute(rt); err != nil {
			r.log.Error("add virtual route", zap.String("instance", in.cfg.Name), zap.Stringer("dst", rt.Dst), zap.Error(err))
		}
	}
	for _, ru := range rules {
		if err := r.deps.Routes.AddRule(ru); err != nil {
			r.log.Error("add virtual rule", zap.String("instance", in.cfg.Name), zap.Uint32("preference", ru.Priority), zap.Error(err))
		}
	}
}

// removeRoutesLocked takes in's rules, then its routes, away.
func (r *Router) removeRoutesLocked(in *instance, routes []VRoute, rules []VRule) {
	if r.deps.Routes == nil {
		return
	}
	for _, ru := range rules {
		if err := r.deps.Routes.RemoveRule(ru); err != nil {
			r.log.Error("remove virtual rule", zap.String("instance", in.cfg.Name), zap.Uint32("preference", ru.Priority), zap.Error(err))
		}
	}
	for _, rt := range routes {
		if err := r.deps.Routes.RemoveRoute(rt); err != nil {
			r.log.Error("remove virtual route", zap.String("instance", in.cfg.Name), zap.Stringer("dst", rt.Dst), zap.Error(err))
		}
	}
}

// reloadRoutesLocked moves a MASTER's routes and rules from old to c:
// what is gone is removed, what is new is added.
func (r *Router) reloadRoutesLocked(in *instance, old, c *InstanceConfig) {
	r.removeRoutesLocked(in, missing(old.VirtualRoutes, c.VirtualRoutes), missing(old.VirtualRules, c.VirtualRules))
	r.addRoutesLocked(in, missing(c.VirtualRoutes, old.VirtualRoutes), missing(c.VirtualRules, old.VirtualRules))
}

// missing returns the elements of a not in b.
func missing[T comparable](a, b []T) []T {
	var out []T
	for _, x := range a {
		found := false
		for _, y := range b {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			out = append(out, x)
		}
	}
	return out
}
