package checker

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// dnsZone answers like a small authoritative server: an SOA for the
// root, one A for www.example.com, 60 A records for big.example.com
// (too many for 512 bytes: UDP replies are truncated), a TXT and a
// CNAME; every other name is NXDOMAIN.
func dnsZone(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	qq := q.Question[0]
	rr := func(s string) { r, _ := dns.NewRR(s); m.Answer = append(m.Answer, r) }
	switch {
	case qq.Name == "." && qq.Qtype == dns.TypeSOA:
		rr(". 60 IN SOA ns.example.com. admin.example.com. 1 60 60 60 60")
	case qq.Name == "www.example.com." && qq.Qtype == dns.TypeA:
		rr("www.example.com. 60 IN A 192.0.2.80")
	case qq.Name == "big.example.com." && qq.Qtype == dns.TypeA:
		for i := 1; i <= 60; i++ {
			rr(fmt.Sprintf("big.example.com. 60 IN A 198.51.100.%d", i))
		}
	case qq.Name == "www.example.com." && qq.Qtype == dns.TypeTXT:
		rr(`www.example.com. 60 IN TXT "v=ok"`)
	case qq.Name == "alias.example.com." && qq.Qtype == dns.TypeCNAME:
		rr("alias.example.com. 60 IN CNAME www.example.com.")
	case qq.Name == "www.example.com.":
	default:
		m.Rcode = dns.RcodeNameError
	}
	if _, udp := w.LocalAddr().(*net.UDPAddr); udp {
		m.Truncate(dns.MinMsgSize)
	}
	w.WriteMsg(m)
}

// startDNS serves dnsZone on loopback over UDP and, when tcp is set,
// over TCP on the same port; it returns the address.
func startDNS(t *testing.T, tcp bool) netip.AddrPort {
	t.Helper()
	pc, ln := listenDNS(t, tcp)
	addr := netip.MustParseAddrPort(pc.LocalAddr().String())
	servers := []*dns.Server{{PacketConn: pc, Handler: dns.HandlerFunc(dnsZone)}}
	if ln != nil {
		servers = append(servers, &dns.Server{Listener: ln, Handler: dns.HandlerFunc(dnsZone)})
	}
	for _, s := range servers {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		go s.ActivateAndServe()
		<-started
		t.Cleanup(func() { s.Shutdown() })
	}
	return addr
}

// listenDNS binds a UDP socket and, when tcp is set, a TCP listener on
// the same loopback port. The port the kernel picks for one protocol
// may be held in the other by a client socket of a test running
// alongside (an ephemeral source port of a connect), so a pair that
// collides is given back and another port tried.
func listenDNS(t *testing.T, tcp bool) (net.PacketConn, net.Listener) {
	t.Helper()
	for try := 0; ; try++ {
		if !tcp {
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			return pc, nil
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		pc, err := net.ListenPacket("udp", ln.Addr().String())
		if err == nil {
			return pc, ln
		}
		ln.Close()
		if !errors.Is(err, syscall.EADDRINUSE) || try == 20 {
			t.Fatal(err)
		}
	}
}

func TestDNSCheck(t *testing.T) {
	full := startDNS(t, true)
	udpOnly := startDNS(t, false)
	silent := udpServer(t, func([]byte) []byte { return nil })
	closed := closedUDPPort(t)
	tests := []struct {
		name   string
		target netip.AddrPort
		spec   *DNSSpec
		ok     bool
		reason string
	}{
		{"keepalived default: SOA of the root", full, nil, true, ""},
		{"A with expected address", full, &DNSSpec{Type: "A", Name: "www.example.com", Expect: "192.0.2.80"}, true, ""},
		{"A with another address", full, &DNSSpec{Type: "A", Name: "www.example.com", Expect: "192.0.2.81"}, false, `no A answer "192.0.2.81"`},
		{"NOERROR without answer passes without expect", full, &DNSSpec{Type: "MX", Name: "www.example.com"}, true, ""},
		{"NXDOMAIN", full, &DNSSpec{Type: "A", Name: "nx.example.com"}, false, "DNS NXDOMAIN"},
		{"TXT", full, &DNSSpec{Type: "TXT", Name: "www.example.com", Expect: "v=ok"}, true, ""},
		{"CNAME without final dot", full, &DNSSpec{Type: "CNAME", Name: "alias.example.com", Expect: "WWW.example.com"}, true, ""},
		{"truncated, answer found over TCP", full, &DNSSpec{Type: "A", Name: "big.example.com", Expect: "198.51.100.60"}, true, ""},
		{"truncated, no TCP server", udpOnly, &DNSSpec{Type: "A", Name: "big.example.com", Expect: "198.51.100.60"}, false, "over TCP: connection refused"},
		{"truncated NOERROR passes without expect", udpOnly, &DNSSpec{Type: "A", Name: "big.example.com"}, true, ""},
		{"silent server", silent, nil, false, "timeout after 300ms"},
		{"port unreachable", closed, nil, false, "port unreachable (ICMP)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustCheck(t, Spec{ID: "d", Kind: KindDNS, Target: tt.target, ConnectTimeout: 300 * time.Millisecond, DNS: tt.spec})
			if r.OK != tt.ok || r.Reason != tt.reason {
				t.Errorf("got ok=%v %q, want ok=%v %q", r.OK, r.Reason, tt.ok, tt.reason)
			}
		})
	}
}

