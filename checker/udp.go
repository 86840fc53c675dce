package checker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"
)

// udpFiller is sent when a udp_check has no payload: like keepalived, a
// fixed text (keepalived sends 32 bytes of its own name), never stack or
// heap contents.
var udpFiller = []byte(strings.Repeat("lbhad check - ", 3)[:32])

type udpChecker struct {
	addr    string
	dialer  *net.Dialer
	timeout time.Duration
	spec    UDPSpec
}

func newUDP(s Spec) (*udpChecker, error) {
	c := &udpChecker{addr: s.dialAddr().String(), dialer: &net.Dialer{}, timeout: s.ConnectTimeout}
	if s.UDP != nil {
		c.spec = *s.UDP
	}
	if len(c.spec.Payload) == 0 {
		c.spec.Payload = udpFiller
	}
	if c.spec.MaxReplyLen == 0 {
		c.spec.MaxReplyLen = 255
	}
	if c.spec.ReplyMask != nil && len(c.spec.ReplyMask) != len(c.spec.Reply) {
		return nil, fmt.Errorf("reply mask of %d bytes for a reply of %d", len(c.spec.ReplyMask), len(c.spec.Reply))
	}
	if s.BindTo.IsValid() {
		c.dialer.LocalAddr = &net.UDPAddr{IP: s.BindTo.AsSlice(), Zone: s.BindTo.Zone()}
	}
	return c, nil
}

func (c *udpChecker) Check(ctx context.Context) Result { return timed(ctx, c.timeout, c.check) }

// check sends the payload on a connected socket, so that the ICMP port
// unreachable the kernel receives comes back as ECONNREFUSED on the
// read: that is keepalived's failure without require_reply, where
// silence until the timeout passes.
func (c *udpChecker) check(ctx context.Context) Result {
	conn, err := c.dialer.DialContext(ctx, "udp", c.addr)
	if err != nil {
		return Result{Reason: reason(err, c.timeout)}
	}
	defer conn.Close()
	defer bindDeadline(ctx, conn)()
	if _, err := conn.Write(c.spec.Payload); err != nil {
		return Result{Reason: "send: " + udpReason(ctx, err, c.timeout)}
	}
	buf := make([]byte, c.spec.MaxReplyLen+1)
	n, err := conn.Read(buf)
	var ne net.Error
	switch {
	case err == nil:
	case errors.Is(ctx.Err(), context.Canceled):
		return Result{Reason: "cancelled"}
	case errors.As(err, &ne) && ne.Timeout() && !c.spec.RequireReply:
		return Result{OK: true} // silence is success without require_reply
	case errors.As(err, &ne) && ne.Timeout():
		return Result{Reason: "no reply within " + c.timeout.String()}
	default:
		return Result{Reason: udpReason(ctx, err, c.timeout)}
	}
	if why := udpReplyMismatch(buf[:n], c.spec); why != "" {
		return Result{Reason: why}
	}
	return Result{OK: true}
}

func udpReason(ctx context.Context, err error, timeout time.Duration) string {
	if errors.Is(ctx.Err(), context.Canceled) {
		return "cancelled"
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return "port unreachable (ICMP)"
	}
	return reason(err, timeout)
}

// udpReplyMismatch says why a reply fails s, or "" when it passes. As in
// keepalived, only a check with expected reply bytes judges the reply:
// its length must lie within MinReplyLen..MaxReplyLen and its first
// bytes (as many as both have) must equal Reply, bits set in ReplyMask
// excepted.
func udpReplyMismatch(got []byte, s UDPSpec) string {
	if s.Reply == nil {
		return ""
	}
	maxLen := s.MaxReplyLen
	if maxLen == 0 {
		maxLen = 255
	}
	if len(got) < s.MinReplyLen || len(got) > maxLen {
		return fmt.Sprintf("reply of %d bytes, want %d to %d", len(got), s.MinReplyLen, maxLen)
	}
	for i := 0; i < len(got) && i < len(s.Reply); i++ {
		var mask byte
		if i < len(s.ReplyMask) {
			mask = s.ReplyMask[i]
		}
		if (got[i]^s.Reply[i])&^mask != 0 {
			return fmt.Sprintf("reply did not match at byte %d", i)
		}
	}
	return ""
}
