package checker

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// IANA protocol numbers icmp.ParseMessage takes.
const (
	protoICMP   = 1
	protoICMPv6 = 58
)

// pingSeq numbers echo requests across all ping checks, as keepalived's
// one counter does.
var pingSeq atomic.Uint32

type pingChecker struct {
	dst     netip.Addr
	bind    netip.Addr
	timeout time.Duration
	open    func(dst, bind netip.Addr) (*pingConn, error) // openPing; tests force a socket kind
}

func newPing(s Spec) (*pingChecker, error) {
	dst := s.dialAddr().Addr().Unmap()
	if s.BindTo.IsValid() && s.BindTo.Unmap().Is4() != dst.Is4() {
		return nil, errors.New("bindto and the address to ping are of different families")
	}
	return &pingChecker{dst: dst, bind: s.BindTo.Unmap(), timeout: s.ConnectTimeout, open: openPing}, nil
}

func (c *pingChecker) Check(ctx context.Context) Result { return timed(ctx, c.timeout, c.check) }

// check sends one echo request and waits for its reply until the
// timeout, as keepalived's PING_CHECK does: no reply is a failure.
// Replies are recognised by sequence number and a random token in the
// data, never by the identifier, which the kernel rewrites on
// unprivileged ping sockets.
func (c *pingChecker) check(ctx context.Context) Result {
	conn, err := c.open(c.dst, c.bind)
	if err != nil {
		return Result{Reason: err.Error()}
	}
	defer conn.Close()
	defer bindDeadline(ctx, conn)()

	token := make([]byte, 16)
	rand.Read(token)
	seq := int(pingSeq.Add(1) & 0xffff)
	req, err := echoRequest(c.dst.Is6(), seq, token)
	if err != nil {
		return Result{Reason: err.Error()}
	}
	if err := conn.send(req); err != nil {
		return Result{Reason: "send: " + udpReason(ctx, err, c.timeout)}
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.recv(buf)
		if err != nil {
			if errors.Is(ctx.Err(), context.Canceled) {
				return Result{Reason: "cancelled"}
			}
			if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
				return Result{Reason: "no echo reply within " + c.timeout.String()}
			}
			return Result{Reason: reason(err, c.timeout)}
		}
		if from.WithZone("") == c.dst.WithZone("") && isEchoReply(buf[:n], c.dst.Is6(), seq, token) {
			return Result{OK: true}
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// echoRequest builds an ICMP (v4 or v6) echo request carrying token.
// The identifier is 0: raw sockets keep it, ping sockets replace it.
func echoRequest(v6 bool, seq int, token []byte) ([]byte, error) {
	var typ icmp.Type = ipv4.ICMPTypeEcho
	if v6 {
		typ = ipv6.ICMPTypeEchoRequest
	}
	m := icmp.Message{Type: typ, Body: &icmp.Echo{Seq: seq, Data: token}}
	// The ICMPv6 checksum needs the addresses: the kernel fills it in.
	return m.Marshal(nil)
}

// isEchoReply reports whether b, an ICMP message as a socket returns it
// (no IP header), is the echo reply to the request with seq and token.
func isEchoReply(b []byte, v6 bool, seq int, token []byte) bool {
	proto, want := protoICMP, icmp.Type(ipv4.ICMPTypeEchoReply)
	if v6 {
		proto, want = protoICMPv6, ipv6.ICMPTypeEchoReply
	}
	m, err := icmp.ParseMessage(proto, b)
	if err != nil || m.Type != want {
		return false
	}
	e, ok := m.Body.(*icmp.Echo)
	return ok && e.Seq == seq && bytes.Equal(e.Data, token)
}
