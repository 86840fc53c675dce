package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

func (b *builder) virtualServers(raws []*rawVirtualServer, cfg *Config, groups map[string]*VirtualServerGroup) {
	byName := map[string]*VirtualServer{}
	services := map[string]hcl.Range{}
	for _, r := range raws {
		if first, dup := byName[r.Name]; dup {
			b.dupName(r.DefRange, "virtual_server", r.Name, first.Range)
			continue
		}
		vs := b.virtualServer(r, services, cfg, groups)
		byName[r.Name] = vs
		cfg.VirtualServers = append(cfg.VirtualServers, vs)
	}
}

func (b *builder) virtualServer(r *rawVirtualServer, services map[string]hcl.Range, cfg *Config, groups map[string]*VirtualServerGroup) *VirtualServer {
	vs := &VirtualServer{
		Name:      r.Name,
		Scheduler: defaultScheduler,
		Quorum:    1,
		DelayLoop: defaultDelayLoop,
		Range:     r.DefRange,
	}
	hasAddr, hasMark, hasGroup := present(r.Address), present(r.FWMark), present(r.Group)
	switch {
	case hasGroup && (hasAddr || hasMark):
		b.errorf(r.Group.Range(), "Conflicting group and address", "A virtual_server is either a group (group = \"name\") or one address or fwmark, not both.")
	case hasGroup:
	case hasAddr && hasMark:
		b.errorf(r.FWMark.Range(), "Conflicting address and fwmark", "A virtual_server is either an address (address = \"172.16.100.1:80\") or a firewall mark (fwmark = 10), not both.")
	case !hasAddr && !hasMark:
		b.errorf(r.DefRange, "Missing address or fwmark", "A virtual_server needs either address = \"IP:PORT\", fwmark = MARK or group = \"NAME\" (a virtual_server_group).")
	}
	if s, ok := b.str(r.Address, "address"); ok {
		if ap, err := netip.ParseAddrPort(strings.TrimSpace(s)); err != nil || ap.Addr().Zone() != "" {
			b.errorf(r.Address.Range(), "Invalid address", "address must be IP:PORT, such as \"172.16.100.1:80\" or \"[2001:db8::1]:443\"; %q is not.", s)
		} else {
			vs.Address = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		}
	}
	if n, ok := b.integer(r.FWMark, "fwmark", 1, math.MaxUint32); ok {
		vs.FWMark = uint32(n)
	}
	if s, ok := b.str(r.Protocol, "protocol"); ok {
		switch strings.ToLower(s) {
		case "tcp":
			vs.Protocol = TCP
		case "udp":
			vs.Protocol = UDP
		case "sctp":
			vs.Protocol = SCTP
		default:
			b.errorf(r.Protocol.Range(), "Invalid protocol", "protocol must be \"tcp\", \"udp\" or \"sctp\"; %q is none of them.", s)
		}
	}
	if s, ok := b.str(r.LBAlgo, "lb_algo"); ok {
		if !slices.Contains(Schedulers, strings.ToLower(s)) {
			b.errorf(r.LBAlgo.Range(), "Unknown scheduler", "lb_algo must be one of the IPVS schedulers %s; %q is not.", strings.Join(Schedulers, ", "), s)
		} else {
			vs.Scheduler = strings.ToLower(s)
			b.checkScheduler(r.LBAlgo, vs.Scheduler)
		}
	}
	b.schedFlags(r, vs)
	if k, ok := b.kind(r.LBKind); ok {
		vs.Kind = k
	}
	if d, ok := b.wholeSeconds(r.PersistenceTimeout, "persistence_timeout"); ok {
		vs.PersistenceTimeout = d
	}
	if a, ok := b.addr(r.PersistenceNetmask, "persistence_netmask", false); ok {
		if !isNetmask(a) {
			b.errorf(r.PersistenceNetmask.Range(), "Invalid persistence_netmask", "persistence_netmask must be a contiguous netmask such as 255.255.255.0; %s is not.", a)
		} else {
			vs.PersistenceNetmask = a
			if vs.PersistenceTimeout == 0 && !present(r.PersistenceTimeout) {
				vs.PersistenceTimeout = defaultPersistence
			}
		}
	}
	if vs.Address.IsValid() && vs.Address.Port() == 0 && vs.PersistenceTimeout == 0 {
		b.errorf(r.Address.Range(), "Invalid address", "Port 0 (all ports) needs persistence: set persistence_timeout, or give the service's port.")
	}
	if hasGroup && !hasAddr && !hasMark {
		b.groupOf(r, vs, groups, services)
	} else if vs.Address.IsValid() || vs.FWMark != 0 {
		key := fmt.Sprintf("%s %s/%d", vs.Protocol, vs.Address, vs.FWMark)
		if first, dup := services[key]; dup {
			b.errorf(r.DefRange, "Duplicate virtual service", "The virtual_server at %s already uses this %s %s; IPVS has one service per address, port and protocol (or firewall mark).", first.String(), vs.Protocol, serviceName(vs))
		} else {
			services[key] = r.DefRange
		}
	}
	if n, ok := b.integer(r.Quorum, "quorum", 1, math.MaxInt32); ok {
		vs.Quorum = int(n)
	}
	if n, ok := b.integer(r.Hysteresis, "hysteresis", 0, math.MaxInt32); ok {
		vs.Hysteresis = int(n)
	}
	if s, ok := b.str(r.SorryServer, "sorry_server"); ok {
		ap, err := parseHostPort(s, vs.Address.Port())
		if err != nil {
			b.errorf(r.SorryServer.Range(), "Invalid sorry_server", "sorry_server must be IP or IP:PORT, such as \"127.0.0.1:80\"; %q is not.", s)
		} else {
			vs.SorryServer = ap
		}
	}
	vs.InhibitOnFailure = b.boolDefault(r.InhibitOnFailure, "inhibit_on_failure", false)
	if d, ok := b.positiveDuration(r.DelayLoop, "delay_loop"); ok {
		vs.DelayLoop = d
	}
	vs.QuorumUp = b.strDefault(r.QuorumUp, "quorum_up", "")
	vs.QuorumDown = b.strDefault(r.QuorumDown, "quorum_down", "")
	vs.Announce = b.boolDefault(r.Announce, "announce", false)
	vs.Alpha = b.boolDefault(r.Alpha, "alpha", false)
	vs.Omega = b.boolDefault(r.Omega, "omega", false)
	vs.Tunnel = b.tunnel(vs.Kind, r.TunType, r.TunPort, r.TunFlags, Tunnel{})
	b.sorryServer(r, vs)
	b.haSuspend(r, vs)

	names := map[string]hcl.Range{}
	addrs := map[netip.AddrPort]hcl.Range{}
	for _, rr := range r.RealServers {
		if first, dup := names[rr.Name]; dup {
			b.dupName(rr.DefRange, "real_server", rr.Name, first)
			continue
		}
		names[rr.Name] = rr.DefRange
		rs := b.realServer(rr, vs, cfg)
		if rs.Address.IsValid() {
			if first, dup := addrs[rs.Address]; dup {
				b.errorf(rr.Address.Range(), "Duplicate real server address", "%s is already a real server of this virtual_server at %s.", rs.Address, first.String())
			} else {
				addrs[rs.Address] = rr.DefRange
			}
		}
		vs.RealServers = append(vs.RealServers, rs)
	}
	return vs
}

