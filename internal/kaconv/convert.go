package kaconv

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/lbhad/lbhad/config"
	"github.com/zclconf/go-cty/cty"
)

// Unsupported is one keepalived option that Convert could not carry into
// the lbhad configuration, with where it was written and why it was left
// out. The converted file has a comment at the same spot.
type Unsupported struct {
	File string // the keepalived file, as given or as found by include
	Line int    // 1-based line of the option in File
	What string // the option as written, e.g. "use_vmac vrrp51"
	Why  string // one sentence: why lbhad cannot take it
}

// String formats u as "file:line: what: why", like a compiler message.
func (u Unsupported) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", u.File, u.Line, u.What, u.Why)
}

// Convert reads the keepalived configuration at path (with its include
// files) and returns the equivalent lbhad HCL configuration, formatted,
// plus every option it could not convert in file order. Options that
// are dropped leave a comment in the output at the place they would have
// gone, so the result can be reviewed side by side with the list.
//
// The output is meant to be checked with config.Parse (lbhad validate)
// before use: Convert keeps values as written and does not re-validate
// them, except where a keepalived value is known to be refused by lbhad
// (then the option is dropped and listed).
//
// Errors wrap ErrSyntax when the file is malformed (unbalanced braces,
// an unterminated quote, includes nested too deep), ErrNotRegular when
// it or an include names a device or directory, or the os error (such as
// fs.ErrNotExist) when a file cannot be read.
func Convert(path string) (hcl []byte, unsupported []Unsupported, err error) {
	nodes, unmatched, err := parseFile(path)
	if err != nil {
		return nil, nil, err
	}
	c := &converter{source: path}
	for _, n := range unmatched {
		c.record(n, n.Text(), "the include pattern matched no file, so nothing was read from it")
	}
	out := c.convert(nodes)
	slices.SortStableFunc(c.unsupported, func(a, b Unsupported) int {
		if c.fileOrder(a.File) != c.fileOrder(b.File) {
			return c.fileOrder(a.File) - c.fileOrder(b.File)
		}
		return a.Line - b.Line
	})
	return out, c.unsupported, nil
}

type converter struct {
	source      string
	unsupported []Unsupported
	files       []string // in the order first seen, for sorting the report

	email     bool            // the global email block is written
	scripts   map[string]bool // vrrp_script names
	vsLabels  map[string]bool
	instances map[string]bool
	// vrrp3 is global_defs' vrrp_version 3: instances without a version
	// of their own speak VRRPv3.
	vrrp3 bool
}

func (c *converter) fileOrder(f string) int {
	if i := slices.Index(c.files, f); i >= 0 {
		return i
	}
	c.files = append(c.files, f)
	return len(c.files) - 1
}

// record lists an option as not converted.
func (c *converter) record(n *node, what, why string) {
	c.fileOrder(n.File)
	c.unsupported = append(c.unsupported, Unsupported{File: n.File, Line: n.Line, What: what, Why: why})
}

// drop records an option and leaves a comment in body where it was.
func (c *converter) drop(body *hclwrite.Body, n *node, what, why string) {
	c.record(n, what, why)
	comment(body, fmt.Sprintf("not converted (%s): %s: %s", n.Pos(), what, why))
}

// dropNode drops the whole statement n, explaining why from the table of
// known options or with a generic reason.
func (c *converter) dropNode(body *hclwrite.Body, n *node) {
	why, ok := reasons[n.Name]
	if !ok {
		why = "lbhad has no equivalent of this keepalived option"
	}
	c.drop(body, n, n.Text(), why)
}

func comment(body *hclwrite.Body, text string) {
	body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte("# " + text + "\n")}})
}

func (c *converter) convert(nodes []*node) []byte {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	comment(body, "Converted from the keepalived configuration "+c.source+" by lbhad convert.")
	comment(body, "Review every \"not converted\" comment, then check the file with: lbhad validate -c FILE")

	c.scripts = map[string]bool{}
	c.vsLabels = map[string]bool{}
	c.instances = map[string]bool{}
	for _, n := range nodes {
		switch {
		case n.Name == "global_defs" && n.Block:
			if c.emailComplete(n) {
				c.email = true
			}
		case n.Name == "vrrp_script" && n.Block && len(n.Args) == 1:
			c.scripts[n.Args[0].Text] = true
		}
	}
	for _, n := range nodes {
		body.AppendNewline()
		switch {
		case !n.Block:
			c.dropNode(body, n)
		case n.Name == "global_defs" && len(n.Args) == 0:
			c.global(body, n)
		case n.Name == "vrrp_script" && len(n.Args) == 1:
			c.script(body, n)
		case n.Name == "vrrp_instance" && len(n.Args) == 1:
			c.instance(body, n)
		case n.Name == "vrrp_sync_group" && len(n.Args) == 1:
			c.syncGroup(body, n)
		case n.Name == "virtual_server":
			c.virtualServer(body, n)
		default:
			c.dropNode(body, n)
		}
	}
	return hclwrite.Format(f.Bytes())
}

