package config

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// virtual_routes and virtual_rules are keepalived's routes and policy
// rules that follow the VIPs: added when the instance becomes MASTER,
// removed when it leaves MASTER or stops. Each entry is written as
// keepalived (and `ip route add` / `ip rule add`) writes it; lbhad carries
// the common options and refuses the others by name, so that nothing is
// half-applied in silence.

// RouteType is the kind of a virtual route.
type RouteType int

// Route types, as `ip route` names them.
const (
	RouteUnicast RouteType = iota
	RouteBlackhole
	RouteUnreachable
	RouteProhibit
)

func (t RouteType) String() string {
	switch t {
	case RouteBlackhole:
		return "blackhole"
	case RouteUnreachable:
		return "unreachable"
	case RouteProhibit:
		return "prohibit"
	}
	return "unicast"
}

// VirtualRoute is one virtual_routes entry:
// "[src ADDR] [TYPE] [to] PREFIX [via|gw ADDR] [dev IFACE] [table N]
// [metric N] [scope SCOPE] [proto PROTO]".
type VirtualRoute struct {
	Type   RouteType
	Dst    netip.Prefix
	Src    netip.Addr // preferred source; invalid when unset
	Via    netip.Addr // gateway; invalid when unset
	Dev    string     // "" unless given (a unicast route needs via or dev)
	Table  uint32     // 0: main
	Metric uint32
	// Scope is the kernel's route scope number: 0 (universe, "global")
	// unless given, as keepalived sends it (ip would pick link for a
	// route with a dev and no gateway; keepalived does not).
	Scope uint8
	// Protocol is the route's protocol number: keepalived's own, 18,
	// unless given, as keepalived sets it.
	Protocol uint8
}

// VirtualRule is one virtual_rules entry:
// "[from PREFIX|all] [to PREFIX|all] [iif IFACE] [oif IFACE]
// [fwmark N[/M]] preference N table N".
type VirtualRule struct {
	IPv6     bool
	From, To netip.Prefix // invalid: any
	IIF, OIF string
	FWMark   uint32
	FWMask   uint32 // 0: not given (the kernel then matches all bits)
	Table    uint32
	Priority uint32
}

var scopeNames = map[string]uint8{"global": 0, "universe": 0, "site": 200, "link": 253, "host": 254, "nowhere": 255}

// protoKeepalived is RTPROT_KEEPALIVED, the protocol keepalived marks
// its routes with.
const protoKeepalived = 18

var protoNames = map[string]uint8{"redirect": 1, "kernel": 2, "boot": 3, "static": 4, "ra": 9, "dhcp": 16, "keepalived": 18, "babel": 42, "bgp": 186, "isis": 187, "ospf": 188, "rip": 189, "eigrp": 192}

var tableNames = map[string]uint32{"default": 253, "main": 254, "local": 255}

// routeRefused are keepalived/ip route options lbhad knows and does not
// carry; naming them gives a clearer error than "unknown".
var routeRefused = []string{"from", "as", "or", "nexthop", "tos", "dsfield", "mtu", "advmss", "hoplimit", "rtt", "rttvar", "reordering", "window", "cwnd", "ssthresh", "realms", "rto_min", "initcwnd", "initrwnd", "features", "quickack", "congctl", "pref", "onlink", "vrf", "encap", "track_group", "add", "append", "prepend", "nat", "local", "broadcast", "anycast", "multicast", "throw", "fastopen_no_cookie", "ttl-propagate", "expires", "mpu", "weight"}

var ruleRefused = []string{"not", "tos", "dsfield", "realms", "goto", "nop", "uidrange", "l3mdev", "ipproto", "ip_proto", "sport", "dport", "suppress_prefixlength", "suppress_ifgroup", "protocol", "blackhole", "unreachable", "prohibit", "nat", "track_group"}

// parseScope reads a scope name (global, site, link, host, nowhere) or
// number 0-255.
func parseScope(s string) (uint8, error) {
	if v, ok := scopeNames[s]; ok {
		return v, nil
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return 0, fmt.Errorf("scope %q is not global, site, link, host, nowhere or a number 0-255", s)
	}
	return uint8(n), nil
}

func parseTable(s string) (uint32, error) {
	if v, ok := tableNames[s]; ok {
		return v, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("table %q is not main, local, default or a number 1-4294967295 (named tables from rt_tables are not read)", s)
	}
	return uint32(n), nil
}

// parsePrefix reads an address with or without /len, masking host bits
// as ip does.
func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		if p.Addr().Zone() != "" || p.Addr().Is4In6() {
			return netip.Prefix{}, fmt.Errorf("%s is not a plain IPv4 or IPv6 prefix", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || a.Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%s is not an address or prefix", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func parsePlainAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || a.Is4In6() {
		return netip.Addr{}, fmt.Errorf("%s is not an IPv4 or IPv6 address", s)
	}
	return a, nil
}

func refusedErr(opt, what string) error {
	return fmt.Errorf("option %q of %s is not supported by lbhad", opt, what)
}

