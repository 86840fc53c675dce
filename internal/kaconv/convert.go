package kaconv

import (
	"fmt"
	"github.com/lbhad/lbhad/config"
	"math"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
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

// Options change how Convert reads keepalived's configuration.
type Options struct {
	// ConfigID is keepalived's config id (its -i option; by default the
	// host name up to the first dot), against which @ID and @^ID lines
	// are matched. Empty matches no @ID line, as a keepalived whose id
	// appears nowhere in the file.
	ConfigID string
}

// Result is what ConvertFile produces.
type Result struct {
	HCL         []byte        // the lbhad configuration, formatted
	Unsupported []Unsupported // every loss, in file order; empty when all was carried
	Explain     []Explained   // what became of each statement, in file order
	Files       []OutFile     // HCL split by keepalived file, for a config directory
	Source      Counts        // what the keepalived configuration holds
	Written     Counts        // what the lbhad configuration holds
}

// Convert is ConvertFile with default options, returning only the HCL
// and the losses.
func Convert(path string) (hcl []byte, unsupported []Unsupported, err error) {
	r, err := ConvertFile(path, Options{})
	if err != nil {
		return nil, nil, err
	}
	return r.HCL, r.Unsupported, nil
}

// ConvertFile reads the keepalived configuration at path (with its
// include files, variables and conditional lines expanded as keepalived
// expands them) and returns the equivalent lbhad HCL configuration plus
// every option it could not carry, in file order. Options that are
// dropped leave a comment in the output at the place they would have
// gone, so the result can be reviewed side by side with the list.
//
// The converter fails closed: every statement is either carried with
// keepalived's meaning or listed in Unsupported, a real server is left
// out (and listed) rather than written with fewer checks than it had,
// and a service is never dropped without an entry.
//
// The output is meant to be checked with config.Parse (lbhad validate)
// before use.
//
// Errors wrap ErrSyntax when the file is malformed (unbalanced braces,
// an unterminated quote, includes nested too deep), ErrNotRegular when
// it or an include names a device or directory, or the os error (such as
// fs.ErrNotExist) when a file cannot be read.
func ConvertFile(path string, opts Options) (*Result, error) {
	r, _, _, err := convertFile(path, opts)
	return r, err
}

// convertFile is ConvertFile that also returns the parsed statements and
// the converter, for tests that check each statement's fate.
func convertFile(path string, opts Options) (*Result, *converter, []*node, error) {
	l := newLexer()
	l.configID = opts.ConfigID
	nodes, unmatched, err := l.parseFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	c := newConverter(path, opts)
	for _, n := range unmatched {
		c.record(n, n.Text(), "the include pattern matched no file, so nothing was read from it")
		c.explain = append(c.explain, Explained{File: n.File, Line: n.Line, What: n.Text(), How: "the include pattern matched no file", Lost: true})
	}
	parts := c.convertParts(nodes)
	var out []byte
	for i, p := range parts {
		if i > 0 {
			out = append(out, '\n')
		}
		out = append(out, p.HCL...)
	}
	order := func(file string, line int) (int, int) { return c.fileOrder(file), line }
	slices.SortStableFunc(c.unsupported, func(a, b Unsupported) int {
		fa, la := order(a.File, a.Line)
		fb, lb := order(b.File, b.Line)
		if fa != fb {
			return fa - fb
		}
		return la - lb
	})
	slices.SortStableFunc(c.explain, func(a, b Explained) int {
		fa, la := order(a.File, a.Line)
		fb, lb := order(b.File, b.Line)
		if fa != fb {
			return fa - fb
		}
		return la - lb
	})
	return &Result{HCL: out, Unsupported: c.unsupported, Explain: c.explain, Files: parts, Source: countSource(nodes), Written: c.written}, c, nodes, nil
}

func newConverter(source string, opts Options) *converter {
	return &converter{source: source, opts: opts, carried: map[*node]string{}, lost: map[*node][]Unsupported{}}
}

type converter struct {
	source      string
	unsupported []Unsupported
	files       []string // in the order first seen, for sorting the report

	// Every statement ends up carried (how it was written in lbhad) or
	// lost (in unsupported), or both when a part was lost. check walks
	// the tree afterwards so that a statement no code looked at is a loss
	// too: the converter fails closed even where it has a gap.
	carried map[*node]string
	lost    map[*node][]Unsupported
	explain []Explained
	opts    Options
	written Counts

	email       bool            // the global email block is written
	globalAlert *node           // global_defs smtp_alert, inherited by instances
	syncIf      *node           // an instance's lvs_sync_daemon_interface (1.x)
	syncIfInst  string          // ... and the instance it was written in
	scripts     map[string]bool // vrrp_script names
	trackFiles  map[string]bool // vrrp_track_file names
	// trackFileReverse notes the track files whose weight is reversed,
	// which a FILE_CHECK without a weight of its own inherits.
	trackFileReverse map[string]bool
	// defWeight is the weight of each vrrp_script and vrrp_track_file
	// (1 for a track file without one), which a track entry without a
	// weight takes.
	defWeight map[string]int
	// unweighted maps the members of sync groups without
	// sync_group_tracking_weight to their group: keepalived ignores the
	// weights of their own tracking; curUnweighted is the instance's
	// group while it is converted.
	unweighted    map[string]string
	curUnweighted string
	// skipCheckAdv is global_defs vrrp_skip_check_adv_addr, the default
	// of every instance's skip_check_adv_addr.
	skipCheckAdv   bool
	vsGroups       map[string]bool // virtual_server_group names
	allInstances   map[string]bool // every vrrp_instance name, wherever defined
	hasRealServers bool
	vipOwner       map[netip.Addr]*node // the first listing of each virtual address
	vipInstance    map[*node]string     // ... and its instance
	vsLabels       map[string]bool
	instances      map[string]bool
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
	u := Unsupported{File: n.File, Line: n.Line, What: what, Why: why}
	c.lost[n] = append(c.lost[n], u)
	c.unsupported = append(c.unsupported, u)
}

// drop records an option and leaves a comment in body where it was.
func (c *converter) drop(body *hclwrite.Body, n *node, what, why string) {
	c.record(n, what, why)
	comment(body, fmt.Sprintf("not converted (%s): %s: %s", n.Pos(), what, why))
}

// dropNode drops the whole statement n, explaining why from the table of
// known options or with a generic reason.
func (c *converter) dropNode(body *hclwrite.Body, n *node) {
	why, ok := pending[n.Name]
	if !ok {
		why, ok = reasons[n.Name]
	}
	if !ok {
		why = "lbhad has no equivalent of this keepalived option"
	}
	c.drop(body, n, n.Text(), why)
}

// carry notes that n was carried over and how, for --explain. Several
// calls for one statement join their texts.
func (c *converter) carry(n *node, how string) {
	if prev, ok := c.carried[n]; ok && prev != how {
		how = prev + "; " + how
	}
	c.carried[n] = how
	if strings.HasPrefix(how, "ignored") {
		for _, m := range n.Children {
			c.carry(m, fmt.Sprintf("ignored with %s at line %d", n.Name, n.Line))
		}
	}
}

func comment(body *hclwrite.Body, text string) {
	body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte("# " + text + "\n")}})
}