// --- values ---

func (c *converter) oneArg(body *hclwrite.Body, n *node) (string, bool) {
	if len(n.Args) != 1 {
		c.drop(body, n, n.Text(), fmt.Sprintf("%s takes exactly one value here", n.Name))
		return "", false
	}
	return n.Args[0].Text, true
}

func (c *converter) setString(body *hclwrite.Body, name string, n *node) {
	if s, ok := c.oneArg(body, n); ok {
		body.SetAttributeValue(name, cty.StringVal(s))
	}
}

func parseNumber(s string) (cty.Value, bool) {
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return cty.NilVal, false
	}
	v, err := cty.ParseNumberVal(s)
	return v, err == nil
}

func (c *converter) setNumber(body *hclwrite.Body, name string, n *node) {
	s, ok := c.oneArg(body, n)
	if !ok {
		return
	}
	c.setNumberText(body, name, n, s)
}

func (c *converter) setNumberText(body *hclwrite.Body, name string, n *node, s string) {
	v, ok := parseNumber(s)
	if !ok {
		c.drop(body, n, n.Text(), fmt.Sprintf("%q is not a number", s))
		return
	}
	body.SetAttributeValue(name, v)
}

// keepalived switches are true when given alone and otherwise take
// yes/no, on/off, true/false.
func (c *converter) setFlag(body *hclwrite.Body, name string, n *node) {
	v, ok := c.flag(body, n)
	if ok {
		body.SetAttributeValue(name, cty.BoolVal(v))
	}
}

func (c *converter) flag(body *hclwrite.Body, n *node) (bool, bool) {
	if len(n.Args) == 0 {
		return true, true
	}
	if len(n.Args) == 1 {
		switch strings.ToLower(n.Args[0].Text) {
		case "true", "yes", "on", "1":
			return true, true
		case "false", "no", "off", "0":
			return false, true
		}
	}
	c.drop(body, n, n.Text(), "expected no value or one of true, false, yes, no, on, off")
	return false, false
}

// setScript writes a command line. vrrp_script's script and misc_path
// take the whole rest of the line, quoted or not.
func (c *converter) setCommandLine(body *hclwrite.Body, name string, n *node) {
	if len(n.Args) == 0 {
		c.drop(body, n, n.Text(), "no command given")
		return
	}
	parts := make([]string, len(n.Args))
	for i, a := range n.Args {
		parts[i] = a.Text
	}
	body.SetAttributeValue(name, cty.StringVal(strings.Join(parts, " ")))
}

// setNotify writes a notify command. keepalived reads
// `notify_x SCRIPT [USER [GROUP]]`, so words after the first are the user
// to run it as, which lbhad sets only globally (script_user).
func (c *converter) setNotify(body *hclwrite.Body, name string, n *node) {
	if len(n.Args) == 0 {
		c.drop(body, n, n.Text(), "no command given")
		return
	}
	body.SetAttributeValue(name, cty.StringVal(n.Args[0].Text))
	if len(n.Args) > 1 {
		c.drop(body, n, n.Text(), "lbhad runs notify commands as global script_user and cannot set a user per command; if these words were meant as arguments, quote the whole command")
	}
}

// --- global_defs ---

// emailComplete reports whether global_defs has all that lbhad needs to
// send mail. keepalived sends nothing without smtp_server or recipients,
// and lbhad also requires the sender.
func (c *converter) emailComplete(g *node) bool {
	var to, from, server bool
	for _, n := range g.Children {
		switch n.Name {
		case "notification_email":
			to = n.Block && len(n.Children) > 0
		case "notification_email_from":
			from = len(n.Args) == 1
		case "smtp_server":
			server = len(n.Args) == 1 || len(n.Args) == 2
		}
	}
	return to && from && server
}

var emailOptions = []string{"notification_email", "notification_email_from", "smtp_server", "smtp_connect_timeout"}

func (c *converter) global(parent *hclwrite.Body, g *node) {
	body := parent.AppendNewBlock("global", nil).Body()
	emailDone := false
	for _, n := range g.Children {
		if slices.Contains(emailOptions, n.Name) {
			if !c.email {
				c.drop(body, n, n.Text(), "lbhad needs notification_email, notification_email_from and smtp_server together to send mail")
				continue
			}
			if !emailDone {
				emailDone = true
				c.emailBlock(body, g)
			}
			continue
		}
		switch n.Name {
		case "router_id":
			c.setString(body, "router_id", n)
		case "script_user":
			if len(n.Args) == 2 {
				body.SetAttributeValue("script_user", cty.StringVal(n.Args[0].Text))
				c.drop(body, n, n.Text(), "lbhad runs scripts with the user's own group; the group cannot be chosen")
				continue
			}
			c.setString(body, "script_user", n)
		case "enable_script_security":
			c.setFlag(body, "enable_script_security", n)
		case "lvs_timeouts":
			c.lvsTimeouts(body, n)
		case "lvs_sync_daemon":
			c.syncDaemon(body, n)
		case "vrrp_version":
			c.setNumber(body, "vrrp_version", n)
			c.vrrp3 = len(n.Args) == 1 && n.Args[0].Text == "3"
		default:
			c.dropNode(body, n)
		}
	}
}

