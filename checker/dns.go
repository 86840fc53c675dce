package checker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

type dnsChecker struct {
	addr    string
	timeout time.Duration
	qtype   uint16
	name    string
	expect  string
	bind    netip.Addr
}

func newDNS(s Spec) (*dnsChecker, error) {
	c := &dnsChecker{addr: s.dialAddr().String(), timeout: s.ConnectTimeout, qtype: dns.TypeSOA, name: ".", bind: s.BindTo}
	if d := s.DNS; d != nil {
		if d.Type != "" {
			t, ok := dns.StringToType[strings.ToUpper(d.Type)]
			if !ok {
				return nil, fmt.Errorf("unknown DNS type %q", d.Type)
			}
			c.qtype = t
		}
		if d.Name != "" {
			c.name = dns.Fqdn(d.Name)
		}
		if _, ok := dns.IsDomainName(c.name); !ok {
			return nil, fmt.Errorf("invalid DNS name %q", d.Name)
		}
		c.expect = d.Expect
	}
	return c, nil
}

func (c *dnsChecker) Check(ctx context.Context) Result { return timed(ctx, c.timeout, c.check) }

// check sends keepalived's query (recursion desired, class IN) over UDP
// and passes on a NOERROR reply. With an expected answer, a truncated
// reply is asked again over TCP, since the answer may be in the part
// left out; without one, NOERROR is enough, as in keepalived.
func (c *dnsChecker) check(ctx context.Context) Result {
	q := new(dns.Msg)
	q.SetQuestion(c.name, c.qtype)
	reply, err := c.exchange(ctx, "udp", q)
	if err != nil {
		return Result{Reason: udpReason(ctx, err, c.timeout)}
	}
	if reply.Truncated && c.expect != "" {
		if reply, err = c.exchange(ctx, "tcp", q); err != nil {
			if errors.Is(ctx.Err(), context.Canceled) {
				return Result{Reason: "cancelled"}
			}
			return Result{Reason: "over TCP: " + reason(err, c.timeout)}
		}
	}
	return dnsVerdict(reply, c.qtype, c.expect)
}

func (c *dnsChecker) exchange(ctx context.Context, network string, q *dns.Msg) (*dns.Msg, error) {
	d := &net.Dialer{}
	if c.bind.IsValid() {
		if network == "tcp" {
			d.LocalAddr = &net.TCPAddr{IP: c.bind.AsSlice(), Zone: c.bind.Zone()}
		} else {
			d.LocalAddr = &net.UDPAddr{IP: c.bind.AsSlice(), Zone: c.bind.Zone()}
		}
	}
	cl := &dns.Client{Net: network, Dialer: d, Timeout: c.timeout}
	r, _, err := cl.ExchangeContext(ctx, q, c.addr)
	return r, err
}

// dnsVerdict judges a reply: its rcode must be NOERROR and, when expect
// is set, some answer of the asked type must carry it.
func dnsVerdict(r *dns.Msg, qtype uint16, expect string) Result {
	if r.Rcode != dns.RcodeSuccess {
		return Result{Reason: "DNS " + dns.RcodeToString[r.Rcode]}
	}
	if expect == "" || answerMatches(r.Answer, qtype, expect) {
		return Result{OK: true}
	}
	return Result{Reason: fmt.Sprintf("no %s answer %q", dns.TypeToString[qtype], expect)}
}

// answerMatches reports whether an answer of type qtype has the data
// expect, written as in a zone file: addresses compare as addresses
// ("2001:db8::1" matches however the reply spells it), other data as
// text without case and without the final dot of names.
func answerMatches(rrs []dns.RR, qtype uint16, expect string) bool {
	want := strings.TrimSpace(expect)
	wantIP, ipErr := netip.ParseAddr(want)
	for _, rr := range rrs {
		if rr == nil || rr.Header().Rrtype != qtype {
			continue
		}
		switch v := rr.(type) {
		case *dns.A:
			if ip, ok := netip.AddrFromSlice(v.A); ipErr == nil && ok && ip.Unmap() == wantIP.Unmap() {
				return true
			}
			continue
		case *dns.AAAA:
			if ip, ok := netip.AddrFromSlice(v.AAAA); ipErr == nil && ok && ip == wantIP {
				return true
			}
			continue
		}
		data := strings.TrimSpace(strings.TrimPrefix(rr.String(), rr.Header().String()))
		if normalizeRdata(data) == normalizeRdata(want) {
			return true
		}
	}
	return false
}

// normalizeRdata folds the spelling differences that do not change the
// data: blanks, case, a name's final dot, the quotes of one TXT string.
func normalizeRdata(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' && !strings.Contains(s[1:len(s)-1], "\"") {
		s = s[1 : len(s)-1]
	}
	return strings.ToLower(strings.TrimSuffix(s, "."))
}
