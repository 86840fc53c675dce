package kaconv

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/lbhad/lbhad/config"
	"github.com/zclconf/go-cty/cty"
)

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

// defaultPersistence is keepalived's persistence_timeout when the
// keyword is given without a value (IPVS_SVC_PERSISTENT_TIMEOUT).
const defaultPersistence = "360"

// vsContext is what a virtual server passes down to its real servers
// and their checks: keepalived lets virtualhost be set at the virtual
// server and inherited.
type vsContext struct {
	virtualhost string
	labels      map[string]bool
}

func (c *converter) virtualServer(parent *hclwrite.Body, vs *node) {
	var label, addr, group string
	var mark cty.Value
	switch {
	case len(vs.Args) == 2 && vs.Args[0].Text == "group":
		if !c.vsGroups[vs.Args[1].Text] {
			c.drop(parent, vs, vs.Text(), "no usable virtual_server_group of this name is defined, so keepalived has no address for this service")
			return
		}
		group = vs.Args[1].Text
		label = "group-" + group
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
		case "udp", "sctp":
			// Two services may share an address with different protocols.
			label += "/" + p
		default:
			// Converting the rest would create a TCP service in its place.
			c.drop(parent, vs, vs.Text(), fmt.Sprintf("keepalived's protocols are TCP, UDP and SCTP; this %s service is left out with its real servers (protocol at line %d)", n.Args[0].Text, n.Line))
			return
		}
	}
	label = c.uniqueLabel(label, c.vsLabels)
	body := parent.AppendNewBlock("virtual_server", []string{label}).Body()
	c.carry(vs, fmt.Sprintf("as virtual_server %q", label))
	c.written.VirtualServers++
	switch {
	case addr != "":
		body.SetAttributeValue("address", cty.StringVal(addr))
	case group != "":
		body.SetAttributeValue("group", cty.StringVal(group))
	default:
		body.SetAttributeValue("fwmark", mark)
	}
	if (addr != "" || group != "") && !slices.ContainsFunc(vs.Children, func(n *node) bool { return n.Name == "protocol" }) {
		// keepalived 2.2.7 reports the missing protocol and sets UDP,
		// the kernel's default, which is rarely what was meant.
		body.SetAttributeValue("protocol", cty.StringVal("udp"))
		c.drop(body, vs, "virtual_server "+strings.Join(argTexts(vs.Args), " ")+" without protocol", "keepalived 2.2.7 reports \"no protocol set\" and balances UDP; written as protocol = \"udp\" to match, set protocol = \"tcp\" if that was meant")
	}
	ctx := vsContext{labels: map[string]bool{}}
	hasNotify := false
	for _, n := range vs.Children {
		switch {
		case n.Name == "virtualhost" && len(n.Args) == 1:
			ctx.virtualhost = n.Args[0].Text
		case n.Name == "quorum_down":
			hasNotify = true
		case n.Name == "real_server":
			for _, m := range n.Children {
				if m.Name == "notify_down" {
					hasNotify = true
				}
			}
		}
	}
	for _, n := range vs.Children {
		switch n.Name {
		case "delay_loop", "quorum", "hysteresis":
			c.setNumber(body, n.Name, n)
		case "persistence_timeout":
			if len(n.Args) == 0 {
				c.setNumberText(body, "persistence_timeout", n, defaultPersistence)
				c.carry(n, "keepalived's default of "+defaultPersistence+" seconds when no value is given")
				continue
			}
			c.setNumber(body, n.Name, n)
		case "lb_algo", "lvs_sched":
			c.scheduler(body, n)
		case "lb_kind", "lvs_method":
			c.lbKind(body, n)
		case "protocol":
			s, ok := c.oneArg(body, n)
			if !ok {
				continue
			}
			body.SetAttributeValue("protocol", cty.StringVal(strings.ToLower(s)))
			c.carry(n, "as protocol")
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
			c.carry(n, "as persistence_netmask")
		case "sorry_server":
			c.sorryServer(body, n)
		case "inhibit_on_failure":
			c.setFlag(body, "inhibit_on_failure", n)
		case "sorry_server_inhibit":
			c.setFlag(body, "sorry_server_inhibit", n)
		case "ha_suspend":
			if addr == "" && group == "" {
				c.drop(body, n, n.Text(), "lbhad's ha_suspend watches the virtual server's address, and a firewall-mark service has none")
				continue
			}
			c.setFlag(body, "ha_suspend", n)
		case "sorry_server_lvs_method":
			c.sorryMethod(body, n)
		case "alpha":
			c.setFlag(body, "alpha", n)
		case "quorum_up", "quorum_down":
			c.setNotify(body, n.Name, n)
		case "virtualhost":
			if len(n.Args) != 1 {
				c.drop(body, n, n.Text(), "virtualhost takes exactly one name")
				continue
			}
			c.carry(n, "into the virtualhost of each http_get and ssl_get that sets none itself, as keepalived uses it")
		case "smtp_alert":
			c.checkerAlert(body, n)
		case "nat_mask":
			c.carry(n, "ignored: keepalived 2.2.7 does not know nat_mask (a 1.x keyword IPVS never used) and ignores it too")
		case "omega":
			if hasNotify {
				c.setFlag(body, "omega", n)
				continue
			}
			c.carry(n, "ignored: omega only runs notify_down and quorum_down scripts, and this virtual server has none")
		case "ops":
			c.ops(body, vs, n, addr != "")
		case "sh-fallback", "sh-port", "mh-fallback", "mh-port", "flag-1", "flag-2", "flag-3":
			c.schedFlag(body, vs, n)
		case "real_server":
			c.realServer(body, n, ctx)
		default:
			c.dropNode(body, n)
		}
	}
}

