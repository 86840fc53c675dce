package kaconv

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// dnsTypes are the query types keepalived's DNS_CHECK knows, as it
// spells them.
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
		if !slices.Contains(dnsTypes, s) {
			c.drop(body, n, n.Text(), "keepalived's DNS_CHECK types are "+strings.Join(dnsTypes, ", "))
			return true
		}
		c.setString(body, "type", n)
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
				return fmt.Sprintf("no vrrp_track_file or track_file named %q is defined; keepalived reports it and runs the real server without this check, lbhad needs the file", n.Args[0].Text)
			}
			return ""
		}
	}
	return "FILE_CHECK names no track_file"
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
			name = n.Args[0].Text
			c.setString(body, "track_file", n)
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
