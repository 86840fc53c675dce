package kaconv

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// dnsTypes are the query types keepalived's DNS_CHECK knows.
var dnsTypes = []string{"A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY"}

// kindAttr carries a keyword of DNS_CHECK, UDP_CHECK or SMTP_CHECK
// into lbhad's attribute of the same meaning; it reports whether n was
// such a keyword.
func (c *converter) kindAttr(body *hclwrite.Body, kind string, n *node) bool {
	switch {
	case kind == "dns_check" && n.Name == "type":
		s, ok := c.oneArg(body, n)
		if !ok {
			return true
		}
		// keepalived compares the type without case.
		if !slices.Contains(dnsTypes, strings.ToUpper(s)) {
			c.drop(body, n, n.Text(), "keepalived's DNS_CHECK types are "+strings.Join(dnsTypes, ", "))
			return true
		}
		body.SetAttributeValue("type", cty.StringVal(strings.ToUpper(s)))
		c.carry(n, "as type")
	case kind == "dns_check" && n.Name == "name":
		c.setString(body, "name", n)
	case kind == "udp_check" && n.Name == "payload":
		c.setHex(body, "payload", n)
	case kind == "udp_check" && n.Name == "require_reply":
		if len(n.Args) == 0 {
			body.SetAttributeValue("require_reply", cty.True)
			c.carry(n, "as require_reply = true")
			return true
		}
		c.setHex(body, "require_reply", n)
	case kind == "udp_check" && (n.Name == "min_reply_length" || n.Name == "max_reply_length"):
		c.setNumber(body, n.Name, n)
	case kind == "smtp_check" && n.Name == "helo_name":
		c.setString(body, "helo_name", n)
	default:
		return false
	}
	return true
}

// setHex writes keepalived's hex bytes (blanks between bytes, possibly
// unquoted over several words) as one string.
func (c *converter) setHex(body *hclwrite.Body, name string, n *node) {
	if len(n.Args) == 0 {
		c.drop(body, n, n.Text(), "no bytes given")
		return
	}
	body.SetAttributeValue(name, cty.StringVal(strings.Join(argTexts(n.Args), " ")))
	c.carry(n, "as "+name)
}

// fileCheckTarget returns why a FILE_CHECK cannot be written, or "".
func (c *converter) fileCheckTarget(ck *node) string {
	for _, n := range ck.Children {
		if n.Name == "track_file" {
			if len(n.Args) != 1 {
				return "track_file takes one name"
			}
			if !c.trackFiles[n.Args[0].Text] {
				return fmt.Sprintf("no vrrp_track_file or track_file named %q is defined: keepalived reports it and drops this FILE_CHECK, keeping the real server with its other checks, and so does the converted config", n.Args[0].Text)
			}
			return ""
		}
	}
	return "FILE_CHECK names no track_file: keepalived reports it and drops this FILE_CHECK, keeping the real server with its other checks, and so does the converted config"
}

// fileCheck converts FILE_CHECK { track_file NAME; weight W [reverse] }.
// Without a weight keepalived takes the track file's weight and reverse
// flag; lbhad takes its weight, so a reverse is written here.
func (c *converter) fileCheck(body *hclwrite.Body, ck *node) {
	var name string
	weighted := false
	for _, n := range ck.Children {
		switch n.Name {
		case "track_file":
			if s, ok := c.oneArg(body, n); ok && name == "" {
				name = s
				c.setString(body, "track_file", n)
			} else if ok {
				c.drop(body, n, n.Text(), "keepalived's FILE_CHECK follows one track_file; write a FILE_CHECK per file")
			}
		case "weight":
			weighted = true
			switch {
			case len(n.Args) == 1:
				c.setNumber(body, "weight", n)
			case len(n.Args) == 2 && (n.Args[1].Text == "reverse" || n.Args[1].Text == "noreverse"):
				c.setNumberText(body, "weight", n, n.Args[0].Text)
				body.SetAttributeValue("reverse", cty.BoolVal(n.Args[1].Text == "reverse"))
				c.carry(n, "and "+n.Args[1].Text+" as reverse")
			default:
				c.drop(body, n, n.Text(), "expected weight N [reverse|noreverse]")
			}
		default:
			c.dropNode(body, n)
		}
	}
	if !weighted && c.trackFileReverse[name] {
		body.SetAttributeValue("reverse", cty.True)
	}
}

// smtpConnKeys are the SMTP_CHECK keywords that, set on the checker
// itself, make keepalived 2.2.7 check the real server as well as the
// deprecated host blocks.
var smtpConnKeys = []string{"connect_ip", "connect_port", "bindto", "bind_port", "bind_if", "fwmark", "connect_timeout"}

// smtpChecksReal reports whether keepalived runs the SMTP_CHECK against
// the real server itself: with no host block, or with a connection
// keyword on the checker.
func smtpChecksReal(ck *node) bool {
	if !hasChild(ck, "host") {
		return true
	}
	return slices.ContainsFunc(ck.Children, func(n *node) bool { return slices.Contains(smtpConnKeys, n.Name) })
}

// checkersOf is how many checkers keepalived creates for a check block:
// one, but an SMTP_CHECK makes one per host block, plus one for the
// real server itself when smtpChecksReal.
func checkersOf(ck *node) int {
	if ck.Name != "SMTP_CHECK" {
		return 1
	}
	n := 0
	for _, h := range ck.Children {
		if h.Name == "host" {
			n++
		}
	}
	if smtpChecksReal(ck) {
		n++
	}
	return n
}

// smtpHosts converts an SMTP_CHECK with keepalived's deprecated host
// blocks as keepalived 2.2.7 runs it: each host block is a checker of
// its own, with the SMTP_CHECK's other settings (helo_name, retry,
// delay_before_retry, warmup, delay_loop) and its own connection
// settings, the real server's address and port by default; the real
// server itself is checked as well only when the SMTP_CHECK sets a
// connection keyword. Each becomes an smtp_check.
func (c *converter) smtpHosts(parent *hclwrite.Body, ck *node, vs vsContext) {
	shared := &node{Name: ck.Name, Block: true, File: ck.File, Line: ck.Line}
	for _, n := range ck.Children {
		if n.Name != "host" && !slices.Contains(smtpConnKeys, n.Name) {
			shared.Children = append(shared.Children, n)
		}
	}
	if smtpChecksReal(ck) {
		main := &node{Name: ck.Name, Block: true, File: ck.File, Line: ck.Line}
		for _, n := range ck.Children {
			if n.Name != "host" {
				main.Children = append(main.Children, n)
			}
		}
		c.check(parent, main, vs)
	}
	for _, h := range ck.Children {
		if h.Name != "host" {
			continue
		}
		if !h.Block {
			c.drop(parent, h, h.Text(), "host must be a { ... } block")
			continue
		}
		one := &node{Name: ck.Name, Block: true, File: h.File, Line: h.Line, Children: append(slices.Clone(shared.Children), h.Children...)}
		c.check(parent, one, vs)
		c.carry(h, "as an smtp_check of its own (keepalived 2.2.7 runs each host block as a separate checker)")
	}
	c.carry(ck, "as one smtp_check per host block, as keepalived 2.2.7 runs them")
}