// protocolOf is the virtual server's protocol as keepalived reads it
// ("" when none is given).
func protocolOf(vs *node) string {
	p := ""
	for _, n := range vs.Children {
		if n.Name == "protocol" && len(n.Args) == 1 {
			p = strings.ToLower(n.Args[0].Text)
		}
	}
	return p
}

// ops carries keepalived's one-packet scheduling, which IPVS applies to
// UDP only; lbhad takes it on UDP services given by address.
func (c *converter) ops(body *hclwrite.Body, vs, n *node, byAddress bool) {
	if len(n.Args) != 0 {
		c.drop(body, n, n.Text(), "ops takes no value")
		return
	}
	// Without a protocol keepalived balances UDP, as written above.
	if p := protocolOf(vs); p != "udp" && p != "" {
		c.carry(n, "ignored: keepalived resets ops on a "+strings.ToUpper(p)+" service (\"one packet scheduling requires UDP\")")
		return
	}
	if !byAddress {
		c.drop(body, n, n.Text(), "lbhad takes ops on UDP services given by address only, not on fwmark or group services")
		return
	}
	body.SetAttributeValue("ops", cty.True)
	c.carry(n, "as ops = true")
}

// schedFlag carries IPVS scheduler flags. keepalived's sh-fallback,
// mh-fallback and flag-1 all set the kernel's first scheduler flag,
// and sh-port, mh-port and flag-2 the second; the sh and mh schedulers
// read them as fallback and port, and no other scheduler reads them.
func (c *converter) schedFlag(body *hclwrite.Body, vs, n *node) {
	if len(n.Args) != 0 {
		c.drop(body, n, n.Text(), n.Name+" takes no value")
		return
	}
	algo := "wlc" // keepalived's and lbhad's default
	for _, m := range vs.Children {
		if (m.Name == "lb_algo" || m.Name == "lvs_sched") && len(m.Args) == 1 && slices.Contains(config.Schedulers, m.Args[0].Text) {
			algo = m.Args[0].Text
		}
	}
	var which string
	switch n.Name {
	case "sh-fallback", "mh-fallback", "flag-1":
		which = "fallback"
	case "sh-port", "mh-port", "flag-2":
		which = "port"
	}
	if which == "" || (algo != "sh" && algo != "mh") {
		c.carry(n, fmt.Sprintf("ignored: no IPVS scheduler but sh and mh reads this flag, and this service uses %s", algo))
		return
	}
	name := algo + "_" + which
	body.SetAttributeValue(name, cty.True)
	c.carry(n, fmt.Sprintf("as %s = true (the flag the %s scheduler reads as %s)", name, algo, which))
}