func (c *converter) convert(nodes []*node) []byte {
	parts := c.convertParts(nodes)
	var out []byte
	for i, p := range parts {
		if i > 0 {
			out = append(out, '\n')
		}
		out = append(out, p.HCL...)
	}
	return out
}

// OutFile is the part of the converted configuration that comes from one
// keepalived file, for writing a directory (lbhad run -c DIR reads its
// files in lexical order as one configuration).
type OutFile struct {
	Name   string // "00-keepalived.hcl": order of the source, then its name
	Source string // the keepalived file
	HCL    []byte
}

// convertParts converts the statements, writing each into the part of
// the keepalived file it came from.
func (c *converter) convertParts(nodes []*node) []OutFile {
	var order []string
	files := map[string]*hclwrite.File{}
	bodyOf := func(src string) *hclwrite.Body {
		if f, ok := files[src]; ok {
			return f.Body()
		}
		f := hclwrite.NewEmptyFile()
		files[src] = f
		order = append(order, src)
		if len(order) == 1 {
			comment(f.Body(), "Converted from the keepalived configuration "+c.source+" by lbhad convert.")
			comment(f.Body(), "Review every \"not converted\" comment, then check the file with: lbhad validate -c FILE")
		} else {
			comment(f.Body(), "Converted from "+src+", included by "+c.source+".")
		}
		return f.Body()
	}
	first := bodyOf(c.source)

	c.scripts = map[string]bool{}
	c.trackFiles = map[string]bool{}
	c.trackFileReverse = map[string]bool{}
	c.defWeight = map[string]int{}
	c.unweighted = map[string]string{}
	c.vsGroups = map[string]bool{}
	c.allInstances = map[string]bool{}
	c.vsLabels = map[string]bool{}
	c.instances = map[string]bool{}
	globals := false
	c.prepass(nodes, &globals)
	if !globals && c.syncIf != nil {
		first.AppendNewline()
		c.global(first, &node{Name: "global_defs", Block: true})
	}
	for _, n := range nodes {
		body := bodyOf(n.File)
		body.AppendNewline()
		switch {
		case !n.Block:
			c.dropNode(body, n)
		case n.Name == "global_defs" && len(n.Args) == 0:
			c.global(body, n)
		case (n.Name == "vrrp_track_file" || n.Name == "track_file") && len(n.Args) == 1:
			c.trackFile(body, n)
		case n.Name == "vrrp_script" && len(n.Args) == 1:
			c.script(body, n)
		case n.Name == "vrrp_instance" && len(n.Args) == 1:
			c.instance(body, n)
		case n.Name == "vrrp_sync_group" && len(n.Args) == 1:
			c.syncGroup(body, n)
		case n.Name == "virtual_server":
			c.virtualServer(body, n)
		case n.Name == "virtual_server_group" && len(n.Args) == 1:
			c.vsGroup(body, n)
		default:
			c.dropNode(body, n)
		}
	}
	c.audit(first, nodes)
	var parts []OutFile
	for i, src := range order {
		base := strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))
		name := fmt.Sprintf("%02d-%s.hcl", i, strings.Map(safeNameRune, base))
		parts = append(parts, OutFile{Name: name, Source: src, HCL: hclwrite.Format(files[src].Bytes())})
	}
	return parts
}

