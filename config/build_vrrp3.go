package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// VRRPv3 (RFC 5798) and IPv6, as keepalived 2.2.7 configures them: an
// instance is IPv4 or IPv6 (its VIPs decide; native_ipv6 forces IPv6),
// IPv6 instances are always VRRPv3, others take their version from
// "version", else global vrrp_version, else 2.

// oneFamily is the advice every family-mixing error ends with.
const oneFamily = "an instance is either IPv4 or IPv6, as in keepalived. Put the other family's addresses in a second vrrp_instance (its own virtual_router_id space) and join both in a vrrp_sync_group, so they move together."

const (
	centisecond     = 10 * time.Millisecond
	maxAdvertIntV3  = 4095 * centisecond // 12 bits of centiseconds
	maxAdvertIntV2  = 255 * time.Second
	defaultVersion  = 2
	versionIPv6Only = 3
)

func familyName(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}

// family decides the instance's address family and VRRP version and
// checks what depends on them: the VIPs' families, authentication and
// Accept_Mode.
func (b *builder) family(r *rawInstance, in *Instance, globalVersion uint8) {
	in.IPv6 = b.boolDefault(r.NativeIPv6, "native_ipv6", false)
	if !in.IPv6 && len(in.VIPs) > 0 {
		in.IPv6 = in.VIPs[0].Prefix.Addr().Is6()
	}
	for _, v := range in.VIPs {
		if v.Prefix.Addr().Is6() != in.IPv6 {
			first := in.VIPs[0].Prefix.String()
			if r.NativeIPv6 != nil && present(r.NativeIPv6) && in.IPv6 {
				first = "native_ipv6"
			}
			b.errorf(r.VIPs.Range(), "Mixed address families", "Instance %q is %s (%s) but virtual_ipaddress %s is %s: %s", in.Name, familyName(in.IPv6), first, v.Prefix, familyName(!in.IPv6), oneFamily)
			break
		}
	}
	in.Version = globalVersion
	if in.Version == 0 {
		in.Version = defaultVersion
	}
	explicit := false
	if n, ok := b.integer(r.Version, "version", 2, 3); ok {
		in.Version, explicit = uint8(n), true
	}
	if in.IPv6 {
		if explicit && in.Version != versionIPv6Only {
			b.errorf(r.Version.Range(), "IPv6 needs VRRPv3", "Instance %q is IPv6, which only VRRPv3 (RFC 5798) carries; use version = 3 or leave version out (keepalived also runs IPv6 instances as VRRPv3).", in.Name)
		}
		in.Version = versionIPv6Only
	}
	if in.Version == 3 && r.Auth != nil {
		b.errorf(r.Auth.DefRange, "No authentication in VRRPv3", "RFC 5798 removed authentication, so a VRRPv3 instance cannot have an authentication block (keepalived warns and ignores it, which would let configurations silently differ). Remove the block, or use version = 2.")
		in.AuthType, in.AuthPass = AuthNone, ""
	}
	// Accept_Mode (RFC 5798 §6.1): keepalived's default is accept;
	// no_accept needs firewall rules, which lbhad does not manage.
	accept := b.boolDefault(r.Accept, "accept", true)
	noAccept := b.boolDefault(r.NoAccept, "no_accept", false)
	switch {
	case noAccept:
		b.errorf(r.NoAccept.Range(), "Unsupported no_accept", "lbhad always runs in Accept_Mode, keepalived's default (accept): a master answers on its VIPs. no_accept needs firewall rules dropping traffic to the VIPs, which lbhad does not manage; remove no_accept.")
	case !accept:
		b.errorf(r.Accept.Range(), "Unsupported accept = false", "lbhad always runs in Accept_Mode, keepalived's default: a master answers on its VIPs. Remove accept, or set it to true.")
	}
}