func serviceName(vs *VirtualServer) string {
	if vs.FWMark != 0 {
		return fmt.Sprintf("fwmark %d", vs.FWMark)
	}
	return vs.Address.String()
}

func (b *builder) kind(e hcl.Expression) (ForwardKind, bool) {
	s, ok := b.str(e, "lb_kind")
	if !ok {
		return KindNAT, false
	}
	switch strings.ToLower(s) {
	case "nat":
		return KindNAT, true
	case "dr":
		return KindDR, true
	case "tun":
		return KindTUN, true
	}
	b.errorf(e.Range(), "Unknown lb_kind", "lb_kind must be \"NAT\", \"DR\" or \"TUN\"; %q is none of them.", s)
	return KindNAT, false
}

// isNetmask reports whether a is a contiguous run of one bits.
func isNetmask(a netip.Addr) bool {
	for n := 0; n <= a.BitLen(); n++ {
		if onesAddr(a.BitLen(), n) == a {
			return true
		}
	}
	return false
}

func onesAddr(bits, n int) netip.Addr {
	buf := make([]byte, bits/8)
	for i := 0; i < n; i++ {
		buf[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(buf)
	return a
}

// parseHostPort parses "IP:PORT" or a bare "IP", which takes defPort.
func parseHostPort(s string, defPort uint16) (netip.AddrPort, error) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		if ap.Addr().Zone() != "" {
			return netip.AddrPort{}, errors.New("zone not allowed")
		}
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	a, err := parseAddr(s, false)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(a, defPort), nil
}

func (b *builder) realServer(r *rawRealServer, vs *VirtualServer, cfg *Config) *RealServer {
	rs := &RealServer{
		Name:             r.Name,
		Weight:           1,
		Kind:             vs.Kind,
		InhibitOnFailure: vs.InhibitOnFailure,
		Range:            r.DefRange,
	}
	if k, ok := b.kind(r.LBKind); ok {
		rs.Kind = k
	}
	b.require(r.Address, "address")
	if s, ok := b.str(r.Address, "address"); ok {
		ap, err := parseHostPort(s, vs.Address.Port())
		switch {
		case err != nil:
			b.errorf(r.Address.Range(), "Invalid address", "A real server address must be IP or IP:PORT, such as \"172.16.100.7:80\"; %q is not.", s)
		case mismatch(dirPortMismatch(vs, rs.Kind, ap.Port())):
			vport, _ := dirPortMismatch(vs, rs.Kind, ap.Port())
			b.errorf(r.Address.Range(), "Port mapping with "+strings.ToUpper(rs.Kind.String()), "With lb_kind %s packets reach the real server unchanged, so its port must equal the virtual port %d; it is %d. Use NAT to map ports.", strings.ToUpper(rs.Kind.String()), vport, ap.Port())
		case vs.FWMark == 0 && vs.Address.IsValid() && rs.Kind != KindTUN && ap.Addr().Is4() != vs.Address.Addr().Is4():
			b.errorf(r.Address.Range(), "Address family mismatch", "With lb_kind %s a real server must have the same address family as the virtual server %s; only TUN can mix IPv4 and IPv6.", strings.ToUpper(rs.Kind.String()), vs.Address.Addr())
		default:
			rs.Address = ap
		}
	}
	if n, ok := b.integer(r.Weight, "weight", 0, maxRealServerWeight); ok {
		rs.Weight = int(n)
	}
	up, okUp := b.integer(r.UpperThreshold, "upper_threshold", 0, math.MaxUint32)
	if okUp {
		rs.UpperThreshold = uint32(up)
	}
	if n, ok := b.integer(r.LowerThreshold, "lower_threshold", 0, math.MaxUint32); ok {
		if okUp && up > 0 && n > up {
			b.errorf(r.LowerThreshold.Range(), "Invalid lower_threshold", "lower_threshold (%d) must not be greater than upper_threshold (%d): the server is taken back below the lower bound after reaching the upper one.", n, up)
		} else {
			rs.LowerThreshold = uint32(n)
		}
	}
	rs.InhibitOnFailure = b.boolDefault(r.InhibitOnFailure, "inhibit_on_failure", vs.InhibitOnFailure)
	rs.NotifyUp = b.strDefault(r.NotifyUp, "notify_up", "")
	rs.NotifyDown = b.strDefault(r.NotifyDown, "notify_down", "")
	inherit := vs.Tunnel
	if present(r.LBKind) {
		inherit = Tunnel{}
	}
	rs.Tunnel = b.tunnel(rs.Kind, r.TunType, r.TunPort, r.TunFlags, inherit)

	type block struct {
		rng   hcl.Range
		build func() *Check
	}
	var checks []block
	for _, c := range r.HTTPGet {
		checks = append(checks, block{c.DefRange, func() *Check { return b.httpCheck(c, CheckHTTP, vs) }})
	}
	for _, c := range r.SSLGet {
		checks = append(checks, block{c.DefRange, func() *Check { return b.httpCheck(c, CheckSSL, vs) }})
	}
	for _, c := range r.TCPCheck {
		checks = append(checks, block{c.DefRange, func() *Check { return b.tcpCheck(c, vs) }})
	}
	for _, c := range r.MiscCheck {
		checks = append(checks, block{c.DefRange, func() *Check { return b.miscCheck(c, vs) }})
	}
	for _, c := range r.DNSCheck {
		checks = append(checks, block{c.DefRange, func() *Check { return b.dnsCheck(c, vs) }})
	}
	for _, c := range r.UDPCheck {
		checks = append(checks, block{c.DefRange, func() *Check { return b.udpCheck(c, vs) }})
	}
	for _, c := range r.PingCheck {
		checks = append(checks, block{c.DefRange, func() *Check { return b.pingCheck(c, vs) }})
	}
	for _, c := range r.SMTPCheck {
		checks = append(checks, block{c.DefRange, func() *Check { return b.smtpCheck(c, vs) }})
	}
	for _, c := range r.FileCheck {
		checks = append(checks, block{c.DefRange, func() *Check { return b.fileCheck(c, vs, cfg) }})
	}
	// Every block is a checker of its own, in file order; the real
	// server is up only while all of them pass, as in keepalived.
	slices.SortFunc(checks, func(x, y block) int { return x.rng.Start.Byte - y.rng.Start.Byte })
	for _, c := range checks {
		ck := c.build() // validate every block, report all problems
		if needsPort(ck.Kind) && ck.ConnectPort == 0 && rs.Address.IsValid() && rs.Address.Port() == 0 {
			b.errorf(c.rng, "Missing connect_port", "The real server has no port (it serves a fwmark service), so %s must say which port to check with connect_port.", ck.Kind)
		}
		rs.Checks = append(rs.Checks, ck)
	}
	return rs
}

// needsPort reports whether a check kind connects to a port.
func needsPort(k CheckKind) bool {
	switch k {
	case CheckMisc, CheckPing, CheckFile:
		return false
	}
	return true
}

func (b *builder) checkCommon(c *rawCheck, kind CheckKind, vs *VirtualServer) *Check {
	ck := &Check{
		Kind:             kind,
		Interval:         vs.DelayLoop,
		ConnectTimeout:   defaultConnectTimeout,
		Rise:             1,
		Fall:             1,
		DelayBeforeRetry: defaultDelayBeforeRetry,
	}
	if d, ok := b.positiveDuration(c.DelayLoop, "delay_loop"); ok {
		ck.Interval = d
	}
	if d, ok := b.positiveDuration(c.ConnectTimeout, "connect_timeout"); ok {
		ck.ConnectTimeout = d
	}
	if n, ok := b.integer(c.Rise, "rise", 1, 1<<20); ok {
		ck.Rise = int(n)
	}
	if n, ok := b.integer(c.Fall, "fall", 1, 1<<20); ok {
		ck.Fall = int(n)
	}
	if n, ok := b.integer(c.Retry, "retry", 0, 1<<20); ok {
		ck.Retry = int(n)
	}
	if d, ok := b.duration(c.DelayBeforeRetry, "delay_before_retry"); ok {
		ck.DelayBeforeRetry = d
	}
	if d, ok := b.duration(c.Warmup, "warmup"); ok {
		ck.Warmup = d
	}
	if a, ok := b.addr(c.ConnectIP, "connect_ip", false); ok {
		ck.ConnectIP = a
	}
	if n, ok := b.integer(c.ConnectPort, "connect_port", 1, 65535); ok {
		ck.ConnectPort = uint16(n)
	}
	if a, ok := b.addr(c.BindTo, "bindto", false); ok {
		ck.BindTo = a
	}
	return ck
}

func (b *builder) httpCheck(c *rawCheck, kind CheckKind, vs *VirtualServer) *Check {
	r := &rawHTTPCheck{}
	b.diags = append(b.diags, decodeCheck(c, r)...)
	ck := b.checkCommon(c, kind, vs)
	h := &HTTPCheck{VirtualHost: b.strDefault(r.VirtualHost, "virtualhost", "")}
	ck.HTTP = h
	own := rawURL{Path: r.Path, StatusCode: r.StatusCode, BodyRegex: r.BodyRegex, Digest: r.Digest}
	if len(r.URLs) == 0 {
		h.URLs = []HTTPURL{b.httpURL(&own)}
	}
	for i, u := range r.URLs {
		if i == 0 {
			for _, e := range []hcl.Expression{r.Path, r.StatusCode, r.BodyRegex, r.Digest} {
				if present(e) {
					b.errorf(e.Range(), "Attribute beside url blocks", "With url blocks, each url says what to fetch and expect; move this attribute into a url block.")
				}
			}
		}
		h.URLs = append(h.URLs, b.httpURL(u))
	}
	tls := []struct {
		e    hcl.Expression
		name string
		dst  *string
	}{{r.SNI, "sni", &h.ServerName}, {r.CAFile, "ca_file", &h.CAFile}, {r.CertFile, "cert_file", &h.CertFile}, {r.KeyFile, "key_file", &h.KeyFile}}
	for _, t := range tls {
		if kind == CheckHTTP && present(t.e) {
			b.errorf(t.e.Range(), "TLS setting in http_get", "%s applies only to ssl_get; use an ssl_get block to check over HTTPS.", t.name)
			continue
		}
		*t.dst = b.strDefault(t.e, t.name, "")
		if t.name != "sni" {
			b.checkReadable(t.e, t.name, *t.dst)
		}
	}
	if kind == CheckHTTP && present(r.Insecure) {
		b.errorf(r.Insecure.Range(), "TLS setting in http_get", "insecure applies only to ssl_get; use an ssl_get block to check over HTTPS.")
	} else {
		h.Insecure = b.boolDefault(r.Insecure, "insecure", false)
	}
	if kind == CheckSSL {
		if h.ServerName == "" {
			h.ServerName = h.VirtualHost
		}
		if h.ServerName == "" && len(h.URLs) > 0 {
			h.ServerName = h.URLs[0].VirtualHost
		}
		if (h.CertFile == "") != (h.KeyFile == "") {
			b.errorf(c.DefRange, "Incomplete client certificate", "cert_file and key_file must be given together.")
		}
	}
	return ck
}

// httpURL reads one url block (or the check's own attributes).
func (b *builder) httpURL(r *rawURL) HTTPURL {
	u := HTTPURL{Path: "/", Status: []StatusRange{{200, 299}}}
	if s, ok := b.str(r.Path, "path"); ok {
		if !strings.HasPrefix(s, "/") || strings.ContainsAny(s, " \t\r\n") {
			b.errorf(r.Path.Range(), "Invalid path", "path must be an absolute request path such as \"/health\"; %q is not.", s)
		} else {
			u.Path = s
		}
	}
	u.VirtualHost = b.strDefault(r.VirtualHost, "virtualhost", "")
	if st, ok := b.statusCodes(r.StatusCode); ok {
		u.Status = st
	}
	if s, ok := b.str(r.BodyRegex, "body_regex"); ok {
		if _, err := regexp.Compile(s); err != nil {
			b.errorf(r.BodyRegex.Range(), "Invalid body_regex", "body_regex must be a regular expression in Go (RE2) syntax: %v.", err)
		} else {
			u.BodyRegex = s
		}
	}
	if s, ok := b.str(r.Digest, "digest"); ok {
		if _, err := hex.DecodeString(s); err != nil || len(s) != 32 {
			b.errorf(r.Digest.Range(), "Invalid digest", "digest must be the MD5 of the body as 32 hexadecimal digits, as `genhash` prints it; %q is not.", s)
		} else {
			u.Digest = strings.ToLower(s)
		}
	}
	return u
}

var statusRangeRE = regexp.MustCompile(`^\s*([0-9]{3})\s*(?:-\s*([0-9]{3})\s*)?$`)

// statusCodes reads status_code: one code, a "200-299" range, or a list of
// either.
func (b *builder) statusCodes(e hcl.Expression) ([]StatusRange, bool) {
	v, ok := b.value(e)
	if !ok {
		return nil, false
	}
	bad := func(what string) ([]StatusRange, bool) {
		b.errorf(e.Range(), "Invalid status_code", "status_code must list HTTP status codes from 100 to 599, or ranges such as \"200-299\"; %s is not one.", what)
		return nil, false
	}
	var elems []cty.Value
	if v.Type().IsListType() || v.Type().IsTupleType() || v.Type().IsSetType() {
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			elems = append(elems, ev)
		}
		if len(elems) == 0 {
			return bad("an empty list")
		}
	} else {
		elems = []cty.Value{v}
	}
	var out []StatusRange
	for _, ev := range elems {
		if ev.IsNull() || !ev.IsKnown() {
			return bad("null")
		}
		switch ev.Type() {
		case cty.Number:
			bf := ev.AsBigFloat()
			n, acc := bf.Int64()
			if !bf.IsInt() || acc != big.Exact || n < 100 || n > 599 {
				return bad(bf.Text('g', 10))
			}
			out = append(out, StatusRange{int(n), int(n)})
		case cty.String:
			m := statusRangeRE.FindStringSubmatch(ev.AsString())
			if m == nil {
				return bad(strconv.Quote(ev.AsString()))
			}
			lo, _ := strconv.Atoi(m[1])
			hi := lo
			if m[2] != "" {
				hi, _ = strconv.Atoi(m[2])
			}
			if lo < 100 || hi > 599 || lo > hi {
				return bad(strconv.Quote(ev.AsString()))
			}
			out = append(out, StatusRange{lo, hi})
		default:
			return bad("a " + ev.Type().FriendlyName())
		}
	}
	return out, true
}