func (c *converter) emailBlock(parent *hclwrite.Body, g *node) {
	email := parent.AppendNewBlock("notification", nil).Body().AppendNewBlock("email", nil).Body()
	for _, n := range g.Children {
		switch n.Name {
		case "smtp_server":
			host := n.Args[0].Text
			if len(n.Args) == 2 {
				host = net.JoinHostPort(host, n.Args[1].Text)
			}
			email.SetAttributeValue("server", cty.StringVal(host))
		case "notification_email_from":
			email.SetAttributeValue("from", cty.StringVal(n.Args[0].Text))
		case "notification_email":
			var to []cty.Value
			for _, a := range n.Children {
				to = append(to, cty.StringVal(a.Name))
				if len(a.Args) > 0 {
					c.drop(email, a, a.Text(), "one recipient per line; the words after the address were ignored")
				}
			}
			email.SetAttributeValue("to", cty.TupleVal(to))
		case "smtp_connect_timeout":
			c.setNumber(email, "connect_timeout", n)
		}
	}
}

func (c *converter) lvsTimeouts(parent *hclwrite.Body, n *node) {
	body := parent.AppendNewBlock("lvs_timeouts", nil).Body()
	for i := 0; i < len(n.Args); i += 2 {
		key := strings.ToLower(n.Args[i].Text)
		if i+1 >= len(n.Args) {
			c.drop(body, n, n.Text(), fmt.Sprintf("%s has no value", key))
			return
		}
		val := n.Args[i+1].Text
		switch key {
		case "tcp", "tcpfin", "udp":
			if _, err := strconv.ParseUint(val, 10, 32); err != nil {
				c.drop(body, n, key+" "+val, "lvs_timeouts take whole seconds")
				continue
			}
			c.setNumberText(body, key, n, val)
		default:
			c.drop(body, n, key+" "+val, "lbhad sets only the tcp, tcpfin and udp timeouts")
		}
	}
}

// syncDaemon maps keepalived's
// "lvs_sync_daemon IFACE INSTANCE [id N] [maxlen N] [port N] [ttl N] [group IP]".
func (c *converter) syncDaemon(parent *hclwrite.Body, n *node) {
	if len(n.Args) < 1 {
		c.drop(parent, n, n.Text(), "lvs_sync_daemon needs an interface")
		return
	}
	body := parent.AppendNewBlock("lvs_sync_daemon", nil).Body()
	body.SetAttributeValue("interface", cty.StringVal(n.Args[0].Text))
	rest := n.Args[1:]
	if len(rest) > 0 && !slices.Contains([]string{"id", "maxlen", "port", "ttl", "group"}, rest[0].Text) {
		body.SetAttributeValue("instance", cty.StringVal(rest[0].Text))
		rest = rest[1:]
	}
	names := map[string]string{"id": "syncid", "maxlen": "sync_maxlen", "port": "mcast_port", "ttl": "mcast_ttl"}
	for i := 0; i < len(rest); i += 2 {
		key := rest[i].Text
		if i+1 >= len(rest) {
			c.drop(body, n, key, "has no value")
			return
		}
		val := rest[i+1].Text
		switch {
		case key == "group":
			body.SetAttributeValue("mcast_group", cty.StringVal(val))
		case names[key] != "":
			c.setNumberText(body, names[key], n, val)
		default:
			c.drop(body, n, key+" "+val, "not an lvs_sync_daemon option lbhad knows")
		}
	}
}

// --- vrrp_script ---