// ParseVirtualRoute parses one virtual_routes entry in keepalived's
// syntax, such as "192.0.2.0/24 via 198.51.100.1 dev eth1 table 100" or
// "blackhole 203.0.113.0/24". "no_track" and "inet6" are accepted: lbhad
// never watches its routes for deletion, and the family follows the
// addresses.
func ParseVirtualRoute(s string) (VirtualRoute, error) {
	f := strings.Fields(s)
	r := VirtualRoute{Protocol: protoKeepalived}
	var inet6, inet4, haveDst, typed, noTrack bool
	for i := 0; i < len(f); i++ {
		k := f[i]
		val := func() (string, error) {
			if i+1 >= len(f) {
				return "", fmt.Errorf("%s needs a value", k)
			}
			i++
			return f[i], nil
		}
		var v string
		var err error
		switch k {
		case "no_track":
			noTrack = true
			continue
		case "inet6":
			inet6 = true
			continue
		case "inet":
			inet4 = true
			continue
		case "blackhole", "unreachable", "prohibit", "unicast":
			if typed || haveDst {
				return r, fmt.Errorf("route type %s must come once, before the destination", k)
			}
			typed = true
			r.Type = map[string]RouteType{"unicast": RouteUnicast, "blackhole": RouteBlackhole, "unreachable": RouteUnreachable, "prohibit": RouteProhibit}[k]
			continue
		case "src", "to", "via", "gw", "dev", "oif", "table", "metric", "priority", "preference", "scope", "proto", "protocol":
			if v, err = val(); err != nil {
				return r, err
			}
		default:
			if slices.Contains(routeRefused, k) {
				return r, refusedErr(k, "virtual_routes")
			}
			if haveDst {
				return r, fmt.Errorf("unknown option %q (lbhad carries src, to, via/gw, dev, table, metric, scope, proto and the types blackhole, unreachable, prohibit)", k)
			}
			v, k = k, "to"
		}
		switch k {
		case "src":
			if r.Src.IsValid() {
				return r, errors.New("src given twice")
			}
			if r.Src, err = parsePlainAddr(v); err != nil {
				return r, err
			}
		case "to":
			if haveDst {
				return r, errors.New("destination given twice")
			}
			haveDst = true
			if v == "default" {
				r.Dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
				if inet6 {
					r.Dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
				}
			} else if r.Dst, err = parsePrefix(v); err != nil {
				return r, err
			}
		case "via", "gw":
			if r.Via.IsValid() {
				return r, errors.New("via given twice")
			}
			if r.Via, err = parsePlainAddr(v); err != nil {
				return r, err
			}
		case "dev", "oif":
			if r.Dev != "" || !validIfName(v) {
				return r, fmt.Errorf("bad or repeated dev %s", v)
			}
			r.Dev = v
		case "table":
			if r.Table, err = parseTable(v); err != nil {
				return r, err
			}
		case "metric", "priority", "preference":
			n, perr := strconv.ParseUint(v, 10, 32)
			if perr != nil {
				return r, fmt.Errorf("metric %q is not a number 0-4294967295", v)
			}
			r.Metric = uint32(n)
		case "scope":
			if r.Scope, err = parseScope(v); err != nil {
				return r, err
			}
		case "proto", "protocol":
			if p, ok := protoNames[v]; ok {
				r.Protocol = p
			} else if n, perr := strconv.ParseUint(v, 10, 8); perr == nil {
				r.Protocol = uint8(n)
			} else {
				return r, fmt.Errorf("proto %q is not a known protocol name or a number 0-255", v)
			}
		}
	}
	if !haveDst {
		return r, errors.New("has no destination prefix")
	}
	if inet4 && inet6 {
		return r, errors.New("inet and inet6 together")
	}
	if !noTrack {
		// keepalived resets the protocol of a route it tracks (one
		// without no_track) to its own, with a warning.
		r.Protocol = protoKeepalived
	}
	if inet6 && r.Dst.Addr().Is4() && r.Dst.Bits() > 0 {
		return r, errors.New("inet6 with an IPv4 destination")
	}
	if inet6 && r.Dst.Bits() == 0 {
		r.Dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	// A bare "0.0.0.0/0" route with an IPv6 gateway or source is IPv6's
	// default route, as keepalived reads "default".
	fam6 := r.Dst.Addr().Is6()
	if r.Dst.Bits() == 0 && !inet6 && (r.Via.Is6() || r.Src.Is6()) {
		r.Dst, fam6 = netip.PrefixFrom(netip.IPv6Unspecified(), 0), true
	}
	for _, a := range []netip.Addr{r.Via, r.Src} {
		if a.IsValid() && a.Is6() != fam6 {
			return r, fmt.Errorf("%s is not of the destination's family", a)
		}
	}
	if r.Type != RouteUnicast && (r.Via.IsValid() || r.Dev != "") {
		return r, fmt.Errorf("a %s route takes no via or dev", r.Type)
	}
	if r.Type == RouteUnicast && !r.Via.IsValid() && r.Dev == "" {
		return r, errors.New("needs via or dev")
	}
	return r, nil
}

// ParseVirtualRule parses one virtual_rules entry in keepalived's
// syntax, such as "from 192.0.2.0/24 table 100 preference 100". lbhad
// needs a preference (keepalived assigns one itself and warns that it
// is probably not what you want): with it, adding and removing a rule
// is exact whatever the order instances change state in.
func ParseVirtualRule(s string) (VirtualRule, error) {
	f := strings.Fields(s)
	var r VirtualRule
	var inet6, havePrio bool
	for i := 0; i < len(f); i++ {
		k := f[i]
		if k == "no_track" {
			continue
		}
		if k == "inet6" {
			inet6 = true
			continue
		}
		if slices.Contains(ruleRefused, k) {
			return r, refusedErr(k, "virtual_rules")
		}
		if i+1 >= len(f) {
			return r, fmt.Errorf("%s needs a value", k)
		}
		i++
		v := f[i]
		var err error
		switch k {
		case "from", "to":
			var p netip.Prefix
			if v != "all" {
				if p, err = parsePrefix(v); err != nil {
					return r, err
				}
			}
			if k == "from" {
				r.From = p
			} else {
				r.To = p
			}
		case "iif", "iifname", "dev":
			if !validIfName(v) {
				return r, fmt.Errorf("bad iif %s", v)
			}
			r.IIF = v
		case "oif", "oifname":
			if !validIfName(v) {
				return r, fmt.Errorf("bad oif %s", v)
			}
			r.OIF = v
		case "fwmark":
			m, mask, hasMask := strings.Cut(v, "/")
			n, perr := strconv.ParseUint(m, 0, 32)
			if perr != nil {
				return r, fmt.Errorf("fwmark %q is not a number", v)
			}
			r.FWMark = uint32(n)
			if hasMask {
				n, perr = strconv.ParseUint(mask, 0, 32)
				if perr != nil {
					return r, fmt.Errorf("fwmark mask %q is not a number", mask)
				}
				r.FWMask = uint32(n)
			}
		case "table", "lookup":
			if r.Table, err = parseTable(v); err != nil {
				return r, err
			}
		case "preference", "priority", "pref", "order":
			n, perr := strconv.ParseUint(v, 10, 32)
			if perr != nil {
				return r, fmt.Errorf("preference %q is not a number 0-4294967295", v)
			}
			r.Priority, havePrio = uint32(n), true
		default:
			return r, fmt.Errorf("unknown option %q (lbhad carries from, to, iif, oif, fwmark, table and preference)", k)
		}
	}
	if r.Table == 0 {
		return r, errors.New("needs a table (lbhad carries only rules that look up a table)")
	}
	if !havePrio {
		return r, errors.New("needs a preference: keepalived 2.2.7 picks one itself (16384 for a lone rule) and warns that it is probably not what you want; give it explicitly")
	}
	r.IPv6 = inet6
	for _, p := range []netip.Prefix{r.From, r.To} {
		if !p.IsValid() {
			continue
		}
		if inet6 && p.Addr().Is4() {
			return r, fmt.Errorf("inet6 with IPv4 prefix %s", p)
		}
		if p.Addr().Is6() {
			r.IPv6 = true
		}
	}
	if r.From.IsValid() && r.To.IsValid() && r.From.Addr().Is6() != r.To.Addr().Is6() {
		return r, errors.New("from and to are of different families")
	}
	return r, nil
}

// virtualRoutes reads an instance's virtual_routes and virtual_rules,
// and skip_check_adv_addr, which goes with changing them.
func (b *builder) virtualRoutes(r *rawInstance, in *Instance) {
	in.SkipCheckAdvAddr = b.boolDefault(r.SkipCheckAdvAddr, "skip_check_adv_addr", false)
	if list, ok := b.strList(r.VirtualRoutes, "virtual_routes"); ok {
		for _, s := range list {
			vr, err := ParseVirtualRoute(s)
			if err != nil {
				b.errorf(r.VirtualRoutes.Range(), "Invalid virtual_routes", "Each virtual_routes entry is written as keepalived writes it, \"[src ADDR] [blackhole|unreachable|prohibit] [to] PREFIX [via ADDR] [dev IFACE] [table N] [metric N] [scope SCOPE] [proto PROTO]\"; %q: %v.", s, err)
				continue
			}
			in.VirtualRoutes = append(in.VirtualRoutes, vr)
		}
	}
	if list, ok := b.strList(r.VirtualRules, "virtual_rules"); ok {
		for _, s := range list {
			vr, err := ParseVirtualRule(s)
			if err != nil {
				b.errorf(r.VirtualRules.Range(), "Invalid virtual_rules", "Each virtual_rules entry is written as keepalived writes it, \"[from PREFIX] [to PREFIX] [iif IFACE] [oif IFACE] [fwmark N[/M]] table N preference N\"; %q: %v.", s, err)
				continue
			}
			in.VirtualRules = append(in.VirtualRules, vr)
		}
	}
}

// CheckVIP reports whether s is a valid virtual_ipaddress entry, for
// the keepalived converter.
func CheckVIP(s string) error {
	_, err := parseVIP(s)
	return err
}
