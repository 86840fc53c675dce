package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// maxGroupMembers bounds a virtual_server_group: each member is an IPVS
// service, and an IPv6 range may name 65,536 of them.
const maxGroupMembers = 1024

// virtualServerGroups decodes the virtual_server_group blocks, keyed by
// name for the virtual servers that name them.
func (b *builder) virtualServerGroups(raws []*rawVSGroup, cfg *Config) map[string]*VirtualServerGroup {
	byName := map[string]*VirtualServerGroup{}
	for _, r := range raws {
		if first, dup := byName[r.Name]; dup {
			b.dupName(r.DefRange, "virtual_server_group", r.Name, first.Range)
			continue
		}
		g := &VirtualServerGroup{Name: r.Name, Range: r.DefRange}
		if list, ok := b.strList(r.Addresses, "addresses"); ok {
			for _, s := range list {
				aps, err := parseAddrRange(s)
				if err != nil {
					b.errorf(r.Addresses.Range(), "Invalid group address", "addresses are IP:PORT or a range IP-LAST:PORT (\"192.0.2.10-20:80\", \"[2001:db8::10-1f]:80\", the last byte or group varying); %q: %v.", s, err)
					continue
				}
				for _, ap := range aps {
					g.Members = append(g.Members, GroupMember{Address: ap})
				}
			}
		}
		if list, ok := b.strList(r.FWMarks, "fwmarks"); ok {
			for _, s := range list {
				n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
				if err != nil || n == 0 {
					b.errorf(r.FWMarks.Range(), "Invalid group fwmark", "fwmarks are firewall marks 1 to 4294967295; %q is not.", s)
					continue
				}
				g.Members = append(g.Members, GroupMember{FWMark: uint32(n)})
			}
		}
		for _, m := range g.Members[min(1, len(g.Members)):] {
			if m.FWMark == 0 && g.Members[0].FWMark == 0 && m.Address.Addr().Is4() != g.Members[0].Address.Addr().Is4() {
				b.errorf(r.Addresses.Range(), "Mixed families in a group", "virtual_server_group %q mixes IPv4 and IPv6 addresses; IPVS sends a service's traffic to real servers of its own family, so make one group per family.", r.Name)
				break
			}
		}
		switch {
		case len(g.Members) == 0 && !b.diags.HasErrors():
			b.errorf(r.DefRange, "Empty virtual_server_group", "virtual_server_group %q has no addresses and no fwmarks.", r.Name)
		case len(g.Members) > maxGroupMembers:
			b.errorf(r.DefRange, "virtual_server_group too large", "virtual_server_group %q has %d members; at most %d (each is an IPVS service).", r.Name, len(g.Members), maxGroupMembers)
			g.Members = g.Members[:maxGroupMembers]
		}
		byName[r.Name] = g
		cfg.VirtualServerGroups = append(cfg.VirtualServerGroups, g)
	}
	return byName
}

// parseAddrRange reads IP:PORT or keepalived's range IP-LAST:PORT, in
// which the last byte of an IPv4 address (decimal) or the last 16-bit
// group of an IPv6 one (hex) runs from the address's own to LAST.
func parseAddrRange(s string) ([]netip.AddrPort, error) {
	s = strings.TrimSpace(s)
	host, port, ok := cutPort(s)
	if !ok {
		return nil, fmt.Errorf("no port")
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("bad port %q", port)
	}
	first, last, isRange := strings.Cut(host, "-")
	a, err := netip.ParseAddr(first)
	if err != nil || a.Zone() != "" {
		return nil, fmt.Errorf("bad address %q", first)
	}
	a = a.Unmap()
	if !isRange {
		return []netip.AddrPort{netip.AddrPortFrom(a, uint16(p))}, nil
	}
	base, bits := 10, 8
	if a.Is6() {
		base, bits = 16, 16
	}
	end, err := strconv.ParseUint(last, base, bits)
	if err != nil {
		return nil, fmt.Errorf("bad range end %q", last)
	}
	b := a.AsSlice()
	var start uint64
	if a.Is4() {
		start = uint64(b[3])
	} else {
		start = uint64(b[14])<<8 | uint64(b[15])
	}
	if end < start {
		return nil, fmt.Errorf("range end %s is below its start", last)
	}
	if end-start >= maxGroupMembers {
		return nil, fmt.Errorf("range of %d addresses; at most %d", end-start+1, maxGroupMembers)
	}
	out := make([]netip.AddrPort, 0, end-start+1)
	for v := start; v <= end; v++ {
		if a.Is4() {
			b[3] = byte(v)
		} else {
			b[14], b[15] = byte(v>>8), byte(v)
		}
		ip, _ := netip.AddrFromSlice(b)
		out = append(out, netip.AddrPortFrom(ip, uint16(p)))
	}
	return out, nil
}

// cutPort splits "host:port" and "[host]:port".
func cutPort(s string) (host, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		h, rest, found := strings.Cut(s[1:], "]")
		if !found || !strings.HasPrefix(rest, ":") {
			return "", "", false
		}
		return h, rest[1:], true
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// groupOf makes vs the virtual server of group: every member is an IPVS
// service sharing vs's real servers, checks and quorum; Address or
// FWMark hold the first member, vs's identity everywhere else.
func (b *builder) groupOf(r *rawVirtualServer, vs *VirtualServer, groups map[string]*VirtualServerGroup, services map[string]hcl.Range) {
	name, ok := b.str(r.Group, "group")
	if !ok {
		return
	}
	g, found := groups[name]
	if !found {
		b.errorf(r.Group.Range(), "Unknown virtual_server_group", "group %q names no virtual_server_group block.", name)
		return
	}
	vs.Group = name
	vs.Members = g.Members
	if len(g.Members) == 0 {
		return
	}
	vs.Address, vs.FWMark = g.Members[0].Address, g.Members[0].FWMark
	for _, m := range g.Members {
		key := fmt.Sprintf("%s %s/%d", vs.Protocol, m.Address, m.FWMark)
		if first, dup := services[key]; dup {
			what := fmt.Sprintf("%s %s", vs.Protocol, m.Address)
			if m.FWMark != 0 {
				what = fmt.Sprintf("fwmark %d", m.FWMark)
			}
			b.errorf(r.Group.Range(), "Duplicate virtual service", "group %q: the virtual_server at %s already uses %s; IPVS has one service per address, port and protocol (or firewall mark).", name, first.String(), what)
		} else {
			services[key] = r.DefRange
		}
	}
}

// dirPortMismatch returns the virtual port a DR or TUN real server on
// port must match and does not: the service's, or for a group any
// member's (packets reach the real server unchanged).
func dirPortMismatch(vs *VirtualServer, kind ForwardKind, port uint16) (uint16, bool) {
	if kind == KindNAT {
		return 0, false
	}
	members := vs.Members
	if vs.Group == "" {
		members = []GroupMember{{Address: vs.Address, FWMark: vs.FWMark}}
	}
	for _, m := range members {
		if m.FWMark == 0 && m.Address.IsValid() && m.Address.Port() != port {
			return m.Address.Port(), true
		}
	}
	return 0, false
}

func mismatch(_ uint16, bad bool) bool { return bad }