func (b *builder) tcpCheck(c *rawCheck, vs *VirtualServer) *Check {
	r := &rawTCPCheck{}
	b.diags = append(b.diags, decodeCheck(c, r)...)
	ck := b.checkCommon(c, CheckTCP, vs)
	send, expect := b.strDefault(r.Send, "send", ""), b.strDefault(r.Expect, "expect", "")
	if send != "" || expect != "" {
		ck.TCP = &TCPCheck{Send: send, Expect: expect}
	}
	return ck
}

func (b *builder) miscCheck(c *rawCheck, vs *VirtualServer) *Check {
	r := &rawMiscCheck{}
	b.diags = append(b.diags, decodeCheck(c, r)...)
	ck := b.checkCommon(c, CheckMisc, vs)
	m := &MiscCheck{Timeout: ck.Interval}
	ck.Misc = m
	b.require(r.Path, "path")
	if s, ok := b.str(r.Path, "path"); ok {
		if strings.TrimSpace(s) == "" {
			b.errorf(r.Path.Range(), "Invalid path", "path must be the command line to run, such as \"/usr/local/bin/check_app 172.16.100.7\".")
		}
		m.Path = s
	}
	// Longer than the interval is valid, as keepalived's misc_timeout:
	// the checker never starts a run while the previous one is going.
	if d, ok := b.positiveDuration(r.Timeout, "timeout"); ok {
		m.Timeout = d
	}
	m.Dynamic = b.boolDefault(r.MiscDynamic, "misc_dynamic", false)
	m.User = b.strDefault(r.User, "user", "")
	b.checkUser(r.User, "user", m.User)
	return ck
}

