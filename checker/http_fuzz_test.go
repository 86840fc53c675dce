package checker

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"testing"
	"time"
)

// FuzzHTTPReply plays an arbitrary byte stream as a real server's answer
// to http_get (net/http's response parser, status ranges, the body cap
// and regex). The check must end within its timeout and never panic,
// and it may pass only for an answer that an independent parse of the
// same bytes reads as a 2xx whose body matches.
func FuzzHTTPReply(f *testing.F) {
	for _, seed := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nalive\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nalive\r\n0\r\n\r\n",
		"HTTP/1.0 204 No Content\r\n\r\n",
		"HTTP/1.1 503 Busy\r\nContent-Length: 5\r\n\r\nalive",
		"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
		"HTTP/1.1 200\r\n\r\nalive",
		"garbage\r\n\r\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ln.Close() })
	target := netip.MustParseAddrPort(ln.Addr().String())
	const timeout = 2 * time.Second
	c, err := New(Spec{Kind: KindHTTP, Target: target, ConnectTimeout: timeout, HTTP: &HTTPSpec{BodyRegex: "alive"}})
	if err != nil {
		f.Fatal(err)
	}
	re := regexp.MustCompile("alive")
	f.Fuzz(func(t *testing.T, reply []byte) {
		go func() {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(2 * timeout))
			// Answer after the request, as a server does (an answer
			// before it is an "unsolicited response" to net/http).
			if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil {
				return
			}
			_, _ = conn.Write(reply)
			_ = conn.(*net.TCPConn).CloseWrite()
			time.Sleep(10 * time.Millisecond) // let the client read before the reset
		}()
		start := time.Now()
		res := c.Check(context.Background())
		if d := time.Since(start); d > timeout+time.Second {
			t.Fatalf("check took %v, timeout %v", d, timeout)
		}
		if !res.OK {
			return
		}
		req, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(reply)), req)
		if err != nil {
			t.Fatalf("check passed an answer that does not parse: %v", err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
		if resp.StatusCode < 200 || resp.StatusCode > 299 || !re.Match(body) {
			t.Fatalf("check passed status %d body %q", resp.StatusCode, body)
		}
	})
}