func (c *converter) script(parent *hclwrite.Body, s *node) {
	body := parent.AppendNewBlock("vrrp_script", []string{s.Args[0].Text}).Body()
	interval := 1.0
	for _, n := range s.Children {
		if n.Name == "interval" && len(n.Args) == 1 {
			if f, err := strconv.ParseFloat(n.Args[0].Text, 64); err == nil {
				interval = f
			}
		}
	}
	for _, n := range s.Children {
		switch n.Name {
		case "script":
			c.setCommandLine(body, "script", n)
		case "interval", "rise", "fall":
			c.setNumber(body, n.Name, n)
		case "timeout":
			s, ok := c.oneArg(body, n)
			if !ok {
				continue
			}
			if f, err := strconv.ParseFloat(s, 64); err == nil && f >= interval {
				c.drop(body, n, n.Text(), fmt.Sprintf("lbhad needs timeout shorter than interval (%gs) and then uses the interval as the timeout", interval))
				continue
			}
			c.setNumberText(body, "timeout", n, s)
		case "weight":
			if len(n.Args) == 2 && n.Args[1].Text == "reverse" {
				c.setNumberText(body, "weight", n, n.Args[0].Text)
				c.drop(body, n, n.Text(), "lbhad has no reversed weights; the weight is kept with its usual meaning")
				continue
			}
			c.setNumber(body, "weight", n)
		case "user":
			c.userAttr(body, n)
		default:
			c.dropNode(body, n)
		}
	}
}

func (c *converter) userAttr(body *hclwrite.Body, n *node) {
	switch len(n.Args) {
	case 1:
		body.SetAttributeValue("user", cty.StringVal(n.Args[0].Text))
	case 2:
		body.SetAttributeValue("user", cty.StringVal(n.Args[0].Text))
		c.drop(body, n, n.Text(), "lbhad runs scripts with the user's own group; the group cannot be chosen")
	default:
		c.drop(body, n, n.Text(), "user takes a user name and an optional group")
	}
}

// --- vrrp_instance ---

func (c *converter) instance(parent *hclwrite.Body, in *node) {
	name := in.Args[0].Text
	c.instances[name] = true
	body := parent.AppendNewBlock("vrrp_instance", []string{name}).Body()
	ipv6, v3 := c.instanceFamily(in)
	for _, n := range in.Children {
		switch n.Name {
		case "version":
			c.setNumber(body, "version", n)
		case "native_ipv6":
			c.setFlag(body, "native_ipv6", n)
		case "state":
			s, ok := c.oneArg(body, n)
			if !ok {
				continue
			}
			if u := strings.ToUpper(s); u != "MASTER" && u != "BACKUP" {
				c.drop(body, n, n.Text(), "state must be MASTER or BACKUP")
				continue
			}
			body.SetAttributeValue("state", cty.StringVal(strings.ToUpper(s)))
		case "interface", "unicast_src_ip":
			c.setString(body, n.Name, n)
		case "virtual_router_id", "priority", "preempt_delay", "garp_master_delay", "garp_master_repeat", "garp_master_refresh":
			c.setNumber(body, n.Name, n)
		case "advert_int":
			s, ok := c.oneArg(body, n)
			if !ok {
				continue
			}
			if v, err := strconv.ParseUint(s, 10, 8); err == nil && v > 0 {
				c.setNumberText(body, "advert_int", n, s)
				continue
			}
			// VRRPv3 carries centiseconds from 0.01 to 40.95 s.
			if f, err := strconv.ParseFloat(s, 64); v3 && err == nil && f >= 0.01 && f <= 40.95 && math.Abs(f*100-math.Round(f*100)) < 1e-6 {
				c.setNumberText(body, "advert_int", n, s)
				continue
			}
			c.drop(body, n, n.Text(), "VRRPv2 carries advert_int in whole seconds from 1 to 255 and VRRPv3 in centiseconds from 0.01 to 40.95 (keepalived rounds a VRRPv2 fraction to whole seconds; lbhad needs version 3 for it)")
		case "nopreempt":
			c.setFlag(body, "nopreempt", n)
		case "preempt":
			// keepalived's default; nothing to write.
		case "authentication":
			c.auth(body, n)
		case "virtual_ipaddress":
			c.vips(body, n, ipv6)
		case "unicast_peer":
			c.listBlock(body, "unicast_peer", n, func(e *node) (string, bool) {
				return c.unicastPeer(body, e, ipv6)
			})
		case "track_interface":
			c.listBlock(body, "track_interface", n, func(e *node) (string, bool) {
				if len(e.Args) > 0 {
					c.drop(body, e, e.Text(), "lbhad has no weighted track_interface: a tracked interface going down always puts the instance into FAULT")
				}
				return e.Name, true
			})
		case "track_script":
			c.trackScripts(body, n)
		case "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify":
			c.setNotify(body, n.Name, n)
		case "smtp_alert":
			c.smtpAlert(body, n)
		default:
			c.dropNode(body, n)
		}
	}
}

func (c *converter) smtpAlert(body *hclwrite.Body, n *node) {
	v, ok := c.flag(body, n)
	if !ok {
		return
	}
	if v && !c.email {
		c.drop(body, n, n.Text(), "global_defs has no complete mail settings (notification_email, notification_email_from, smtp_server), so there is nowhere to send alerts")
		return
	}
	body.SetAttributeValue("smtp_alert", cty.BoolVal(v))
}