// schedFlags reads ops and the sh/mh scheduler flags. Each is refused
// where IPVS would ignore it, so a config never carries a setting that
// does nothing: ops only schedules UDP datagrams, the sh_* flags only
// mean something to sh and the mh_* flags to mh.
func (b *builder) schedFlags(r *rawVirtualServer, vs *VirtualServer) {
	if on, ok := b.boolean(r.OPS, "ops"); ok && on {
		if vs.Protocol != UDP || vs.FWMark != 0 {
			b.errorf(r.OPS.Range(), "ops needs a UDP service", "ops (one-packet scheduling) applies only to UDP virtual services given by address; this one is %s.", serviceKindName(vs))
		}
		vs.OnePacket = true
	}
	for _, f := range []struct {
		e     hcl.Expression
		name  string
		sched string
		dst   *bool
	}{
		{r.SHFallback, "sh_fallback", "sh", &vs.SchedFallback},
		{r.SHPort, "sh_port", "sh", &vs.SchedPort},
		{r.MHFallback, "mh_fallback", "mh", &vs.SchedFallback},
		{r.MHPort, "mh_port", "mh", &vs.SchedPort},
	} {
		on, ok := b.boolean(f.e, f.name)
		if !ok || !on {
			continue
		}
		if vs.Scheduler != f.sched {
			b.errorf(f.e.Range(), "Flag of another scheduler", "%s is a flag of the %s scheduler; this virtual server uses %q (set lb_algo = %q or remove it).", f.name, f.sched, vs.Scheduler, f.sched)
		}
		*f.dst = true
	}
}

func serviceKindName(vs *VirtualServer) string {
	if vs.FWMark != 0 {
		return "a firewall-mark service"
	}
	return "a " + strings.ToUpper(vs.Protocol.String()) + " service"
}
