package notify

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/netnstest"
)

// smtpd runs testdata/smtpd.py (aiosmtpd, Debian's python3-aiosmtpd)
// and returns its address and Maildir. Without aiosmtpd the test skips,
// except under CI=true, where that is a failure.
func smtpd(t *testing.T, args ...string) (addr, maildir string) {
	t.Helper()
	py := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import aiosmtpd").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		msg := "aiosmtpd not installed (apt-get install python3-aiosmtpd, or scripts/deps.sh)"
		netnstest.Unavailable(t, "%s", msg)
	}
	maildir = filepath.Join(t.TempDir(), "mail")
	cmd := exec.Command(py, append([]string{"testdata/smtpd.py", "--maildir", maildir}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		port <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case p := <-port:
		if p == "" {
			t.Fatal("smtpd.py did not start")
		}
		return net.JoinHostPort("127.0.0.1", p), maildir
	case <-time.After(20 * time.Second):
		t.Fatal("smtpd.py did not report its port")
	}
	return "", ""
}

// messages reads the Maildir's delivered messages.
func messages(t *testing.T, maildir string) []*mail.Message {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
	var msgs []*mail.Message
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

func emailConfig(server string, mod func(*config.Email)) *config.Config {
	cfg := baseConfig()
	cfg.Global.Notification.Email = &config.Email{Server: server, From: "lbhad@example.com",
		To: []string{"ops@example.com", "noc@example.com"}, ConnectTimeout: 5 * time.Second}
	if mod != nil {
		mod(cfg.Global.Notification.Email)
	}
	cfg.Instances = []*config.Instance{{Name: "VI_1", SMTPAlert: true}, {Name: "VI_quiet"}}
	cfg.SyncGroups = []*config.SyncGroup{{Name: "G1", SMTPAlert: true}}
	return cfg
}

func TestEmailDelivered(t *testing.T) {
	addr, maildir := smtpd(t)
	d, _ := newTest(t, emailConfig(addr, nil))
	at := time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC)
	d.Notify(Event{Kind: InstanceState, Instance: "VI_quiet", NewState: "MASTER", Time: at}) // no smtp_alert
	d.Notify(Event{Kind: InstanceState, Instance: "VI_1", OldState: "BACKUP", NewState: "MASTER", Priority: 150,
		VIPs: []string{"192.0.2.50/24", "192.0.2.51/32"}, Time: at})
	d.Notify(Event{Kind: RealServerDown, VirtualServer: "web", RealServer: "w1", Reason: "connection refused", Time: at})
	d.Notify(Event{Kind: DaemonStart, Time: at}) // daemon events are not mailed
	s := waitStats(t, d, "mail", func(s Stats) bool { return s["email"].Delivered+s["email"].Failed == 2 })
	if s["email"].Failed != 0 {
		t.Fatalf("email stats %+v", s["email"])
	}
	msgs := messages(t, maildir)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	bySubject := map[string]*mail.Message{}
	for _, m := range msgs {
		bySubject[m.Header.Get("Subject")] = m
		if got := m.Header.Get("From"); got != "lbhad@example.com" {
			t.Errorf("From %q", got)
		}
		if got := m.Header.Get("To"); got != "ops@example.com, noc@example.com" {
			t.Errorf("To %q", got)
		}
		if got, _ := m.Header.Date(); !got.Equal(at) {
			t.Errorf("Date %v, want %v", got, at)
		}
	}
	m := bySubject["[lb1] VI_1 is now MASTER"]
	if m == nil {
		t.Fatalf("no instance mail; subjects: %v", keys(bySubject))
	}
	body, _ := io.ReadAll(m.Body)
	for _, want := range []string{"2026-11-22 01:02:03", "lb1", "VI_1", "BACKUP → MASTER", "150", "192.0.2.50/24, 192.0.2.51/32"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if m := bySubject["[lb1] real server w1 of web is down"]; m == nil {
		t.Errorf("no real server mail; subjects: %v", keys(bySubject))
	} else if body, _ := io.ReadAll(m.Body); !strings.Contains(string(body), "connection refused") {
		t.Errorf("real server body lacks the reason:\n%s", body)
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestEmailAuth(t *testing.T) {
	tests := []struct {
		name       string
		serverArgs []string
		password   string
		wantOK     bool
	}{
		{name: "plain", serverArgs: []string{"--user", "alert", "--password", "pw-s3cret"}, password: "pw-s3cret", wantOK: true},
		{name: "login only", serverArgs: []string{"--user", "alert", "--password", "pw-s3cret", "--login-only"}, password: "pw-s3cret", wantOK: true},
		{name: "wrong password", serverArgs: []string{"--user", "alert", "--password", "other"}, password: "pw-s3cret"},
		{name: "login wrong password", serverArgs: []string{"--user", "alert", "--password", "other", "--login-only"}, password: "pw-s3cret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, maildir := smtpd(t, tt.serverArgs...)
			d, logs := newTest(t, emailConfig(addr, func(e *config.Email) { e.Username, e.Password = "alert", tt.password }))
			d.Notify(Event{Kind: GroupState, Group: "G1", NewState: "BACKUP"})
			s := waitStats(t, d, "mail", func(s Stats) bool { return s["email"].Delivered+s["email"].Failed == 1 })
			if got := s["email"].Delivered == 1; got != tt.wantOK {
				t.Fatalf("delivered %v, want %v (%+v)", got, tt.wantOK, s["email"])
			}
			if n := len(messages(t, maildir)); (n == 1) != tt.wantOK {
				t.Errorf("%d messages stored", n)
			}
			for _, e := range logs.All() {
				text := e.Message
				for k, v := range e.ContextMap() {
					text += " " + k + "=" + toString(v)
				}
				if strings.Contains(text, "pw-s3cret") {
					t.Errorf("log leaks the password: %s", text)
				}
			}
		})
	}
}

// testCert writes a self-signed certificate for 127.0.0.1 and returns
// its files and a pool trusting it.
func testCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return certFile, keyFile, pool
}

func TestEmailStartTLS(t *testing.T) {
	certFile, keyFile, pool := testCert(t)
	// The server demands STARTTLS before anything else and AUTH only
	// over TLS, so a delivery proves both happened.
	addr, maildir := smtpd(t, "--cert", certFile, "--key", keyFile, "--user", "alert", "--password", "pw", "--login-only")
	d, _ := newTest(t, emailConfig(addr, func(e *config.Email) { e.StartTLS, e.Username, e.Password = true, "alert", "pw" }),
		WithTLSConfig(&tls.Config{RootCAs: pool}))
	d.Notify(Event{Kind: InstanceState, Instance: "VI_1", NewState: "FAULT"})
	s := waitStats(t, d, "mail", func(s Stats) bool { return s["email"].Delivered+s["email"].Failed == 1 })
	if s["email"].Delivered != 1 || len(messages(t, maildir)) != 1 {
		t.Fatalf("not delivered over STARTTLS: %+v", s["email"])
	}

	// Without STARTTLS configured the same server refuses us.
	d2, _ := newTest(t, emailConfig(addr, func(e *config.Email) { e.Username, e.Password = "alert", "pw" }))
	d2.Notify(Event{Kind: InstanceState, Instance: "VI_1", NewState: "FAULT"})
	if s := waitStats(t, d2, "refusal", func(s Stats) bool { return s["email"].Delivered+s["email"].Failed == 1 }); s["email"].Failed != 1 {
		t.Errorf("delivered without STARTTLS: %+v", s["email"])
	}
}

// stallingSMTP accepts connections and never says a word.
func stallingSMTP(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 100)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for {
			select {
			case c := <-conns:
				c.Close()
			default:
				return
			}
		}
	})
	return ln.Addr().String()
}

func TestEmailDeadlineCutsStalledServer(t *testing.T) {
	addr := stallingSMTP(t)
	d, _ := newTest(t, emailConfig(addr, nil), WithEmailDeadline(300*time.Millisecond))
	d.Notify(Event{Kind: InstanceState, Instance: "VI_1", NewState: "MASTER"})
	s := waitStats(t, d, "failure", func(s Stats) bool { return s["email"].Failed == 1 })
	if s["email"].Delivered != 0 {
		t.Errorf("stats %+v", s["email"])
	}
}