// safeNameRune keeps file names portable.
func safeNameRune(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
		return r
	}
	return '_'
}

// prepass notes what later statements depend on: mail settings,
// script and track file names, and settings keepalived moves elsewhere.
func (c *converter) prepass(nodes []*node, globals *bool) {
	var walk func([]*node)
	walk = func(ns []*node) {
		for _, n := range ns {
			c.fileOrder(n.File)
			walk(n.Children)
		}
	}
	walk(nodes)
	for _, n := range nodes {
		switch {
		case n.Name == "global_defs" && n.Block:
			*globals = true
			if c.emailComplete(n) {
				c.email = true
			}
			for _, g := range n.Children {
				if g.Name == "smtp_alert" {
					c.globalAlert = g
				}
				if g.Name == "vrrp_version" {
					c.vrrp3 = len(g.Args) == 1 && g.Args[0].Text == "3"
				}
				if g.Name == "vrrp_skip_check_adv_addr" {
					c.skipCheckAdv = len(g.Args) == 0 || slices.Contains([]string{"true", "yes", "on", "1"}, strings.ToLower(g.Args[0].Text))
				}
			}
		case n.Name == "vrrp_script" && n.Block && len(n.Args) == 1 && hasChild(n, "script"):
			c.scripts[n.Args[0].Text] = true
			c.defWeight["script "+n.Args[0].Text] = childWeight(n, 0)
		case n.Name == "vrrp_sync_group" && n.Block && len(n.Args) == 1:
			if hasChild(n, "sync_group_tracking_weight") || hasChild(n, "global_tracking") {
				continue
			}
			for _, g := range n.Children {
				if g.Name != "group" {
					continue
				}
				for _, e := range g.Children {
					c.unweighted[e.Name] = n.Args[0].Text
					for _, a := range e.Args {
						c.unweighted[a.Text] = n.Args[0].Text
					}
				}
			}
		case (n.Name == "vrrp_track_file" || n.Name == "track_file") && n.Block && len(n.Args) == 1:
			c.trackFiles[n.Args[0].Text] = true
			c.defWeight["file "+n.Args[0].Text] = childWeight(n, 1)
			for _, m := range n.Children {
				if m.Name == "weight" && len(m.Args) == 2 && m.Args[1].Text == "reverse" {
					c.trackFileReverse[n.Args[0].Text] = true
				}
			}
		case n.Name == "virtual_server_group" && n.Block && len(n.Args) == 1:
			c.vsGroups[n.Args[0].Text] = !groupRemoved(n)
		case n.Name == "virtual_server":
			for _, m := range n.Children {
				c.hasRealServers = c.hasRealServers || m.Name == "real_server"
			}
		case n.Name == "vrrp_instance" && len(n.Args) == 1:
			c.allInstances[n.Args[0].Text] = true
			for _, m := range n.Children {
				if m.Name == "lvs_sync_daemon_interface" && len(m.Args) == 1 && c.syncIf == nil {
					c.syncIf, c.syncIfInst = m, n.Args[0].Text
				}
			}
		}
	}
}

// hasChild reports whether block n holds a statement called name.
func hasChild(n *node, name string) bool {
	return slices.ContainsFunc(n.Children, func(m *node) bool { return m.Name == name })
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
		c.carry(n, "as "+name)
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
	c.carry(n, "as "+name)
}

