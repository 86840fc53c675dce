package kaconv

import (
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// tunnelSpec is keepalived 2.2.7's `lvs_method TUN [type {ipip|gue port
// NUM|gre} [nocsum|csum|remcsum]]` after the TUN.
type tunnelSpec struct {
	typ, flags string
	port       int64
}

// parseTunnel reads the words after TUN, in keepalived's order; ok is
// false for anything else, with the reason. The kernel's rules (gue needs
// a port, checksum options for gue and gre, remcsum for gue only) are
// checked too, so what converts also validates.
func parseTunnel(args []string) (t tunnelSpec, why string, ok bool) {
	if len(args) == 0 {
		return t, "", true
	}
	if args[0] != "type" || len(args) < 2 {
		return t, "expected TUN type ipip|gue|gre after the method", false
	}
	t.typ, args = args[1], args[2:]
	switch t.typ {
	case "ipip", "gre":
	case "gue":
		if len(args) < 2 || args[0] != "port" {
			return t, "a gue tunnel needs port NUM", false
		}
		p, err := strconv.ParseInt(args[1], 10, 32)
		if err != nil || p < 1 || p > 65535 {
			return t, "the gue port must be 1 to 65535", false
		}
		t.port, args = p, args[2:]
	default:
		return t, "the tunnel type must be ipip, gue or gre", false
	}
	if len(args) == 0 {
		return t, "", true
	}
	if len(args) > 1 {
		return t, "one checksum option at most after the tunnel type", false
	}
	t.flags = args[0]
	switch {
	case t.flags != "nocsum" && t.flags != "csum" && t.flags != "remcsum":
		return t, "the checksum option must be nocsum, csum or remcsum", false
	case t.typ == "ipip":
		return t, "an ipip tunnel takes no checksum option", false
	case t.typ == "gre" && t.flags == "remcsum":
		return t, "remcsum is for gue tunnels only", false
	}
	return t, "", true
}

// tunnelMethod carries `lvs_method TUN type ...` as lb_kind and the
// tun_type, tun_port and tun_flags attributes.
func (c *converter) tunnelMethod(body *hclwrite.Body, n *node) {
	args := make([]string, 0, len(n.Args)-1)
	for _, a := range n.Args[1:] {
		args = append(args, strings.ToLower(a.Text))
	}
	t, why, ok := parseTunnel(args)
	if !ok {
		c.drop(body, n, n.Text(), why)
		return
	}
	body.SetAttributeValue("lb_kind", cty.StringVal("TUN"))
	body.SetAttributeValue("tun_type", cty.StringVal(t.typ))
	how := "as lb_kind and tun_type"
	if t.port != 0 {
		body.SetAttributeValue("tun_port", cty.NumberIntVal(t.port))
		how += ", tun_port"
	}
	if t.flags != "" {
		body.SetAttributeValue("tun_flags", cty.StringVal(t.flags))
		how += ", tun_flags"
	}
	c.carry(n, how)
}

// sorryMethod carries sorry_server_lvs_method. lbhad's sorry server has
// no tunnel settings of its own: TUN means plain IPIP there, so a tunnel
// type other than that is a named loss.
func (c *converter) sorryMethod(body *hclwrite.Body, n *node) {
	if len(n.Args) == 0 {
		c.drop(body, n, n.Text(), "expected NAT, DR or TUN")
		return
	}
	m := n.Args[0].Text
	if m != "NAT" && m != "DR" && m != "TUN" {
		c.drop(body, n, n.Text(), "keepalived 2.2.7 takes NAT, DR or TUN in upper case")
		return
	}
	if len(n.Args) > 1 {
		args := make([]string, 0, len(n.Args)-1)
		for _, a := range n.Args[1:] {
			args = append(args, strings.ToLower(a.Text))
		}
		t, why, ok := parseTunnel(args)
		switch {
		case m != "TUN":
			c.drop(body, n, n.Text(), "only TUN takes more words")
			return
		case !ok:
			c.drop(body, n, n.Text(), why)
			return
		case t.typ != "ipip":
			c.drop(body, n, n.Text(), "lbhad's sorry server tunnels with plain ipip; a gue or gre sorry server is not carried")
			return
		}
	}
	body.SetAttributeValue("sorry_server_lvs_method", cty.StringVal(m))
	c.carry(n, "as sorry_server_lvs_method")
}
