package kaconv

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// vsGroup converts keepalived's virtual_server_group: entries
// "IP PORT", "IP-LAST PORT" (the last byte of an IPv4 address, the last
// group of an IPv6 one) and "fwmark N" become lbhad's addresses and
// fwmarks. Each entry is one IPVS service, so an entry left out is a
// service lost and is reported.
func (c *converter) vsGroup(parent *hclwrite.Body, g *node) {
	if groupRemoved(g) {
		c.drop(parent, g, g.Text(), "keepalived 2.2.7 removes a group that has IPv4 and IPv6 addresses and a fwmark without inet or inet6 (\"cannot have IPv4, IPv6 and fwmark without family - removing\"), and with it the virtual servers using it")
		return
	}
	body := parent.AppendNewBlock("virtual_server_group", []string{g.Args[0].Text}).Body()
	c.carry(g, "as virtual_server_group")
	var addrs, marks []cty.Value
	var fam string // "IPv4" or "IPv6" of the first address entry
	for _, e := range g.Children {
		if e.Name == "fwmark" {
			if len(e.Args) != 1 {
				c.drop(body, e, e.Text(), "lbhad takes fwmark N in a group; inet and inet6 (for groups whose real servers are all tunnelled) are not carried")
				continue
			}
			m, err := strconv.ParseUint(e.Args[0].Text, 10, 32)
			if err != nil || m == 0 {
				c.drop(body, e, e.Text(), "the firewall mark must be a number from 1 to 4294967295")
				continue
			}
			marks = append(marks, cty.NumberUIntVal(m))
			c.carry(e, "into fwmarks")
			continue
		}
		if e.Block || len(e.Args) != 1 {
			c.drop(body, e, e.Text(), "lbhad takes group entries IP PORT, IP-LAST PORT and fwmark N; an entry without a port (all ports) is not carried, write the port")
			continue
		}
		s, is6, why := groupAddress(e.Name, e.Args[0].Text)
		if why != "" {
			c.drop(body, e, e.Text(), why)
			continue
		}
		f := family(is6)
		if fam == "" {
			fam = f
		} else if f != fam {
			c.drop(body, e, e.Text(), fmt.Sprintf("lbhad needs one address family per group (IPVS sends a service's traffic to real servers of its own family) and this group is %s; put the %s entries in a second group with its own virtual_server", fam, f))
			continue
		}
		addrs = append(addrs, cty.StringVal(s))
		c.carry(e, "into addresses")
	}
	if len(addrs) > 0 {
		body.SetAttributeValue("addresses", cty.TupleVal(addrs))
	}
	if len(marks) > 0 {
		body.SetAttributeValue("fwmarks", cty.TupleVal(marks))
	}
}

// groupRemoved reports whether keepalived drops the group as a whole:
// it cannot tell the family of a bare fwmark when the group has
// addresses of both families.
func groupRemoved(g *node) bool {
	var has4, has6, bareMark bool
	for _, e := range g.Children {
		if e.Name == "fwmark" {
			bareMark = bareMark || len(e.Args) == 1
			continue
		}
		first, _, _ := strings.Cut(e.Name, "-")
		first, _, _ = strings.Cut(first, "/")
		if a, err := netip.ParseAddr(first); err == nil {
			has4 = has4 || a.Unmap().Is4()
			has6 = has6 || a.Unmap().Is6()
		}
	}
	return has4 && has6 && bareMark
}

// groupAddress turns keepalived's "IP" or "IP-LAST" and a port into
// lbhad's "IP:PORT" or "IP-LAST:PORT" ("[IP-LAST]:PORT" for IPv6), or
// says why it cannot.
func groupAddress(ip, port string) (s string, is6 bool, why string) {
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", false, "the port must be a number from 0 to 65535"
	}
	first, last, isRange := strings.Cut(ip, "-")
	a, err := netip.ParseAddr(first)
	if err != nil || a.Zone() != "" {
		if _, perr := netip.ParsePrefix(ip); perr == nil {
			return "", false, "lbhad takes a range as IP-LAST (the last byte or group varying); write this prefix as such a range"
		}
		return "", false, "expected an IP address or a range IP-LAST"
	}
	a = a.Unmap()
	if !isRange {
		return netip.AddrPortFrom(a, uint16(p)).String(), a.Is6(), ""
	}
	b := a.As16()
	var lo, hi uint64
	if a.Is4() {
		lo = uint64(b[15])
		hi, err = strconv.ParseUint(last, 10, 8)
	} else {
		lo = uint64(b[14])<<8 | uint64(b[15])
		hi, err = strconv.ParseUint(last, 16, 16)
	}
	if err != nil {
		return "", false, "lbhad takes a range as IP-LAST, LAST being the last byte (IPv4, decimal) or group (IPv6, hex); a range across that is not carried, write it as several entries"
	}
	if hi < lo {
		return "", false, "the range ends before it starts"
	}
	r := a.String() + "-" + last
	if a.Is6() {
		return fmt.Sprintf("[%s]:%d", r, p), true, ""
	}
	return fmt.Sprintf("%s:%d", r, p), false, ""
}
