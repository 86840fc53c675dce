package kaconv

import (
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// useVMAC carries keepalived's "use_vmac [NAME]": use_vmac = true (the
// macvlan is then vrrp.VRID in both) or the name. lbhad has no IPv6
// VMAC yet, so an IPv6 instance's use_vmac is reported.
func (c *converter) useVMAC(body *hclwrite.Body, n *node, ipv6 bool) {
	switch {
	case ipv6:
		c.drop(body, n, n.Text(), "lbhad supports use_vmac on IPv4 instances only; the IPv6 instance keeps its VIPs on the interface itself")
	case len(n.Args) == 0:
		body.SetAttributeValue("use_vmac", cty.True)
		c.carry(n, "as use_vmac = true (macvlan vrrp.VRID with the virtual MAC)")
	case len(n.Args) == 1:
		body.SetAttributeValue("use_vmac", cty.StringVal(n.Args[0].Text))
		c.carry(n, "as use_vmac = \""+n.Args[0].Text+"\"")
	default:
		c.drop(body, n, n.Text(), "use_vmac takes at most one interface name")
	}
}