func (c *converter) auth(parent *hclwrite.Body, a *node) {
	var typ, pass *node
	for _, n := range a.Children {
		switch n.Name {
		case "auth_type":
			typ = n
		case "auth_pass":
			pass = n
		default:
			c.dropNode(parent, n)
		}
	}
	if typ == nil || len(typ.Args) != 1 {
		c.drop(parent, a, a.Text(), "authentication without a single auth_type")
		return
	}
	if t := strings.ToUpper(typ.Args[0].Text); t != "PASS" {
		c.drop(parent, typ, typ.Text(), "lbhad supports only PASS authentication (IPsec AH is not implemented); the instance is converted without authentication, which a peer using AH will not accept")
		return
	}
	if pass == nil || len(pass.Args) != 1 || pass.Args[0].Text == "" {
		c.drop(parent, a, a.Text(), "auth_type PASS without an auth_pass")
		return
	}
	body := parent.AppendNewBlock("authentication", nil).Body()
	body.SetAttributeValue("auth_type", cty.StringVal("PASS"))
	p := pass.Args[0].Text
	if len(p) > 8 {
		c.drop(body, pass, "auth_pass (longer than 8 bytes)", "VRRPv2 carries 8 bytes; keepalived silently used only the first 8, and so does the converted auth_pass, so peers still agree")
		p = p[:8]
	}
	body.SetAttributeValue("auth_pass", cty.StringVal(p))
}

// instanceFamily finds, as keepalived does, whether an instance is IPv6
// (native_ipv6, or its first virtual address) and whether it speaks
// VRRPv3 (its version, else global_defs' vrrp_version; IPv6 always).
func (c *converter) instanceFamily(in *node) (ipv6, v3 bool) {
	v3 = c.vrrp3
	for _, n := range in.Children {
		switch n.Name {
		case "native_ipv6":
			ipv6 = len(n.Args) == 0 || slices.Contains([]string{"true", "yes", "on", "1"}, strings.ToLower(n.Args[0].Text))
		case "version":
			v3 = len(n.Args) == 1 && n.Args[0].Text == "3"
		}
	}
	for _, n := range in.Children {
		if n.Name == "virtual_ipaddress" && len(n.Children) > 0 && !ipv6 {
			addr, _, _ := strings.Cut(n.Children[0].Name, "/")
			if a, err := netip.ParseAddr(addr); err == nil && a.Is6() {
				ipv6 = true
			}
		}
	}
	return ipv6, v3 || ipv6
}

// unicastPeer converts one unicast_peer entry of an instance of the
// given family, with keepalived's min_ttl and max_ttl.
func (c *converter) unicastPeer(body *hclwrite.Body, e *node, ipv6 bool) (string, bool) {
	a, err := netip.ParseAddr(e.Name)
	if err != nil {
		c.drop(body, e, e.Text(), "not an IP address")
		return "", false
	}
	if a.Is6() != ipv6 {
		c.drop(body, e, e.Text(), "a unicast peer must be of the instance's address family (an instance is IPv4 or IPv6)")
		return "", false
	}
	words := []string{e.Name}
	for i := 0; i < len(e.Args); i++ {
		k := e.Args[i].Text
		if (k == "min_ttl" || k == "max_ttl") && i+1 < len(e.Args) {
			words = append(words, k, e.Args[i+1].Text)
			i++
			continue
		}
		c.drop(body, e, e.Text(), fmt.Sprintf("lbhad takes only min_ttl and max_ttl on a unicast peer; %q left out, the address is kept", k))
	}
	return strings.Join(words, " "), true
}

