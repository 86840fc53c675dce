package checker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkTCPCheck measures one tcp_check attempt (connect and close) on
// loopback.
func BenchmarkTCPCheck(b *testing.B) {
	c, err := New(Spec{Kind: KindTCP, Target: acceptingListener(b)})
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
