package checker

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MaxBody is how much of a reply body http_get reads: enough for any
// status page, bounded so a misbehaving server cannot exhaust memory.
const MaxBody = 1 << 20

type httpChecker struct {
	urls    []urlCheck
	client  *http.Client
	timeout time.Duration
}

// urlCheck is one URL to fetch and what its reply must be.
type urlCheck struct {
	url    string
	path   string
	host   string
	status []StatusRange
	re     *regexp.Regexp
	digest string
}

func newHTTP(s Spec) (*httpChecker, error) {
	h := s.HTTP
	if h == nil {
		h = &HTTPSpec{}
	}
	scheme := "http"
	var tc *tls.Config
	if s.Kind == KindSSL {
		scheme = "https"
		var err error
		if tc, err = tlsConfig(h); err != nil {
			return nil, err
		}
	}
	c := &httpChecker{timeout: s.ConnectTimeout}
	urls := h.URLs
	if len(urls) == 0 {
		urls = []URLSpec{{Path: h.Path, Status: h.Status, BodyRegex: h.BodyRegex, Digest: h.Digest}}
	}
	for _, u := range urls {
		uc, err := newURLCheck(u, scheme+"://"+s.dialAddr().String(), h.VirtualHost)
		if err != nil {
			return nil, err
		}
		c.urls = append(c.urls, uc)
	}

	d := &net.Dialer{Timeout: s.ConnectTimeout, KeepAlive: -1}
	if s.BindTo.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: s.BindTo.AsSlice(), Zone: s.BindTo.Zone()}
	}
	tr := &http.Transport{
		Proxy:       nil, // health checks go to the real server, never via $HTTP_PROXY
		DialContext: d.DialContext,
		// A fresh connection per check, like keepalived: a reused
		// connection would hide a server that stopped accepting.
		DisableKeepAlives:      true,
		DisableCompression:     true, // the digest is over the bytes as sent
		TLSClientConfig:        tc,
		TLSHandshakeTimeout:    s.ConnectTimeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	c.client = &http.Client{
		Transport: tr,
		// A redirect is judged by its own status, as keepalived does.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

func newURLCheck(u URLSpec, base, host string) (urlCheck, error) {
	c := urlCheck{host: u.VirtualHost, status: u.Status}
	if c.host == "" {
		c.host = host
	}
	if len(c.status) == 0 {
		c.status = []StatusRange{{200, 299}}
	}
	if u.BodyRegex != "" {
		re, err := regexp.Compile(u.BodyRegex)
		if err != nil {
			return c, fmt.Errorf("compile body regex: %w", err)
		}
		c.re = re
	}
	if u.Digest != "" {
		d := strings.ToLower(u.Digest)
		if b, err := hex.DecodeString(d); err != nil || len(b) != md5.Size {
			return c, fmt.Errorf("digest %q is not 32 hex digits", u.Digest)
		}
		c.digest = d
	}
	c.path = u.Path
	if c.path == "" {
		c.path = "/"
	} else if !strings.HasPrefix(c.path, "/") {
		c.path = "/" + c.path
	}
	c.url = base + c.path
	return c, nil
}

func tlsConfig(h *HTTPSpec) (*tls.Config, error) {
	tc := &tls.Config{
		ServerName:         h.ServerName,
		InsecureSkipVerify: h.Insecure,
		MinVersion:         tls.VersionTLS12,
	}
	vhost := h.VirtualHost
	if vhost == "" && len(h.URLs) > 0 {
		vhost = h.URLs[0].VirtualHost
	}
	if tc.ServerName == "" && vhost != "" {
		tc.ServerName = vhost
		if host, _, err := net.SplitHostPort(h.VirtualHost); err == nil {
			tc.ServerName = host
		}
	}
	if h.CAFile != "" {
		pem, err := os.ReadFile(h.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read ca file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca file %s holds no PEM certificate", h.CAFile)
		}
		tc.RootCAs = pool
	}
	if h.CertFile != "" || h.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(h.CertFile, h.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func (c *httpChecker) Check(ctx context.Context) Result { return timed(ctx, c.timeout, c.check) }

// check fetches every URL in order, all under the one timeout, and fails
// at the first that does not pass; with several URLs the reason names
// the path.
func (c *httpChecker) check(ctx context.Context) Result {
	for _, u := range c.urls {
		if r := c.fetch(ctx, u); !r.OK {
			if len(c.urls) > 1 {
				r.Reason = "GET " + u.path + ": " + r.Reason
			}
			return r
		}
	}
	return Result{OK: true}
}

func (c *httpChecker) fetch(ctx context.Context, u urlCheck) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.url, nil)
	if err != nil {
		return Result{Reason: err.Error()}
	}
	if u.host != "" {
		req.Host = u.host
	}
	req.Close = true
	req.Header.Set("User-Agent", "lbhad-checker")
	resp, err := c.client.Do(req)
	if err != nil {
		return Result{Reason: reason(err, c.timeout)}
	}
	defer resp.Body.Close()
	if !statusOK(u.status, resp.StatusCode) {
		return Result{Reason: "HTTP " + strconv.Itoa(resp.StatusCode)}
	}
	if u.re == nil && u.digest == "" {
		return Result{OK: true}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return Result{Reason: "reading body: " + reason(err, c.timeout)}
	}
	if len(body) > MaxBody {
		if u.digest != "" {
			return Result{Reason: "body larger than 1 MiB"}
		}
		body = body[:MaxBody]
	}
	if u.digest != "" {
		sum := md5.Sum(body)
		if got := hex.EncodeToString(sum[:]); got != u.digest {
			return Result{Reason: "digest mismatch (got " + got + ")"}
		}
	}
	if u.re != nil && !u.re.Match(body) {
		return Result{Reason: "body did not match"}
	}
	return Result{OK: true}
}

func statusOK(ranges []StatusRange, code int) bool {
	for _, r := range ranges {
		if code >= r.Min && code <= r.Max {
			return true
		}
	}
	return false
}