// scheduler carries lb_algo. keepalived 2.2.7 compares the name case
// sensitively and ignores (with an error) any name it does not know,
// falling back to wlc.
func (c *converter) scheduler(body *hclwrite.Body, n *node) {
	s, ok := c.oneArg(body, n)
	if !ok {
		return
	}
	switch {
	case slices.Contains(config.Schedulers, s):
		body.SetAttributeValue("lb_algo", cty.StringVal(s))
		c.carry(n, "as lb_algo")
	case pending["lb_algo "+s] != "":
		c.drop(body, n, n.Text(), pending["lb_algo "+s])
	case slices.Contains(config.Schedulers, strings.ToLower(s)):
		c.drop(body, n, n.Text(), fmt.Sprintf("keepalived 2.2.7 rejects the upper-case name and uses wlc; write lb_algo = %q if that is what was meant", strings.ToLower(s)))
	default:
		c.drop(body, n, n.Text(), fmt.Sprintf("lbhad knows the IPVS schedulers %s", strings.Join(config.Schedulers, ", ")))
	}
}

// lbKind carries lb_kind. keepalived 2.2.7 takes NAT, DR and TUN in upper
// case only; 1.x configs with lower-case dr got an error and NAT.
func (c *converter) lbKind(body *hclwrite.Body, n *node) {
	if len(n.Args) > 1 && n.Args[0].Text == "TUN" {
		c.tunnelMethod(body, n)
		return
	}
	s, ok := c.oneArg(body, n)
	if !ok {
		return
	}
	switch s {
	case "NAT", "DR", "TUN":
		body.SetAttributeValue("lb_kind", cty.StringVal(s))
		c.carry(n, "as lb_kind")
	default:
		if u := strings.ToUpper(s); u == "NAT" || u == "DR" || u == "TUN" {
			c.drop(body, n, n.Text(), fmt.Sprintf("keepalived 2.2.7 rejects the lower-case name and forwards with NAT; write lb_kind = %q if that is what was meant", u))
			return
		}
		c.drop(body, n, n.Text(), "lb_kind must be NAT, DR or TUN")
	}
}

func (c *converter) sorryServer(body *hclwrite.Body, n *node) {
	switch len(n.Args) {
	case 1:
		if _, err := netip.ParseAddr(n.Args[0].Text); err == nil {
			body.SetAttributeValue("sorry_server", cty.StringVal(n.Args[0].Text))
			c.carry(n, "as sorry_server")
			return
		}
	case 2:
		if hp, ok := hostPort(n.Args[0].Text, n.Args[1].Text); ok {
			body.SetAttributeValue("sorry_server", cty.StringVal(hp))
			c.carry(n, "as sorry_server")
			return
		}
	}
	c.drop(body, n, n.Text(), "expected sorry_server IP [PORT]")
}

// checkerAlert handles smtp_alert on a virtual or real server. Without
// mail settings keepalived sends nothing, so neither does lbhad.
func (c *converter) checkerAlert(body *hclwrite.Body, n *node) {
	if !c.email {
		c.carry(n, "ignored: global_defs has no complete mail settings, so keepalived sent no mail either")
		return
	}
	c.drop(body, n, n.Text(), "lbhad sends mail for VRRP state changes only, not for real servers going up or down; use notify_up and notify_down")
}

var checkKinds = []string{"HTTP_GET", "SSL_GET", "TCP_CHECK", "MISC_CHECK", "SMTP_CHECK", "DNS_CHECK", "UDP_CHECK", "PING_CHECK", "FILE_CHECK", "BFD_CHECK"}

// carriedCheck reports whether lbhad has the check kind.
func carriedCheck(kind string) bool {
	return slices.Contains(checkKinds, kind) && kind != "BFD_CHECK"
}