// vips converts virtual_ipaddress, keeping the address with its dev and
// label; other per-address options are dropped, and so are addresses of
// the other family than the instance's.
func (c *converter) vips(parent *hclwrite.Body, blk *node, ipv6 bool) {
	var list []cty.Value
	for _, e := range blk.Children {
		addr := e.Name
		pfx, err := netip.ParsePrefix(addr)
		if err != nil {
			a, aerr := netip.ParseAddr(addr)
			if aerr != nil {
				c.drop(parent, e, e.Text(), "not an IP address")
				continue
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		if pfx.Addr().Is6() != ipv6 {
			c.drop(parent, e, e.Text(), "an instance is IPv4 or IPv6, as in keepalived; put the other family's addresses in a second vrrp_instance in a vrrp_sync_group with this one")
			continue
		}
		words := []string{addr}
		var dropped []string
		for i := 0; i < len(e.Args); i++ {
			k := e.Args[i].Text
			if (k == "dev" || k == "label") && i+1 < len(e.Args) {
				words = append(words, k, e.Args[i+1].Text)
				i++
				continue
			}
			dropped = append(dropped, k)
		}
		if len(dropped) > 0 {
			c.drop(parent, e, e.Text(), fmt.Sprintf("lbhad sets only dev and label on a virtual address; %q left out, the address is kept", strings.Join(dropped, " ")))
		}
		list = append(list, cty.StringVal(strings.Join(words, " ")))
	}
	if len(list) > 0 {
		parent.SetAttributeValue("virtual_ipaddress", cty.TupleVal(list))
	}
}

// listBlock converts `name { a \n b }` into name = ["a", "b"]. keepalived
// also allows several entries on one line.
func (c *converter) listBlock(parent *hclwrite.Body, name string, blk *node, entry func(*node) (string, bool)) {
	if !blk.Block {
		c.drop(parent, blk, blk.Text(), name+" must be a { ... } block")
		return
	}
	var list []cty.Value
	for _, e := range blk.Children {
		if s, ok := entry(e); ok {
			list = append(list, cty.StringVal(s))
		}
	}
	if len(list) > 0 {
		parent.SetAttributeValue(name, cty.TupleVal(list))
	}
}

func (c *converter) trackScripts(parent *hclwrite.Body, blk *node) {
	if !blk.Block {
		c.drop(parent, blk, blk.Text(), "track_script must be a { ... } block")
		return
	}
	seen := map[string]bool{}
	for _, e := range blk.Children {
		name := e.Name
		switch {
		case !c.scripts[name]:
			c.drop(parent, e, e.Text(), "no vrrp_script of this name is defined (vrrp_track_process and others are not supported)")
			continue
		case seen[name]:
			c.drop(parent, e, e.Text(), "this script is already tracked")
			continue
		}
		seen[name] = true
		body := parent.AppendNewBlock("track_script", []string{name}).Body()
		switch {
		case len(e.Args) == 0:
		case len(e.Args) == 2 && e.Args[0].Text == "weight":
			c.setNumberText(body, "weight", e, e.Args[1].Text)
		case len(e.Args) == 3 && e.Args[0].Text == "weight" && e.Args[2].Text == "reverse":
			c.setNumberText(body, "weight", e, e.Args[1].Text)
			c.drop(body, e, e.Text(), "lbhad has no reversed weights; the weight is kept with its usual meaning")
		default:
			c.drop(body, e, e.Text(), "expected: NAME [weight N]")
		}
	}
}

// --- vrrp_sync_group ---

func (c *converter) syncGroup(parent *hclwrite.Body, g *node) {
	body := parent.AppendNewBlock("vrrp_sync_group", []string{g.Args[0].Text}).Body()
	for _, n := range g.Children {
		switch n.Name {
		case "group":
			if !n.Block {
				c.drop(body, n, n.Text(), "group must be a { ... } block")
				continue
			}
			var list []cty.Value
			for _, e := range n.Children {
				// Several names may share a line.
				for _, name := range append([]string{e.Name}, argTexts(e.Args)...) {
					list = append(list, cty.StringVal(name))
				}
			}
			body.SetAttributeValue("group", cty.TupleVal(list))
		case "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify":
			c.setNotify(body, n.Name, n)
		case "smtp_alert":
			c.smtpAlert(body, n)
		default:
			c.dropNode(body, n)
		}
	}
}

func argTexts(args []arg) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a.Text
	}
	return out
}

// --- virtual_server ---

func (c *converter) uniqueLabel(base string, used map[string]bool) string {
	l := base
	for i := 2; used[l]; i++ {
		l = fmt.Sprintf("%s-%d", base, i)
	}
	used[l] = true
	return l
}

// hostPort joins an address and a port as lbhad writes them.
func hostPort(ip, port string) (string, bool) {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Zone() != "" {
		return "", false
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", false
	}
	return netip.AddrPortFrom(a, uint16(p)).String(), true
}