func TestAnswerMatches(t *testing.T) {
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	answers := []dns.RR{
		rr("a.example. 60 IN A 192.0.2.1"),
		rr("a.example. 60 IN AAAA 2001:db8::1"),
		rr("a.example. 60 IN MX 10 mx.example."),
		rr(`a.example. 60 IN TXT "hello world"`),
	}
	tests := []struct {
		qtype  uint16
		expect string
		want   bool
	}{
		{dns.TypeA, "192.0.2.1", true},
		{dns.TypeA, " 192.0.2.1 ", true},
		{dns.TypeA, "192.0.2.2", false},
		{dns.TypeA, "2001:db8::1", false}, // the AAAA is not an A answer
		{dns.TypeAAAA, "2001:0db8:0::1", true},
		{dns.TypeMX, "10 MX.example", true},
		{dns.TypeMX, "20 mx.example.", false},
		{dns.TypeTXT, "hello world", true},
		{dns.TypeTXT, `"hello world"`, true},
		{dns.TypeTXT, "hello", false},
		{dns.TypeNS, "", false},
	}
	for _, tt := range tests {
		if got := answerMatches(answers, tt.qtype, tt.expect); got != tt.want {
			t.Errorf("%s %q: %v, want %v", dns.TypeToString[tt.qtype], tt.expect, got, tt.want)
		}
	}
}

// FuzzDNSVerdict: whatever reply arrives (any bytes miekg/dns unpacks),
// judging it never panics and passes only with rcode NOERROR.
func FuzzDNSVerdict(f *testing.F) {
	m := new(dns.Msg)
	m.SetQuestion("www.example.com.", dns.TypeA)
	a, _ := dns.NewRR("www.example.com. 60 IN A 192.0.2.80")
	m.Answer = append(m.Answer, a)
	b, _ := m.Pack()
	f.Add(b, "192.0.2.80")
	f.Add([]byte{0, 1, 0x81, 0x83, 0, 0, 0, 0, 0, 0, 0, 0}, "")
	f.Fuzz(func(t *testing.T, b []byte, expect string) {
		r := new(dns.Msg)
		if r.Unpack(b) != nil {
			return
		}
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeTXT, dns.TypeSOA} {
			if v := dnsVerdict(r, qt, expect); v.OK && r.Rcode != dns.RcodeSuccess {
				t.Fatalf("passed with rcode %d", r.Rcode)
			}
		}
	})
}