// unwritable returns, for a real server, the checks that stop it from
// being written with all of them: kinds lbhad lacks. keepalived takes a real server out when any of
// its checks fails, so writing the server with fewer would keep it in
// where keepalived would not.
func (c *converter) unwritable(rs *node) map[*node]string {
	bad := map[*node]string{}
	for _, ck := range rs.Children {
		if !slices.Contains(checkKinds, ck.Name) {
			continue
		}
		switch {
		case !carriedCheck(ck.Name):
			why := pending[ck.Name]
			if why == "" {
				why = reasons[ck.Name]
			}
			bad[ck] = why
		}
	}
	return bad
}

func (c *converter) realServer(parent *hclwrite.Body, rs *node, vs vsContext) {
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
	if bad := c.unwritable(rs); len(bad) > 0 {
		var what []string
		for _, n := range rs.Children {
			if why, ok := bad[n]; ok {
				c.drop(parent, n, n.Text(), why)
				what = append(what, fmt.Sprintf("%s at line %d", n.Name, n.Line))
			}
			for _, u := range n.Children {
				if why, ok := bad[u]; ok {
					c.drop(parent, u, u.Text()+urlPath(u), why)
					what = append(what, fmt.Sprintf("url at line %d", u.Line))
				}
			}
		}
		c.drop(parent, rs, rs.Text(), "real server left out: lbhad cannot run all of its checks ("+strings.Join(what, ", ")+"), and keepalived takes it out when any one fails; written with fewer checks it would take traffic keepalived would not send it")
		return
	}
	label := c.uniqueLabel(addr, vs.labels)
	body := parent.AppendNewBlock("real_server", []string{label}).Body()
	c.carry(rs, fmt.Sprintf("as real_server %q", label))
	c.written.RealServers++
	body.SetAttributeValue("address", cty.StringVal(addr))
	for _, n := range rs.Children {
		if n.Name == "virtualhost" && len(n.Args) == 1 {
			vs.virtualhost = n.Args[0].Text
		}
	}
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
		case "lb_kind", "lvs_method":
			c.lbKind(body, n)
		case "smtp_alert":
			c.checkerAlert(body, n)
		case "virtualhost":
			if len(n.Args) != 1 {
				c.drop(body, n, n.Text(), "virtualhost takes exactly one name")
				continue
			}
			c.carry(n, "into the virtualhost of this real server's http_get or ssl_get unless it sets its own, as keepalived uses it")
		case "HTTP_GET", "SSL_GET", "TCP_CHECK", "MISC_CHECK", "DNS_CHECK", "UDP_CHECK", "PING_CHECK", "SMTP_CHECK", "FILE_CHECK":
			if !n.Block {
				c.drop(body, n, n.Text(), "a check must be a { ... } block")
				continue
			}
			if n.Name == "SMTP_CHECK" && hasChild(n, "host") {
				c.smtpHosts(body, n, vs)
				continue
			}
			c.check(body, n, vs)
		default:
			c.dropNode(body, n)
		}
	}
}

