package config

import (
	"fmt"
	"net/netip"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// vmac reads use_vmac and vmac_xmit_base. use_vmac is true (the
// macvlan is named "vrrp.VRID", as in keepalived) or the macvlan's
// name; the VIPs written without a dev move onto it. vmacs holds the
// names taken so far, for the duplicate check.
func (b *builder) vmac(r *rawInstance, in *Instance, vmacs map[string]hcl.Range) {
	if !present(r.UseVMAC) {
		if present(r.VMACXmitBase) {
			b.warnf(r.VMACXmitBase.Range(), "vmac_xmit_base without use_vmac", "vmac_xmit_base only matters with use_vmac; it is ignored here, as keepalived ignores it.")
		}
		return
	}
	v, ok := b.value(r.UseVMAC)
	if !ok {
		return
	}
	name := ""
	switch v.Type() {
	case cty.Bool:
		if v.False() {
			return
		}
		if in.VRID == 0 {
			return // virtual_router_id is reported already
		}
		name = fmt.Sprintf("vrrp.%d", in.VRID)
	case cty.String:
		name = v.AsString()
		if !validIfName(name) {
			b.errorf(r.UseVMAC.Range(), "Invalid use_vmac", "use_vmac must be true (the interface is then named \"vrrp.VRID\") or an interface name of 1 to 15 characters without spaces or slashes; %q is not.", name)
			return
		}
	default:
		b.typeErr(r.UseVMAC, "use_vmac", "true, false or an interface name is")
		return
	}
	switch {
	case name == in.Interface:
		b.errorf(r.UseVMAC.Range(), "Invalid use_vmac", "use_vmac names %q, the instance's own interface; the macvlan needs a name of its own.", name)
		return
	case in.IPv6:
		b.errorf(r.UseVMAC.Range(), "use_vmac on an IPv6 instance", "lbhad supports use_vmac on IPv4 instances only for now; an IPv6 VMAC needs a link-local address copied from %s, which lbhad does not manage yet. Remove use_vmac from this instance.", in.Interface)
		return
	}
	if first, dup := vmacs[name]; dup {
		b.errorf(r.UseVMAC.Range(), "Duplicate use_vmac", "The VMAC interface %q is already used by the instance at %s; each instance needs its own.", name, first.String())
		return
	}
	vmacs[name] = r.UseVMAC.Range()
	in.VMAC = name
	in.VMACXmitBase = b.boolDefault(r.VMACXmitBase, "vmac_xmit_base", false)
	b.vipsOnVMAC(r, in)
}

// vipsOnVMAC moves the VIPs written without a dev onto the VMAC, where
// keepalived puts them; an explicit dev is kept.
func (b *builder) vipsOnVMAC(r *rawInstance, in *Instance) {
	list, ok := b.strListQuiet(r.VIPs)
	if !ok {
		return
	}
	noDev := map[netip.Addr]bool{}
	for _, s := range list {
		if v, err := parseVIP(s); err == nil && v.Dev == "" {
			noDev[v.Prefix.Addr()] = true
		}
	}
	for i, v := range in.VIPs {
		if noDev[v.Prefix.Addr()] {
			in.VIPs[i].Dev = in.VMAC
		}
	}
}

// strListQuiet is strList without diagnostics, for a second reading of
// an attribute whose problems the first reading reported.
func (b *builder) strListQuiet(e hcl.Expression) ([]string, bool) {
	q := &builder{host: b.host}
	return q.strList(e, "")
}
