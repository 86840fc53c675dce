package checker

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hostPort returns the listener address of an httptest server.
func hostPort(t *testing.T, url string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(strings.TrimPrefix(strings.TrimPrefix(url, "http://"), "https://"))
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func mustCheck(t *testing.T, s Spec) Result {
	t.Helper()
	c, err := New(s)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c.Check(context.Background())
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestHTTPGet(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	var (
		mu   sync.Mutex
		seen []string // "host path" of every request
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Host+" "+r.URL.Path)
		mu.Unlock()
		w.WriteHeader(int(status.Load()))
		w.Write([]byte("service is healthy\n"))
	}))
	defer srv.Close()
	target := hostPort(t, srv.URL)

	tests := []struct {
		name   string
		status int
		http   HTTPSpec
		want   Result
	}{
		{name: "200 default range", status: 200, want: Result{OK: true}},
		{name: "204 default range", status: 204, want: Result{OK: true}},
		{name: "503", status: 503, want: Result{Reason: "HTTP 503"}},
		{name: "redirect not followed", status: 302, want: Result{Reason: "HTTP 302"}},
		{name: "redirect accepted by range", status: 302, http: HTTPSpec{Status: []StatusRange{{200, 200}, {301, 302}}}, want: Result{OK: true}},
		{name: "404 outside ranges", status: 404, http: HTTPSpec{Status: []StatusRange{{200, 200}, {301, 302}}}, want: Result{Reason: "HTTP 404"}},
		{name: "body matches", status: 200, http: HTTPSpec{BodyRegex: `is health[y]`}, want: Result{OK: true}},
		{name: "wrong body", status: 200, http: HTTPSpec{BodyRegex: `^OK$`}, want: Result{Reason: "body did not match"}},
		{name: "digest", status: 200, http: HTTPSpec{Digest: md5hex("service is healthy\n")}, want: Result{OK: true}},
		{name: "digest upper case", status: 200, http: HTTPSpec{Digest: strings.ToUpper(md5hex("service is healthy\n"))}, want: Result{OK: true}},
		{name: "wrong digest", status: 200, http: HTTPSpec{Digest: md5hex("other")}, want: Result{Reason: "digest mismatch (got " + md5hex("service is healthy\n") + ")"}},
		{name: "status checked before body", status: 500, http: HTTPSpec{BodyRegex: "healthy"}, want: Result{Reason: "HTTP 500"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status.Store(int32(tt.status))
			h := tt.http
			got := mustCheck(t, Spec{Kind: KindHTTP, Target: target, ConnectTimeout: 5 * time.Second, HTTP: &h})
			if got.OK != tt.want.OK || got.Reason != tt.want.Reason {
				t.Errorf("got %+v, want OK=%v reason %q", got, tt.want.OK, tt.want.Reason)
			}
			if got.Latency <= 0 {
				t.Errorf("latency %v not measured", got.Latency)
			}
		})
	}

	status.Store(200)
	mu.Lock()
	seen = nil
	mu.Unlock()
	mustCheck(t, Spec{Kind: KindHTTP, Target: target, HTTP: &HTTPSpec{Path: "health", VirtualHost: "www.example.com"}})
	mustCheck(t, Spec{Kind: KindHTTP, Target: target})
	mu.Lock()
	want := []string{"www.example.com /health", target.String() + " /"}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("requests %q, want %q", seen, want)
	}
	mu.Unlock()
}

func TestHTTPFreshConnectionPerCheck(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := New(Spec{Kind: KindHTTP, Target: hostPort(t, srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if r := c.Check(context.Background()); !r.OK {
			t.Fatal(r.Reason)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("3 checks used %d connections, want 3", n)
	}
}

func TestHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	got := mustCheck(t, Spec{Kind: KindHTTP, Target: hostPort(t, srv.URL), ConnectTimeout: 200 * time.Millisecond})
	if got.OK || got.Reason != "timeout after 200ms" {
		t.Errorf("got %+v, want timeout after 200ms", got)
	}
}

func TestHTTPCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	c, err := New(Spec{Kind: KindHTTP, Target: hostPort(t, srv.URL), ConnectTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if got := c.Check(ctx); got.OK || got.Reason != "cancelled" {
		t.Errorf("got %+v, want cancelled", got)
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	target := hostPort(t, srv.URL)
	srv.Close()
	if got := mustCheck(t, Spec{Kind: KindHTTP, Target: target}); got.OK || got.Reason != "connection refused" {
		t.Errorf("got %+v, want connection refused", got)
	}
}

func TestHTTPConnectOverridesAndBindTo(t *testing.T) {
	var remote atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { remote.Store(r.RemoteAddr) }))
	defer srv.Close()
	real := hostPort(t, srv.URL)
	got := mustCheck(t, Spec{
		Kind:        KindHTTP,
		Target:      mustAddrPort("192.0.2.1:9"), // never dialled
		ConnectIP:   real.Addr(),
		ConnectPort: real.Port(),
		BindTo:      netip.MustParseAddr("127.0.0.2"),
	})
	if !got.OK {
		t.Fatalf("got %+v", got)
	}
	if ra, _ := remote.Load().(string); !strings.HasPrefix(ra, "127.0.0.2:") {
		t.Errorf("server saw the check from %q, want 127.0.0.2", ra)
	}
}

func TestHTTPBodyCap(t *testing.T) {
	big := strings.Repeat("x", MaxBody) + "TAIL"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("HEAD" + big))
	}))
	defer srv.Close()
	target := hostPort(t, srv.URL)
	tests := []struct {
		name string
		http HTTPSpec
		want string
	}{
		{"regex within the cap", HTTPSpec{BodyRegex: "^HEAD"}, ""},
		{"regex beyond the cap", HTTPSpec{BodyRegex: "TAIL"}, "body did not match"},
		{"digest of an oversized body", HTTPSpec{Digest: md5hex("HEAD" + big)}, "body larger than 1 MiB"},
		{"no body check", HTTPSpec{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.http
			got := mustCheck(t, Spec{Kind: KindHTTP, Target: target, HTTP: &h})
			if got.OK != (tt.want == "") || got.Reason != tt.want {
				t.Errorf("got %+v, want reason %q", got, tt.want)
			}
		})
	}
}