// keepalived switches are true when given alone and otherwise take
// yes/no, on/off, true/false.
func (c *converter) setFlag(body *hclwrite.Body, name string, n *node) {
	v, ok := c.flag(body, n)
	if ok {
		body.SetAttributeValue(name, cty.BoolVal(v))
		c.carry(n, fmt.Sprintf("as %s = %t", name, v))
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
	c.carry(n, "as "+name)
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
	c.carry(n, "as "+name)
	if len(n.Args) > 1 {
		c.drop(body, n, n.Text(), "lbhad runs notify commands as global script_user and cannot set a user per command; if these words were meant as arguments, quote the whole command")
	}
}

// --- global_defs ---

// emailComplete reports whether global_defs has all that lbhad needs to
// send mail. keepalived sends nothing without smtp_server or recipients,
// and lbhad also requires the sender.
func (c *converter) emailComplete(g *node) bool {
	to, from, server := mailParts(g)
	return to && from && server
}

// mailParts reports which of the recipients, sender and server global_defs
// sets.
func mailParts(g *node) (to, from, server bool) {
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
	return to, from, server
}

var emailOptions = []string{"notification_email", "notification_email_from", "smtp_server", "smtp_connect_timeout"}

func (c *converter) global(parent *hclwrite.Body, g *node) {
	body := parent.AppendNewBlock("global", nil).Body()
	c.carry(g, "as global")
	emailDone := false
	to, _, server := mailParts(g)
	routerID := false
	syncd := false
	for _, n := range g.Children {
		routerID = routerID || n.Name == "router_id"
		syncd = syncd || n.Name == "lvs_sync_daemon"
	}
	if c.syncIf != nil && !syncd {
		c.syncDaemon(body, &node{Name: "lvs_sync_daemon", Args: []arg{c.syncIf.Args[0], {Text: c.syncIfInst}}, File: c.syncIf.File, Line: c.syncIf.Line})
	}
	for _, n := range g.Children {
		if slices.Contains(emailOptions, n.Name) {
			if !c.email && !(to && server) {
				c.carry(n, "ignored: without both smtp_server and notification_email keepalived sends no mail, and neither does lbhad")
				continue
			}
			if !c.email {
				c.drop(body, n, n.Text(), "lbhad needs notification_email_from to send mail; keepalived sent from USER@HOST (the user it ran as and the local host name): set from by hand")
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
				c.carry(n, "as script_user")
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
			c.carry(n, "as lvs_sync_daemon")
		case "lvs_id":
			// keepalived 1.x's name for router_id; 2.2.7 ignores it.
			if routerID || len(n.Args) != 1 {
				c.carry(n, "ignored: keepalived 2.2.7 does not know lvs_id (1.x's router_id) and router_id is set")
				continue
			}
			c.setString(body, "router_id", n)
			c.carry(n, "(keepalived 1.x's name for router_id)")
		case "vrrp_version":
			c.setNumber(body, "vrrp_version", n)
		case "vrrp_garp_lower_prio_delay", "vrrp_garp_lower_prio_repeat", "vrrp_garp_interval", "vrrp_gna_interval":
			c.setNumber(body, n.Name, n)
		case "dynamic_interfaces":
			c.carry(n, "ignored: lbhad always waits for a missing interface and follows one deleted and created again")
		case "vrrp_skip_check_adv_addr":
			c.carry(n, "into each vrrp_instance without its own skip_check_adv_addr")
		case "smtp_alert":
			c.globalSMTPAlert(body, n)
		default:
			c.dropNode(body, n)
		}
	}
}

func (c *converter) emailBlock(parent *hclwrite.Body, g *node) {
	email := parent.AppendNewBlock("notification", nil).Body().AppendNewBlock("email", nil).Body()
	for _, n := range g.Children {
		switch n.Name {
		case "smtp_server", "notification_email_from", "notification_email":
			c.carry(n, "into notification.email")
		}
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
				c.carry(a, "as a recipient")
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
	c.carry(n, "as lvs_timeouts")
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
	if !hasChild(s, "script") {
		c.drop(parent, s, s.Text(), "no script is set: keepalived removes such a vrrp_script (\"No script set ... - removing\") and ignores the instances' track_script entries for it")
		return
	}
	body := parent.AppendNewBlock("vrrp_script", []string{s.Args[0].Text}).Body()
	c.carry(s, "as vrrp_script")
	for _, n := range s.Children {
		switch n.Name {
		case "script":
			c.setCommandLine(body, "script", n)
		case "interval", "rise", "fall":
			c.setNumber(body, n.Name, n)
		case "timeout":
			// Also as long as the interval or longer: as in keepalived,
			// a run never starts while the previous one is going.
			c.setNumber(body, "timeout", n)
		case "weight":
			if c.reverseWeight(body, n) {
				continue
			}
			c.setNumber(body, "weight", n)
		case "user":
			c.userAttr(body, n)
		case "init_fail":
			c.setFlag(body, "init_fail", n)
		default:
			c.dropNode(body, n)
		}
	}
}

func (c *converter) userAttr(body *hclwrite.Body, n *node) {
	switch len(n.Args) {
	case 1:
		body.SetAttributeValue("user", cty.StringVal(n.Args[0].Text))
		c.carry(n, "as user")
	case 2:
		body.SetAttributeValue("user", cty.StringVal(n.Args[0].Text))
		c.carry(n, "as user")
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
	c.carry(in, "as vrrp_instance")
	c.written.Instances++
	ipv6, v3 := c.instanceFamily(in)
	alert := false
	for _, n := range in.Children {
		alert = alert || n.Name == "smtp_alert"
	}
	if !alert {
		c.inheritAlert(body)
	}
	c.curUnweighted = c.unweighted[name]
	defer func() { c.curUnweighted = "" }()
	if c.skipCheckAdv && !hasChild(in, "skip_check_adv_addr") {
		body.SetAttributeValue("skip_check_adv_addr", cty.True)
	}
	for _, n := range in.Children {
		switch n.Name {
		case "skip_check_adv_addr":
			c.setFlag(body, "skip_check_adv_addr", n)
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
			c.carry(n, "as state")
		case "interface":
			c.setString(body, n.Name, n)
		case "unicast_src_ip":
			s, ok := c.oneArg(body, n)
			if !ok {
				continue
			}
			if a, err := netip.ParseAddr(s); err != nil || a.Is6() != ipv6 {
				c.drop(body, n, n.Text(), "unicast_src_ip must be an address of the instance's family ("+family(ipv6)+"); "+splitFamilies)
				continue
			}
			c.setString(body, n.Name, n)
		case "version":
			if ipv6 && len(n.Args) == 1 && n.Args[0].Text == "2" {
				c.drop(body, n, n.Text(), "keepalived ignores version 2 in an instance already known as IPv6, but given before the IPv6 addresses it speaks its own VRRPv2 over IPv6; lbhad's IPv6 instances speak VRRPv3 only, so this is left out and the instance speaks VRRPv3")
				continue
			}
			c.setNumber(body, "version", n)
		case "native_ipv6":
			c.setFlag(body, "native_ipv6", n)
		case "accept":
			c.setFlag(body, "accept", n)
		case "virtual_router_id", "priority", "preempt_delay", "garp_master_delay", "garp_master_repeat", "garp_master_refresh":
			c.setNumber(body, n.Name, n)
		case "garp_lower_prio_delay", "garp_lower_prio_repeat", "garp_master_refresh_repeat":
			c.setNumber(body, n.Name, n)
		case "advert_int":
			s, ok := c.oneArg(body, n)
			if !ok {
				continue
			}
			if v, err := strconv.ParseUint(s, 10, 8); err == nil && v > 40 && v3 {
				// keepalived reports it and clamps to the 12-bit maximum.
				c.setNumberText(body, "advert_int", n, "40.95")
				c.drop(body, n, n.Text(), "VRRPv3 carries at most 40.95 s; keepalived reports the value and advertises every 40.95 s, written as advert_int = 40.95 to match")
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
			if v3 {
				c.drop(body, n, n.Text(), "VRRPv3 carries advert_int in centiseconds from 0.01 to 40.95 s")
				continue
			}
			c.drop(body, n, n.Text(), "VRRPv2 carries advert_int in whole seconds from 1 to 255; keepalived rounds a fraction to whole seconds, lbhad refuses it: set version 3 on both routers for sub-second adverts")
		case "nopreempt":
			c.setFlag(body, "nopreempt", n)
		case "use_vmac":
			c.useVMAC(body, n, ipv6)
		case "vmac_xmit_base":
			c.setFlag(body, "vmac_xmit_base", n)
		case "preempt":
			c.carry(n, "ignored: preemption is the default in both")
		case "authentication":
			c.auth(body, n)
		case "virtual_ipaddress":
			c.vips(body, n, name, ipv6)
		case "virtual_ipaddress_excluded":
			c.excludedVIPs(body, n, name)
		case "virtual_routes", "virtual_rules":
			c.virtualRoutes(body, n)
		case "unicast_peer":
			c.listBlock(body, "unicast_peer", n, func(e *node) (string, bool) {
				return c.unicastPeer(body, e, ipv6)
			})
		case "track_interface":
			c.listBlock(body, "track_interface", n, func(e *node) (string, bool) {
				return c.trackInterface(body, e), true
			})
		case "track_script":
			c.trackScripts(body, n)
		case "track_file":
			c.instanceTrackFiles(body, n)
		case "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify":
			c.setNotify(body, n.Name, n)
		case "smtp_alert":
			c.smtpAlert(body, n)
		case "lvs_sync_daemon_interface":
			if n == c.syncIf {
				c.carry(n, "as global lvs_sync_daemon with this instance (keepalived's deprecated form)")
				continue
			}
			c.drop(body, n, n.Text(), fmt.Sprintf("keepalived runs one sync daemon; the one at %s:%d is kept", c.syncIf.File, c.syncIf.Line))
		default:
			c.dropNode(body, n)
		}
	}
}

// globalSMTPAlert handles global_defs smtp_alert, keepalived's default
// for every instance, sync group and checker.
func (c *converter) globalSMTPAlert(body *hclwrite.Body, n *node) {
	v, ok := c.flag(body, n)
	if !ok {
		return
	}
	switch {
	case !c.email:
		c.carry(n, "ignored: global_defs has no complete mail settings, so keepalived sent no mail either")
	case !v:
		c.carry(n, "ignored: off is the default")
	case c.hasRealServers:
		c.drop(body, n, n.Text(), "lbhad sends mail for VRRP state changes only, not for real servers going up or down; use notify_up and notify_down")
	default:
		c.carry(n, "as smtp_alert = true in each vrrp_instance and vrrp_sync_group that does not set it")
	}
}

// inheritAlert writes smtp_alert = true where global_defs turns it on
// for all.
func (c *converter) inheritAlert(body *hclwrite.Body) {
	g := c.globalAlert
	if g == nil || !c.email || len(g.Args) > 1 {
		return
	}
	if len(g.Args) == 0 || slices.Contains([]string{"true", "yes", "on", "1"}, strings.ToLower(g.Args[0].Text)) {
		body.SetAttributeValue("smtp_alert", cty.True)
	}
}

func (c *converter) smtpAlert(body *hclwrite.Body, n *node) {
	v, ok := c.flag(body, n)
	if !ok {
		return
	}
	if !c.email {
		c.carry(n, "ignored: global_defs has no complete mail settings, so keepalived sent no mail either")
		return
	}
	body.SetAttributeValue("smtp_alert", cty.BoolVal(v))
	c.carry(n, "as smtp_alert")
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
		c.carry(a, "written without authentication: see auth_type")
		c.drop(parent, typ, typ.Text(), "lbhad has no IPsec AH authentication, so this instance loses its authentication: written without it, it would neither authenticate its peers nor be accepted by a keepalived peer using AH")
		if pass != nil {
			c.drop(parent, pass, "auth_pass", "lost with auth_type AH")
		}
		return
	}
	if pass == nil || len(pass.Args) != 1 || pass.Args[0].Text == "" {
		c.drop(parent, a, a.Text(), "auth_type PASS without an auth_pass")
		return
	}
	body := parent.AppendNewBlock("authentication", nil).Body()
	c.carry(a, "as authentication")
	c.carry(typ, "as auth_type")
	c.carry(pass, "as auth_pass")
	body.SetAttributeValue("auth_type", cty.StringVal("PASS"))
	p := pass.Args[0].Text
	if len(p) > 8 {
		// Same effect, so no loss: keepalived put only these 8 bytes on
		// the wire, and lbhad refuses a longer auth_pass.
		comment(body, "keepalived's auth_pass was longer than 8 bytes; VRRPv2 carries 8 and keepalived sent only these, so peers still agree.")
		c.carry(pass, "as auth_pass, cut to the 8 bytes keepalived actually sent")
		p = p[:8]
	}
	body.SetAttributeValue("auth_pass", cty.StringVal(p))
}

// splitFamilies is the advice for an instance that mixes address
// families.
const splitFamilies = "put the other family's addresses in a second vrrp_instance (it may share the virtual_router_id) and both instances in one vrrp_sync_group"

func family(ipv6 bool) string {
	if ipv6 {
		return "IPv6"
	}
	return "IPv4"
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
			break
		}
	}
	return ipv6, v3 || ipv6
}

// unicastPeer converts one unicast_peer entry of an instance of the
// given family, with keepalived's min_ttl and max_ttl.
func (c *converter) unicastPeer(body *hclwrite.Body, e *node, ipv6 bool) (string, bool) {
	a, err := netip.ParseAddr(e.Name)
	if err != nil || a.Zone() != "" {
		c.drop(body, e, e.Text(), "not an IP address")
		return "", false
	}
	if a.Is6() != ipv6 {
		c.drop(body, e, e.Text(), "a unicast peer must be of the instance's family ("+family(ipv6)+"); "+splitFamilies)
		return "", false
	}
	words := []string{e.Name}
	var dropped []string
	for i := 0; i < len(e.Args); i++ {
		k := e.Args[i].Text
		if (k == "min_ttl" || k == "max_ttl") && i+1 < len(e.Args) {
			if v, err := strconv.ParseUint(e.Args[i+1].Text, 10, 8); err == nil {
				words = append(words, k, strconv.FormatUint(v, 10))
				i++
				continue
			}
		}
		dropped = append(dropped, k)
	}
	if len(dropped) > 0 {
		c.drop(body, e, e.Text(), fmt.Sprintf("lbhad takes only min_ttl N and max_ttl N (0-255) on a unicast peer; %q left out, the address is kept", strings.Join(dropped, " ")))
	}
	return strings.Join(words, " "), true
}

// vips converts virtual_ipaddress, keeping the address with its brd,
// dev, scope and label; other per-address options are dropped.
func (c *converter) vips(parent *hclwrite.Body, blk *node, instance string, ipv6 bool) {
	c.vipList(parent, blk, "virtual_ipaddress", instance, func(e *node, pfx netip.Prefix) bool {
		if pfx.Addr().Is6() != ipv6 {
			c.drop(parent, e, e.Text(), "this instance is "+family(ipv6)+" (from its first virtual address or native_ipv6), and an instance is IPv4 or IPv6 in both keepalived and lbhad; "+splitFamilies+"; or list them in virtual_ipaddress_excluded, which takes either family")
			return false
		}
		return true
	})
}

// excludedVIPs converts virtual_ipaddress_excluded: the same entries,
// of either family, added and removed with the VIPs but not advertised.
func (c *converter) excludedVIPs(parent *hclwrite.Body, blk *node, instance string) {
	c.vipList(parent, blk, "virtual_ipaddress_excluded", instance, func(*node, netip.Prefix) bool { return true })
}

func (c *converter) vipList(parent *hclwrite.Body, blk *node, name, instance string, familyOK func(*node, netip.Prefix) bool) {
	c.carry(blk, "as "+name)
	if c.vipOwner == nil {
		c.vipOwner = map[netip.Addr]*node{}
	}
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
		if !familyOK(e, pfx) {
			continue
		}
		if first := c.vipOwner[pfx.Addr()]; first != nil {
			if c.vipInstance[first] == instance {
				c.carry(e, fmt.Sprintf("ignored: the address is already listed at line %d; the kernel holds it once, so keepalived's second add of it failed", first.Line))
				continue
			}
			c.drop(parent, e, e.Text(), fmt.Sprintf("the address is also in vrrp_instance %s (%s); lbhad refuses an address in two instances, since whichever instance moves it last wins", c.vipInstance[first], first.Pos()))
			continue
		}
		c.vipOwner[pfx.Addr()] = e
		if c.vipInstance == nil {
			c.vipInstance = map[*node]string{}
		}
		c.vipInstance[e] = instance
		words := []string{addr}
		var dropped []string
		for i := 0; i < len(e.Args); i++ {
			k := e.Args[i].Text
			if (k == "dev" || k == "label" || k == "brd" || k == "broadcast" || k == "scope") && i+1 < len(e.Args) {
				opt := []string{k, e.Args[i+1].Text}
				if config.CheckVIP(strings.Join(append(append([]string{}, words...), opt...), " ")) == nil {
					words = append(words, opt...)
					i++
					continue
				}
			}
			dropped = append(dropped, k)
		}
		if len(dropped) > 0 {
			c.drop(parent, e, e.Text(), fmt.Sprintf("lbhad sets only brd, dev, scope and label on a virtual address; %q left out, the address is kept", strings.Join(dropped, " ")))
		}
		list = append(list, cty.StringVal(strings.Join(words, " ")))
		c.carry(e, "into "+name)
	}
	if len(list) > 0 {
		parent.SetAttributeValue(name, cty.TupleVal(list))
	}
}

// virtualRoutes converts virtual_routes and virtual_rules, entry by
// entry: each keeps keepalived's words when lbhad carries every option
// in it, and is a named loss otherwise (a route or rule is never
// written with an option missing).
func (c *converter) virtualRoutes(parent *hclwrite.Body, blk *node) {
	c.listBlock(parent, blk.Name, blk, func(e *node) (string, bool) {
		line := e.Text()
		var err error
		if blk.Name == "virtual_routes" {
			_, err = config.ParseVirtualRoute(line)
		} else {
			_, err = config.ParseVirtualRule(line)
		}
		if err != nil {
			c.drop(parent, e, line, err.Error())
			return "", false
		}
		c.carry(e, "into "+blk.Name)
		return line, true
	})
}

// listBlock converts `name { a \n b }` into name = ["a", "b"]. keepalived
// also allows several entries on one line.
// trackInterface converts one track_interface entry, "NAME [weight W
// [reverse|noreverse]]", into lbhad's entry of the same words. An entry
// whose words after the name are malformed keeps the bare name, which
// is keepalived's default for the interface (FAULT while down), and the
// words are a named loss.
func (c *converter) trackInterface(body *hclwrite.Body, e *node) string {
	if len(e.Args) == 0 {
		return e.Name
	}
	a := argTexts(e.Args)
	w, err := strconv.Atoi(a[1%len(a)])
	ok := a[0] == "weight" && len(a) >= 2 && err == nil && w >= -253 && w <= 253 &&
		(len(a) == 2 || len(a) == 3 && (a[2] == "reverse" || a[2] == "noreverse"))
	if !ok {
		c.drop(body, e, e.Text(), "track_interface takes NAME weight W [reverse] with W from -253 to 253; kept as the bare interface name, which puts the instance into FAULT while it is down")
		return e.Name
	}
	if c.curUnweighted != "" && w != 0 {
		out := e.Name
		if len(a) == 3 && a[2] == "reverse" {
			out += " weight 0 reverse"
		}
		c.drop(body, e, e.Text(), c.unweightedWhy()+"; written without its weight, as keepalived runs it ("+out+")")
		return out
	}
	out := fmt.Sprintf("%s weight %d", e.Name, w)
	if len(a) == 3 && a[2] == "reverse" {
		out += " reverse"
	}
	return out
}

// unweightedWhy is the reason for a member weight keepalived ignores.
func (c *converter) unweightedWhy() string {
	return fmt.Sprintf("keepalived 2.2.7 ignores the weights of a member's own tracking in vrrp_sync_group %s, which has no sync_group_tracking_weight, and lbhad would apply them; move the tracking into the sync group for weights", c.curUnweighted)
}

// childWeight is the number after n's weight child, or def.
func childWeight(n *node, def int) int {
	for _, m := range n.Children {
		if m.Name == "weight" && len(m.Args) >= 1 {
			if w, err := strconv.Atoi(m.Args[0].Text); err == nil {
				return w
			}
		}
	}
	return def
}

func (c *converter) listBlock(parent *hclwrite.Body, name string, blk *node, entry func(*node) (string, bool)) {
	if !blk.Block {
		c.drop(parent, blk, blk.Text(), name+" must be a { ... } block")
		return
	}
	c.carry(blk, "as "+name)
	var list []cty.Value
	for _, e := range blk.Children {
		if s, ok := entry(e); ok {
			list = append(list, cty.StringVal(s))
			c.carry(e, "into "+name)
		}
	}
	if len(list) > 0 {
		parent.SetAttributeValue(name, cty.TupleVal(list))
	}
}

func (c *converter) trackScripts(parent *hclwrite.Body, blk *node) {
	c.trackBlocks(parent, blk, "track_script", c.scripts,
		"no vrrp_script of this name is defined (vrrp_track_process and others are not supported)", "this script is already tracked")
}

// trackBlocks converts an instance's track_script or track_file
// { NAME [weight N [reverse]] } into one lbhad block of kind per name
// that defined knows.
func (c *converter) trackBlocks(parent *hclwrite.Body, blk *node, kind string, defined map[string]bool, undefined, again string) {
	if !blk.Block {
		c.drop(parent, blk, blk.Text(), kind+" must be a { ... } block")
		return
	}
	c.carry(blk, "as "+kind+" blocks")
	seen := map[string]bool{}
	for _, e := range blk.Children {
		name := e.Name
		switch {
		case !defined[name]:
			c.drop(parent, e, e.Text(), undefined)
			continue
		case seen[name]:
			c.drop(parent, e, e.Text(), again)
			continue
		}
		seen[name] = true
		if c.curUnweighted != "" && c.memberUnweighted(parent, e, kind) {
			continue
		}
		body := parent.AppendNewBlock(kind, []string{name}).Body()
		c.carry(e, fmt.Sprintf("as %s %q", kind, name))
		switch {
		case len(e.Args) == 0:
		case len(e.Args) == 2 && e.Args[0].Text == "weight":
			c.setNumberText(body, "weight", e, e.Args[1].Text)
		case len(e.Args) == 3 && e.Args[0].Text == "weight" && isReverseWord(e.Args[2].Text):
			c.setNumberText(body, "weight", e, e.Args[1].Text)
			if e.Args[2].Text == "reverse" {
				body.SetAttributeValue("reverse", cty.True)
			}
		default:
			c.drop(body, e, e.Text(), "expected: NAME [weight N [reverse|noreverse]]")
		}
	}
}

// --- vrrp_sync_group ---

func (c *converter) syncGroup(parent *hclwrite.Body, g *node) {
	if !hasChild(g, "group") {
		c.drop(parent, g, g.Text(), "no group { ... } block: keepalived takes the names in it for unknown keywords, so the sync group has no instances")
		return
	}
	body := parent.AppendNewBlock("vrrp_sync_group", []string{g.Args[0].Text}).Body()
	c.carry(g, "as vrrp_sync_group")
	alert := false
	for _, n := range g.Children {
		alert = alert || n.Name == "smtp_alert"
	}
	if !alert {
		c.inheritAlert(body)
	}
	for _, n := range g.Children {
		switch n.Name {
		case "group":
			if !n.Block {
				c.drop(body, n, n.Text(), "group must be a { ... } block")
				continue
			}
			c.carry(n, "as group")
			var list []cty.Value
			for _, e := range n.Children {
				// Several names may share a line.
				var missing []string
				for _, name := range append([]string{e.Name}, argTexts(e.Args)...) {
					if !c.allInstances[name] {
						missing = append(missing, name)
						continue
					}
					list = append(list, cty.StringVal(name))
				}
				if len(missing) > 0 {
					// keepalived warns and leaves such a name out of the group.
					c.carry(e, fmt.Sprintf("ignored for %s: no vrrp_instance of that name is defined, and keepalived leaves it out of the group too", strings.Join(missing, ", ")))
				} else {
					c.carry(e, "into group")
				}
			}
			body.SetAttributeValue("group", cty.TupleVal(list))
		case "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify":
			c.setNotify(body, n.Name, n)
		case "smtp_alert":
			c.smtpAlert(body, n)
		case "track_interface":
			// Applied to every member, as in keepalived.
			c.listBlock(body, "track_interface", n, func(e *node) (string, bool) {
				return c.trackInterface(body, e), true
			})
		case "track_script":
			c.trackScripts(body, n)
		case "track_file":
			c.instanceTrackFiles(body, n)
		case "sync_group_tracking_weight", "global_tracking":
			c.carry(n, "ignored: lbhad always applies the weights of its members' own tracking, which this keyword asks keepalived to do")
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

// memberUnweighted applies keepalived's rule for a weighted track_script
// or track_file on a member of a sync group without
// sync_group_tracking_weight (measured with keepalived 2.2.7 -t): a
// weighted script and a file of weight other than 1 are ignored, a file
// of weight 1 becomes weight 0. It writes what keepalived runs and
// reports the loss; it returns true when it has handled e.
func (c *converter) memberUnweighted(parent *hclwrite.Body, e *node, kind string) bool {
	prefix := "script "
	if kind == "track_file" {
		prefix = "file "
	}
	w := c.defWeight[prefix+e.Name]
	if len(e.Args) >= 2 && e.Args[0].Text == "weight" {
		n, err := strconv.Atoi(e.Args[1].Text)
		if err != nil {
			return false
		}
		w = n
	}
	switch {
	case w == 0:
		return false
	case kind == "track_file" && w == 1:
		body := parent.AppendNewBlock(kind, []string{e.Name}).Body()
		body.SetAttributeValue("weight", cty.NumberIntVal(0))
		c.drop(body, e, e.Text(), c.unweightedWhy()+"; written with weight 0, as keepalived runs it (the file is a flag: any number but 0 is FAULT)")
	default:
		c.drop(parent, e, e.Text(), c.unweightedWhy()+"; left out, as keepalived leaves it out")
	}
	return true
}
