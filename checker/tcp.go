package checker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
	"time"
)

// maxReply bounds how much of a tcp_check reply is searched for Expect.
const maxReply = 64 << 10

type tcpChecker struct {
	timeout time.Duration
	to      netip.AddrPort
	bind    netip.Addr
	io      *tcpIO // what to send and expect; nil for a bare connect
	// The net.Dialer path's own state, made at its first attempt: a bare
	// connect on the engine's connect loop never needs it (at 10,000
	// checks it was 2.7 MB of the daemon's heap), and a bare check is
	// 80 bytes without it.
	dial atomic.Pointer[tcpDial]
}

type tcpIO struct{ send, expect []byte }

type tcpDial struct {
	addr   string
	dialer net.Dialer
}

func newTCP(s Spec) (*tcpChecker, error) {
	c := &tcpChecker{timeout: s.ConnectTimeout, to: s.dialAddr(), bind: s.BindTo}
	if s.TCP != nil && (s.TCP.Send != "" || s.TCP.Expect != "") {
		c.io = &tcpIO{send: []byte(s.TCP.Send), expect: []byte(s.TCP.Expect)}
	}
	return c, nil
}

// dialer returns the net.Dialer path's state, made at the first call.
// Attempts of one check never overlap, so it is made once; were two to
// race, one copy would be dropped.
func (c *tcpChecker) dialer() *tcpDial {
	if d := c.dial.Load(); d != nil {
		return d
	}
	d := &tcpDial{addr: c.to.String(), dialer: net.Dialer{Timeout: c.timeout, KeepAlive: -1}}
	if c.bind.IsValid() {
		d.dialer.LocalAddr = &net.TCPAddr{IP: c.bind.AsSlice(), Zone: c.bind.Zone()}
	}
	if c.dial.CompareAndSwap(nil, d) {
		return d
	}
	return c.dial.Load()
}

func (c *tcpChecker) Check(ctx context.Context) Result { return timed(ctx, c.timeout, c.check) }

// plain reports whether an attempt is a bare connect that the engine's
// connector can run: nothing to send or expect, and no zone (a scoped
// IPv6 address), which net.Dialer resolves and the connector does not.
func (c *tcpChecker) plain() bool {
	return c.io == nil && c.timeout > 0 &&
		c.to.Addr().Zone() == "" && c.bind.Zone() == ""
}

func (c *tcpChecker) check(ctx context.Context) Result {
	d := c.dialer()
	conn, err := d.dialer.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return Result{Reason: reason(err, c.timeout)}
	}
	defer conn.Close()
	if c.io == nil {
		return Result{OK: true}
	}
	defer bindDeadline(ctx, conn)()
	if len(c.io.send) > 0 {
		if _, err := conn.Write(c.io.send); err != nil {
			return Result{Reason: "send: " + c.ioReason(ctx, err)}
		}
	}
	if len(c.io.expect) == 0 {
		return Result{OK: true}
	}
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			if cap(buf) >= maxReply {
				return Result{Reason: "reply did not match"}
			}
			buf = append(buf, make([]byte, min(cap(buf), maxReply-cap(buf)))...)[:len(buf)]
		}
		n, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if bytes.Contains(buf, c.io.expect) {
			return Result{OK: true}
		}
		if errors.Is(err, io.EOF) {
			return Result{Reason: "reply did not match"}
		}
		if err != nil {
			return Result{Reason: "waiting for reply: " + c.ioReason(ctx, err)}
		}
	}
}

// ioReason reports a deadline forced by cancellation as such, not as a
// timeout.
func (c *tcpChecker) ioReason(ctx context.Context, err error) string {
	if errors.Is(ctx.Err(), context.Canceled) {
		return "cancelled"
	}
	return reason(err, c.timeout)
}

// timed runs one attempt under the check's timeout and records how long
// it took, for every kind of network check.
func timed(ctx context.Context, timeout time.Duration, attempt func(context.Context) Result) Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Latency is measured on the wall clock, not the engine's Clock: it
	// times real I/O, which a fake clock would not see pass.
	start := time.Now()
	r := attempt(ctx)
	r.Latency = time.Since(start)
	return r
}

// bindDeadline ties conn's I/O to ctx: the context's deadline covers the
// whole exchange, and cancelling it interrupts blocked I/O too. The
// caller defers the returned stop.
func bindDeadline(ctx context.Context, conn interface{ SetDeadline(time.Time) error }) (stop func() bool) {
	dl, _ := ctx.Deadline()
	conn.SetDeadline(dl)
	return context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
}