func TestHTTPSpecErrors(t *testing.T) {
	for _, h := range []HTTPSpec{
		{BodyRegex: "("},
		{Digest: "xyz"},
		{Digest: "abcd"},
	} {
		if _, err := New(Spec{Kind: KindHTTP, Target: mustAddrPort("127.0.0.1:1"), HTTP: &h}); err == nil {
			t.Errorf("New accepted %+v", h)
		}
	}
	for _, s := range []Spec{
		{Kind: KindHTTP},
		{Kind: KindTCP, Target: mustAddrPort("192.0.2.1:0")},
		{Kind: KindSSL, ConnectPort: 443},
	} {
		if _, err := New(s); err == nil {
			t.Errorf("New accepted %+v without address", s)
		}
	}
	if _, err := New(Spec{Kind: KindTCP, Target: mustAddrPort("192.0.2.1:0"), ConnectPort: 80}); err != nil {
		t.Errorf("connect_port did not complete a port-0 target: %v", err)
	}
	for _, h := range []HTTPSpec{
		{CAFile: "/nonexistent/ca.pem"},
		{CAFile: writeFile(t, "empty.pem", "not pem")},
		{CertFile: "/nonexistent/c.pem", KeyFile: "/nonexistent/k.pem"},
	} {
		if _, err := New(Spec{Kind: KindSSL, Target: mustAddrPort("127.0.0.1:1"), HTTP: &h}); err == nil {
			t.Errorf("New accepted %+v", h)
		}
	}
}

// quietLog drops the handshake errors the TLS tests provoke on purpose.
var quietLog = log.New(io.Discard, "", 0)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func certPEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestSSLGet(t *testing.T) {
	var sni atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("secure ok"))
	}))
	srv.TLS = &tls.Config{GetConfigForClient: func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
		sni.Store(chi.ServerName)
		return nil, nil
	}}
	srv.Config.ErrorLog = quietLog
	srv.StartTLS()
	defer srv.Close()
	target := hostPort(t, srv.URL)
	// httptest's certificate is valid for 127.0.0.1 and example.com.
	ca := writeFile(t, "ca.pem", certPEM(srv.Certificate().Raw))

	tests := []struct {
		name    string
		http    HTTPSpec
		want    string // reason; "" means OK
		wantSNI string
	}{
		{name: "test CA, verified by IP", http: HTTPSpec{CAFile: ca, BodyRegex: "secure"}},
		{name: "SNI from server_name", http: HTTPSpec{CAFile: ca, ServerName: "example.com"}, wantSNI: "example.com"},
		{name: "SNI from virtualhost", http: HTTPSpec{CAFile: ca, VirtualHost: "example.com:443"}, wantSNI: "example.com"},
		{name: "wrong name", http: HTTPSpec{CAFile: ca, ServerName: "wrong.test"}, want: "TLS: certificate is not valid for wrong.test", wantSNI: "wrong.test"},
		{name: "unknown CA", http: HTTPSpec{}, want: "TLS: certificate signed by unknown authority"},
		{name: "insecure", http: HTTPSpec{Insecure: true, ServerName: "wrong.test", Digest: md5hex("secure ok")}, wantSNI: "wrong.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sni.Store("")
			h := tt.http
			got := mustCheck(t, Spec{Kind: KindSSL, Target: target, HTTP: &h})
			if got.OK != (tt.want == "") || got.Reason != tt.want {
				t.Errorf("got %+v, want reason %q", got, tt.want)
			}
			if s := sni.Load().(string); s != tt.wantSNI {
				t.Errorf("server saw SNI %q, want %q", s, tt.wantSNI)
			}
		})
	}

	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	if got := mustCheck(t, Spec{Kind: KindSSL, Target: hostPort(t, plain.URL), HTTP: &HTTPSpec{Insecure: true}}); got.OK || got.Reason != "TLS: server answered in plain HTTP" {
		t.Errorf("ssl_get against plain HTTP: %+v", got)
	}
}

func TestSSLGetClientCertificate(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "lbhad-checker"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile := writeFile(t, "client.pem", certPEM(der))
	keyFile := writeFile(t, "client.key", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))

	var client atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client.Store(r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.Config.ErrorLog = quietLog
	srv.StartTLS()
	defer srv.Close()
	target := hostPort(t, srv.URL)

	got := mustCheck(t, Spec{Kind: KindSSL, Target: target, HTTP: &HTTPSpec{Insecure: true, CertFile: certFile, KeyFile: keyFile}})
	if !got.OK {
		t.Fatalf("with client certificate: %+v", got)
	}
	if cn, _ := client.Load().(string); cn != "lbhad-checker" {
		t.Errorf("server saw client %q", cn)
	}
	if got := mustCheck(t, Spec{Kind: KindSSL, Target: target, HTTP: &HTTPSpec{Insecure: true}}); got.OK || got.Reason != "TLS: server sent alert: certificate required" {
		t.Errorf("without client certificate: %+v", got)
	}
}