func (c *converter) virtualServer(parent *hclwrite.Body, vs *node) {
	var label, addr string
	var mark cty.Value
	switch {
	case len(vs.Args) == 2 && vs.Args[0].Text == "group":
		c.drop(parent, vs, vs.Text(), "virtual_server_group is not supported; define one virtual_server per address (or use a fwmark)")
		return
	case len(vs.Args) == 2 && vs.Args[0].Text == "fwmark":
		m, err := strconv.ParseUint(vs.Args[1].Text, 10, 32)
		if err != nil || m == 0 {
			c.drop(parent, vs, vs.Text(), "the firewall mark must be a number from 1 to 4294967295")
			return
		}
		mark = cty.NumberUIntVal(m)
		label = "fwmark-" + vs.Args[1].Text
	case len(vs.Args) == 2:
		hp, ok := hostPort(vs.Args[0].Text, vs.Args[1].Text)
		if !ok {
			c.drop(parent, vs, vs.Text(), "expected an IP address and a port")
			return
		}
		addr, label = hp, hp
	default:
		c.drop(parent, vs, vs.Text(), "expected virtual_server IP PORT or virtual_server fwmark MARK")
		return
	}
	for _, n := range vs.Children {
		if n.Name != "protocol" || len(n.Args) != 1 {
			continue
		}
		switch p := strings.ToLower(n.Args[0].Text); p {
		case "tcp":
		case "udp":
			// Two services may share an address with different protocols.
			label += "/udp"
		default:
			// Converting the rest would create a TCP service in its place.
			c.drop(parent, vs, vs.Text(), fmt.Sprintf("lbhad balances TCP and UDP only; this %s service is left out (protocol at line %d)", n.Args[0].Text, n.Line))
			return
		}
	}
	body := parent.AppendNewBlock("virtual_server", []string{c.uniqueLabel(label, c.vsLabels)}).Body()
	if addr != "" {
		body.SetAttributeValue("address", cty.StringVal(addr))
	} else {
		body.SetAttributeValue("fwmark", mark)
	}
	delayLoop := 60.0
	for _, n := range vs.Children {
		if n.Name == "delay_loop" && len(n.Args) == 1 {
			if f, err := strconv.ParseFloat(n.Args[0].Text, 64); err == nil && f > 0 {
				delayLoop = f
			}
		}
	}
	rsLabels := map[string]bool{}
	for _, n := range vs.Children {
		switch n.Name {
		case "delay_loop", "quorum", "hysteresis", "persistence_timeout":
			c.setNumber(body, n.Name, n)
		case "lb_algo", "lvs_sched":
			s, ok := c.oneArg(body, n)
			if !ok {
				continue
			}
			if !slices.Contains(config.Schedulers, strings.ToLower(s)) {
				c.drop(body, n, n.Text(), fmt.Sprintf("lbhad knows the IPVS schedulers %s", strings.Join(config.Schedulers, ", ")))
				continue
			}
			body.SetAttributeValue("lb_algo", cty.StringVal(strings.ToLower(s)))
		case "lb_kind", "lvs_method":
			s, ok := c.oneArg(body, n)
			if !ok {
				continue
			}
			if u := strings.ToUpper(s); u != "NAT" && u != "DR" && u != "TUN" {
				c.drop(body, n, n.Text(), "lb_kind must be NAT, DR or TUN")
				continue
			}
			body.SetAttributeValue("lb_kind", cty.StringVal(strings.ToUpper(s)))
		case "protocol":
			s, ok := c.oneArg(body, n)
			if !ok {
				continue
			}
			body.SetAttributeValue("protocol", cty.StringVal(strings.ToLower(s)))
		case "persistence_granularity":
			s, ok := c.oneArg(body, n)
			if !ok {
				continue
			}
			if a, err := netip.ParseAddr(s); err != nil || !a.Is4() {
				c.drop(body, n, n.Text(), "lbhad takes an IPv4 netmask such as 255.255.255.0 for persistence_netmask")
				continue
			}
			body.SetAttributeValue("persistence_netmask", cty.StringVal(s))
		case "sorry_server":
			switch len(n.Args) {
			case 1:
				if _, err := netip.ParseAddr(n.Args[0].Text); err == nil {
					body.SetAttributeValue("sorry_server", cty.StringVal(n.Args[0].Text))
					continue
				}
			case 2:
				if hp, ok := hostPort(n.Args[0].Text, n.Args[1].Text); ok {
					body.SetAttributeValue("sorry_server", cty.StringVal(hp))
					continue
				}
			}
			c.drop(body, n, n.Text(), "expected sorry_server IP [PORT]")
		case "inhibit_on_failure":
			c.setFlag(body, "inhibit_on_failure", n)
		case "quorum_up", "quorum_down":
			c.setNotify(body, n.Name, n)
		case "real_server":
			c.realServer(body, n, rsLabels, delayLoop)
		default:
			c.dropNode(body, n)
		}
	}
}