// check converts one checker block into lbhad's check of that kind.
func (c *converter) check(parent *hclwrite.Body, ck *node, vs vsContext) {
	kind := strings.ToLower(ck.Name)
	if kind == "file_check" {
		if why := c.fileCheckTarget(ck); why != "" {
			// keepalived drops such a FILE_CHECK and keeps the server.
			c.drop(parent, ck, ck.Text(), why)
			return
		}
	}
	body := parent.AppendNewBlock(kind, nil).Body()
	c.carry(ck, "as "+kind)
	c.written.Checks++
	if kind == "file_check" {
		c.fileCheck(body, ck)
		return
	}
	httpish := kind == "http_get" || kind == "ssl_get"
	vhost := false
	urls := 0
	for _, n := range ck.Children {
		if n.Name == "url" {
			urls++
		}
	}
	for _, n := range ck.Children {
		switch {
		case kind == "ping_check" && n.Name == "connect_port":
			c.carry(n, "ignored: an ICMP echo has no port; keepalived takes the keyword and never uses it (lbhad's ping_check refuses it)")
		case c.kindAttr(body, kind, n):
		case slices.Contains([]string{"connect_timeout", "connect_port", "delay_before_retry", "warmup", "delay_loop"}, n.Name):
			c.setNumber(body, n.Name, n)
		case n.Name == "retry" || n.Name == "nb_get_retry":
			c.setNumber(body, "retry", n)
		case n.Name == "connect_ip" || n.Name == "bindto":
			c.setString(body, n.Name, n)
		case httpish && n.Name == "url" && urls > 1:
			c.urlBlock(body, n)
		case httpish && n.Name == "url":
			if c.url(body, n) {
				vhost = true
			}
		case httpish && n.Name == "virtualhost":
			if !vhost {
				c.setString(body, "virtualhost", n)
				vhost = true
			} else {
				c.carry(n, "ignored: the url's own virtualhost takes precedence, as in keepalived")
			}
		case httpish && n.Name == "enable_sni":
			c.carry(n, "ignored: lbhad always sends the virtualhost as SNI")
		case kind == "misc_check" && n.Name == "misc_path":
			c.setCommandLine(body, "path", n)
		case kind == "misc_check" && n.Name == "misc_timeout":
			// Also as long as the interval or longer, as in keepalived.
			c.setNumber(body, "timeout", n)
		case kind == "misc_check" && n.Name == "misc_dynamic":
			c.setFlag(body, "misc_dynamic", n)
		case kind == "misc_check" && n.Name == "user":
			c.userAttr(body, n)
		default:
			c.dropNode(body, n)
		}
	}
	if httpish && !vhost && vs.virtualhost != "" {
		body.SetAttributeValue("virtualhost", cty.StringVal(vs.virtualhost))
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

// url writes one url block's settings into the check; it reports
// whether the url set the virtualhost.
func (c *converter) url(body *hclwrite.Body, u *node) (vhost bool) {
	if !u.Block {
		c.drop(body, u, u.Text(), "url must be a { ... } block")
		return false
	}
	c.carry(u, "into the check (one url's settings go directly into http_get)")
	for _, n := range u.Children {
		switch n.Name {
		case "path", "digest":
			c.setString(body, n.Name, n)
		case "virtualhost":
			c.setString(body, "virtualhost", n)
			vhost = true
		case "status_code":
			c.statusCode(body, n)
		case "regex":
			c.regex(body, n)
		default:
			c.dropNode(body, n)
		}
	}
	return vhost
}

// urlBlock writes one of several url blocks as an lbhad url block;
// lbhad fetches them all and passes only when all do, as keepalived.
func (c *converter) urlBlock(parent *hclwrite.Body, u *node) {
	if !u.Block {
		c.drop(parent, u, u.Text(), "url must be a { ... } block")
		return
	}
	body := parent.AppendNewBlock("url", nil).Body()
	c.carry(u, "as url")
	for _, n := range u.Children {
		switch n.Name {
		case "path", "digest", "virtualhost":
			c.setString(body, n.Name, n)
		case "status_code":
			c.statusCode(body, n)
		case "regex":
			c.regex(body, n)
		default:
			c.dropNode(body, n)
		}
	}
}

func (c *converter) statusCode(body *hclwrite.Body, n *node) {
	if len(n.Args) == 0 {
		c.drop(body, n, n.Text(), "no status code given")
		return
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
	c.carry(n, "as status_code")
}

// regex carries keepalived's PCRE2 body match as body_regex when Go's
// RE2 reads it; the expressions real checks use (literals, classes,
// alternation, anchors) mean the same in both. Back-references and
// look-around, which RE2 lacks, are reported.
func (c *converter) regex(body *hclwrite.Body, n *node) {
	s, ok := c.oneArg(body, n)
	if !ok {
		return
	}
	if _, err := regexp.Compile(s); err != nil {
		c.drop(body, n, n.Text(), fmt.Sprintf("Go's RE2 cannot read this expression (%v); translate it and set body_regex by hand", err))
		return
	}
	body.SetAttributeValue("body_regex", cty.StringVal(s))
	c.carry(n, "as body_regex (RE2 syntax, which reads this expression as PCRE does)")
}