// advertInt checks d against the instance's version: whole seconds
// 1-255 in VRRPv2, whole centiseconds 0.01-40.95 s in VRRPv3.
func (b *builder) advertInt(e hcl.Expression, in *Instance, d time.Duration) {
	if in.Version == 3 {
		if d%centisecond != 0 || d < centisecond || d > maxAdvertIntV3 {
			b.errorf(e.Range(), "Invalid advert_int", "advert_int must be from 0.01 to 40.95 seconds in steps of 0.01 s, because VRRPv3 carries it in centiseconds in 12 bits; it is %s.", d)
			return
		}
		in.AdvertInterval = d
		return
	}
	if d%time.Second != 0 || d < time.Second || d > maxAdvertIntV2 {
		hint := ""
		if d%time.Second != 0 && d <= maxAdvertIntV3 {
			hint = " For sub-second or fractional adverts use VRRPv3 (version = 3 here, or vrrp_version = 3 in global), which carries 0.01 to 40.95 s in centiseconds; both peers must speak it. keepalived would round this value to whole seconds instead."
		}
		b.errorf(e.Range(), "Invalid advert_int", "advert_int must be a whole number of seconds from 1 to 255, because VRRPv2 carries it in whole seconds; it is %s.%s", d, hint)
		return
	}
	in.AdvertInterval = d
}

// unicastPeers parses keepalived's unicast_peer entries,
// "ADDRESS [min_ttl N] [max_ttl M]", of the instance's family.
func (b *builder) unicastPeers(e hcl.Expression, in *Instance) {
	peers, ok := b.strList(e, "unicast_peer")
	if !ok {
		return
	}
	for _, p := range peers {
		a, bounds, err := parsePeer(p)
		switch {
		case err != nil:
			b.errorf(e.Range(), "Invalid unicast_peer", "unicast_peer must list addresses such as \"192.0.2.12\" or \"2001:db8::12 min_ttl 250 max_ttl 255\"; %q %v.", p, err)
			continue
		case a.Is6() != in.IPv6:
			b.errorf(e.Range(), "Invalid unicast_peer", "unicast_peer %s is %s but instance %q is %s: %s", a, familyName(a.Is6()), in.Name, familyName(in.IPv6), oneFamily)
			continue
		}
		in.UnicastPeers = append(in.UnicastPeers, a)
		if bounds != nil {
			if in.UnicastPeerTTL == nil {
				in.UnicastPeerTTL = map[netip.Addr]TTLRange{}
			}
			in.UnicastPeerTTL[a] = *bounds
		}
	}
}

// parsePeer parses "ADDRESS [min_ttl N] [max_ttl M]"; bounds is nil
// without min_ttl and max_ttl (an unset one is 0 or 255).
func parsePeer(s string) (netip.Addr, *TTLRange, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return netip.Addr{}, nil, fmt.Errorf("is empty")
	}
	a, err := parseAddr(f[0], false)
	if err != nil {
		return netip.Addr{}, nil, err
	}
	var bounds *TTLRange
	seen := map[string]bool{}
	for i := 1; i < len(f); i += 2 {
		if i+1 >= len(f) {
			return netip.Addr{}, nil, fmt.Errorf("has %s without a value", f[i])
		}
		if f[i] != "min_ttl" && f[i] != "max_ttl" {
			return netip.Addr{}, nil, fmt.Errorf("has unknown option %q (allowed: min_ttl, max_ttl)", f[i])
		}
		if seen[f[i]] {
			return netip.Addr{}, nil, fmt.Errorf("repeats %s", f[i])
		}
		seen[f[i]] = true
		n, err := strconv.ParseUint(f[i+1], 10, 8)
		if err != nil {
			return netip.Addr{}, nil, fmt.Errorf("has %s %s, which is not 0 to 255", f[i], f[i+1])
		}
		if bounds == nil {
			bounds = &TTLRange{Min: 0, Max: 255}
		}
		if f[i] == "min_ttl" {
			bounds.Min = uint8(n)
		} else {
			bounds.Max = uint8(n)
		}
	}
	if bounds != nil && bounds.Min > bounds.Max {
		return netip.Addr{}, nil, fmt.Errorf("has min_ttl %d above max_ttl %d", bounds.Min, bounds.Max)
	}
	return a, bounds, nil
}