func (c *converter) realServer(parent *hclwrite.Body, rs *node, labels map[string]bool, delayLoop float64) {
	if !rs.Block || len(rs.Args) < 1 || len(rs.Args) > 2 {
		c.drop(parent, rs, rs.Text(), "expected real_server IP PORT { ... }")
		return
	}
	addr := rs.Args[0].Text
	// Port 0 is how keepalived users write "no port" for fwmark services.
	if len(rs.Args) == 2 && rs.Args[1].Text != "0" {
		hp, ok := hostPort(rs.Args[0].Text, rs.Args[1].Text)
		if !ok {
			c.drop(parent, rs, rs.Text(), "expected an IP address and a port")
			return
		}
		addr = hp
	} else if _, err := netip.ParseAddr(addr); err != nil {
		c.drop(parent, rs, rs.Text(), "expected an IP address")
		return
	}
	body := parent.AppendNewBlock("real_server", []string{c.uniqueLabel(addr, labels)}).Body()
	body.SetAttributeValue("address", cty.StringVal(addr))
	var check *node
	for _, n := range rs.Children {
		switch n.Name {
		case "weight":
			c.setNumber(body, "weight", n)
		case "inhibit_on_failure":
			c.setFlag(body, "inhibit_on_failure", n)
		case "uthreshold":
			c.setNumber(body, "upper_threshold", n)
		case "lthreshold":
			c.setNumber(body, "lower_threshold", n)
		case "notify_up", "notify_down":
			c.setNotify(body, n.Name, n)
		case "HTTP_GET", "SSL_GET", "TCP_CHECK", "MISC_CHECK":
			if !n.Block {
				c.drop(body, n, n.Text(), "a check must be a { ... } block")
				continue
			}
			if check != nil {
				c.drop(body, n, n.Text(), fmt.Sprintf("lbhad runs one health check per real server; the %s at line %d is kept", check.Name, check.Line))
				continue
			}
			check = n
			c.check(body, n, delayLoop)
		default:
			c.dropNode(body, n)
		}
	}
}

// check converts HTTP_GET, SSL_GET, TCP_CHECK and MISC_CHECK.
func (c *converter) check(parent *hclwrite.Body, ck *node, vsDelay float64) {
	kind := strings.ToLower(ck.Name)
	body := parent.AppendNewBlock(kind, nil).Body()
	interval := vsDelay
	for _, n := range ck.Children {
		if n.Name == "delay_loop" && len(n.Args) == 1 {
			if f, err := strconv.ParseFloat(n.Args[0].Text, 64); err == nil && f > 0 {
				interval = f
			}
		}
	}
	httpish := kind == "http_get" || kind == "ssl_get"
	var url *node
	for _, n := range ck.Children {
		switch {
		case slices.Contains([]string{"connect_timeout", "connect_port", "delay_before_retry", "warmup", "delay_loop"}, n.Name):
			c.setNumber(body, n.Name, n)
		case n.Name == "retry" || n.Name == "nb_get_retry":
			c.setNumber(body, "retry", n)
		case n.Name == "connect_ip" || n.Name == "bindto":
			c.setString(body, n.Name, n)
		case httpish && n.Name == "url":
			if url != nil {
				c.drop(body, n, n.Text()+urlPath(n), fmt.Sprintf("lbhad checks one url per real server; the url at line %d is kept", url.Line))
				continue
			}
			url = n
			c.url(body, n)
		case httpish && n.Name == "virtualhost":
			c.setString(body, "virtualhost", n)
		case httpish && n.Name == "enable_sni":
			// lbhad always sends the virtualhost as SNI; nothing to write.
		case kind == "misc_check" && n.Name == "misc_path":
			c.setCommandLine(body, "path", n)
		case kind == "misc_check" && n.Name == "misc_timeout":
			s, ok := c.oneArg(body, n)
			if !ok {
				continue
			}
			if f, err := strconv.ParseFloat(s, 64); err == nil && f >= interval {
				c.drop(body, n, n.Text(), fmt.Sprintf("lbhad needs misc_timeout shorter than the check interval (%gs) and then uses the interval", interval))
				continue
			}
			c.setNumberText(body, "timeout", n, s)
		case kind == "misc_check" && n.Name == "misc_dynamic":
			c.setFlag(body, "misc_dynamic", n)
		case kind == "misc_check" && n.Name == "user":
			c.userAttr(body, n)
		default:
			c.dropNode(body, n)
		}
	}
	if kind == "ssl_get" {
		comment(body, "keepalived's SSL_GET does not verify the server certificate; set ca_file (or sni) and remove insecure to verify it.")
		body.SetAttributeValue("insecure", cty.True)
	}
}

func urlPath(u *node) string {
	for _, n := range u.Children {
		if n.Name == "path" && len(n.Args) == 1 {
			return " (path " + n.Args[0].Text + ")"
		}
	}
	return ""
}

func (c *converter) url(body *hclwrite.Body, u *node) {
	if !u.Block {
		c.drop(body, u, u.Text(), "url must be a { ... } block")
		return
	}
	for _, n := range u.Children {
		switch n.Name {
		case "path", "digest":
			c.setString(body, n.Name, n)
		case "status_code":
			if len(n.Args) == 0 {
				c.drop(body, n, n.Text(), "no status code given")
				continue
			}
			var list []cty.Value
			for _, a := range n.Args {
				if v, err := strconv.Atoi(a.Text); err == nil {
					list = append(list, cty.NumberIntVal(int64(v)))
				} else {
					list = append(list, cty.StringVal(a.Text))
				}
			}
			body.SetAttributeValue("status_code", cty.TupleVal(list))
		default:
			c.dropNode(body, n)
		}
	}
}
