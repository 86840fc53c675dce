package checker

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkTCPCheck measures one tcp_check attempt (connect and close) on
// loopback.
func BenchmarkTCPCheck(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	c, err := New(Spec{Kind: KindTCP, Target: mustAddrPort(ln.Addr().String())})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r := c.Check(ctx); !r.OK {
			b.Fatal(r.Reason)
		}
	}
}

// BenchmarkHTTPCheck measures one http_get attempt with a body regex on
// loopback, a fresh connection each time as in production.
func BenchmarkHTTPCheck(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("OK\n"))
	}))
	defer srv.Close()
	c, err := New(Spec{Kind: KindHTTP, Target: mustAddrPort(srv.Listener.Addr().String()), HTTP: &HTTPSpec{BodyRegex: "^OK"}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r := c.Check(ctx); !r.OK {
			b.Fatal(r.Reason)
		}
	}
}
