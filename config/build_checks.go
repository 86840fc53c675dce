package config

import (
	"math"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// The check kinds keepalived has beyond HTTP, TCP and MISC, with its
// semantics (docs/notes/keepalived-checkers.md).

// DNSTypes are the query types dns_check accepts: keepalived's list.
var DNSTypes = []string{"A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY"}

// Defaults keepalived gives the checks below.
const (
	defaultDNSRetry     = 3
	defaultSMTPHelo     = "smtpchecker.keepalived.org"
	defaultUDPMaxReply  = 255
	maxFileCheckWeight  = 65535
	defaultFileInterval = 1e9 // 1s: keepalived reacts to the file at once (inotify)
)

func (b *builder) dnsCheck(c *rawCheck, vs *VirtualServer) *Check {
	r := &rawDNSCheck{}
	b.add(decodeCheck(c, r))
	ck := b.checkCommon(c, CheckDNS, vs)
	// keepalived retries a DNS check 3 times, waiting delay_loop.
	if !present(c.Retry) {
		ck.Retry = defaultDNSRetry
	}
	if !present(c.DelayBeforeRetry) {
		ck.DelayBeforeRetry = ck.Interval
	}
	d := &DNSCheck{Type: "SOA", Name: "."}
	ck.DNS = d
	if s, ok := b.str(r.Type, "type"); ok {
		t := strings.ToUpper(strings.TrimSpace(s))
		if !slices.Contains(DNSTypes, t) {
			b.errorf(r.Type.Range(), "Unknown DNS type", "type must be one of %s; %q is not.", strings.Join(DNSTypes, ", "), s)
		} else {
			d.Type = t
		}
	}
	if s, ok := b.str(r.Name, "name"); ok {
		if !validDNSName(s) {
			b.errorf(r.Name.Range(), "Invalid DNS name", "name must be a domain name without empty labels, such as \"example.com\"; %q is not.", s)
		} else {
			d.Name = fqdn(s)
		}
	}
	d.Expect = b.strDefault(r.Expect, "expect", "")
	return ck
}

// validDNSName applies keepalived's rule (no empty label; "." is the
// root) and the wire limits of 63 bytes a label, 253 a name.
func validDNSName(s string) bool {
	if s == "." || s == "" {
		return true
	}
	s = strings.TrimSuffix(s, ".")
	if len(s) > 253 {
		return false
	}
	for l := range strings.SplitSeq(s, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
	}
	return true
}

func fqdn(s string) string {
	if strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

func (b *builder) udpCheck(c *rawCheck, vs *VirtualServer) *Check {
	r := &rawUDPCheck{}
	b.add(decodeCheck(c, r))
	ck := b.checkCommon(c, CheckUDP, vs)
	u := &UDPCheck{MaxReplyLen: defaultUDPMaxReply}
	ck.UDP = u
	if s, ok := b.str(r.Payload, "payload"); ok {
		p, _, err := parseHex(s, false)
		if err != nil {
			b.errorf(r.Payload.Range(), "Invalid payload", "payload must be bytes in hex, such as \"0a1b 2c\"; %q is not.", s)
		}
		u.Payload = p
	}
	if v, ok := b.value(r.RequireReply); ok {
		switch {
		case v.Type() == cty.Bool && !v.IsNull():
			u.RequireReply = v.True()
		case v.Type() == cty.String && !v.IsNull():
			data, mask, err := parseHex(v.AsString(), true)
			if err != nil {
				b.errorf(r.RequireReply.Range(), "Invalid require_reply", "require_reply is true, or the reply's first bytes in hex with x for any half byte, such as \"0a xx 2c\"; %q is neither.", v.AsString())
			}
			u.RequireReply, u.Reply, u.ReplyMask = true, data, mask
		default:
			b.typeErr(r.RequireReply, "require_reply", "a bool or a hex string")
		}
	}
	if n, ok := b.integer(r.MinReplyLength, "min_reply_length", 0, math.MaxUint16); ok {
		u.MinReplyLen = int(n)
	}
	if n, ok := b.integer(r.MaxReplyLength, "max_reply_length", 0, math.MaxUint16); ok {
		u.MaxReplyLen = int(n)
	}
	if u.MinReplyLen > u.MaxReplyLen {
		b.errorf(c.DefRange, "Invalid reply lengths", "min_reply_length (%d) is greater than max_reply_length (%d): every reply would fail.", u.MinReplyLen, u.MaxReplyLen)
	}
	return ck
}

func (b *builder) pingCheck(c *rawCheck, vs *VirtualServer) *Check {
	b.add(decodeCheck(c, &rawPingCheck{}))
	ck := b.checkCommon(c, CheckPing, vs)
	if present(c.ConnectPort) {
		b.errorf(c.ConnectPort.Range(), "connect_port in ping_check", "An ICMP echo has no port; remove connect_port.")
	}
	return ck
}

func (b *builder) smtpCheck(c *rawCheck, vs *VirtualServer) *Check {
	r := &rawSMTPCheck{}
	b.add(decodeCheck(c, r))
	ck := b.checkCommon(c, CheckSMTP, vs)
	s := &SMTPCheck{HeloName: defaultSMTPHelo}
	ck.SMTP = s
	if v, ok := b.str(r.HeloName, "helo_name"); ok {
		if v == "" || strings.ContainsAny(v, " \t\r\n") {
			b.errorf(r.HeloName.Range(), "Invalid helo_name", "helo_name must be one word, the name the check greets the server with; %q is not.", v)
		} else {
			s.HeloName = v
		}
	}
	s.EHLO = b.boolDefault(r.EHLO, "ehlo", false)
	return ck
}

func (b *builder) fileCheck(c *rawCheck, vs *VirtualServer, cfg *Config) *Check {
	r := &rawFileCheck{}
	b.add(decodeCheck(c, r))
	ck := b.checkCommon(c, CheckFile, vs)
	if !present(c.DelayLoop) {
		ck.Interval = defaultFileInterval
	}
	for _, e := range []hcl.Expression{c.ConnectIP, c.ConnectPort, c.BindTo} {
		if present(e) {
			b.errorf(e.Range(), "Network setting in file_check", "file_check reads a file; it connects nowhere.")
		}
	}
	f := &FileCheck{}
	ck.File = f
	b.require(r.TrackFile, "track_file")
	if name, ok := b.str(r.TrackFile, "track_file"); ok {
		var tf *TrackFile
		for _, t := range cfg.TrackFiles {
			if t.Name == name {
				tf = t
			}
		}
		if tf == nil {
			b.errorf(r.TrackFile.Range(), "Unknown track_file", "No top-level track_file named %q is defined; track_file must name one of: %s.", name, nameList(trackFileNames(cfg)))
		} else {
			// Without its own weight, a FILE_CHECK takes the
			// track_file's weight and reverse, as in keepalived.
			f.TrackFile, f.File, f.Weight, f.Reverse = tf.Name, tf.File, tf.Weight, tf.Reverse
		}
	}
	if n, ok := b.integer(r.Weight, "weight", -maxFileCheckWeight, maxFileCheckWeight); ok {
		f.Weight, f.Reverse = int(n), false
	}
	if v, ok := b.boolean(r.Reverse, "reverse"); ok {
		f.Reverse = v
	}
	return ck
}
