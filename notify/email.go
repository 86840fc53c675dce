package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"os"
	"strings"
	"time"

	"github.com/lbhad/lbhad/config"
)

const defaultSMTPConnectTimeout = 30 * time.Second

// sendMail delivers one alert for e through em's server, within deadline
// for the whole conversation and em.ConnectTimeout for the dial.
// Errors never contain the password.
func sendMail(ctx context.Context, em *config.Email, tlsConf *tls.Config, deadline time.Duration, e Event) error {
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	host, _, err := net.SplitHostPort(em.Server)
	if err != nil {
		return fmt.Errorf("smtp server %q: %w", em.Server, err)
	}
	ct := em.ConnectTimeout
	if ct <= 0 {
		ct = defaultSMTPConnectTimeout
	}
	dctx, dcancel := context.WithTimeout(ctx, ct)
	conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", em.Server)
	dcancel()
	if err != nil {
		return fmt.Errorf("connect to smtp server: %w", err)
	}
	// A stalled server is cut off at the deadline or when ctx ends.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	err = scrubSecret(converse(conn, host, em, tlsConf, e), em)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%w)", err, ctx.Err())
	}
	return err
}

// scrubbedError is an error whose text had a secret taken out; Unwrap
// still reaches the original for errors.Is.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrubSecret removes em's password from err's text, in the forms it
// travels on the wire (plain for AUTH LOGIN's answer, base64 alone, and
// base64 of PLAIN's "\x00user\x00password"): a server's error reply is
// quoted in our errors, and a server may echo what it was sent.
func scrubSecret(err error, em *config.Email) error {
	if err == nil || em.Password == "" {
		return err
	}
	msg := err.Error()
	forms := []string{
		base64.StdEncoding.EncodeToString([]byte("\x00" + em.Username + "\x00" + em.Password)),
		base64.StdEncoding.EncodeToString([]byte(em.Password)),
		em.Password,
	}
	clean := msg
	for _, f := range forms {
		clean = strings.ReplaceAll(clean, f, "(secret)")
	}
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, err: err}
}

func converse(conn net.Conn, host string, em *config.Email, tlsConf *tls.Config, e Event) error {
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("smtp greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(heloName()); err != nil {
		return fmt.Errorf("smtp hello: %w", err)
	}
	if em.StartTLS {
		tc := &tls.Config{}
		if tlsConf != nil {
			tc = tlsConf.Clone()
		}
		if tc.ServerName == "" {
			tc.ServerName = host
		}
		if err := c.StartTLS(tc); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	}
	if em.Username != "" {
		a, err := chooseAuth(c, em, host)
		if err != nil {
			return err
		}
		if err := c.Auth(a); err != nil {
			return fmt.Errorf("smtp auth as %s: %w", em.Username, err)
		}
	}
	if err := c.Mail(em.From); err != nil {
		return fmt.Errorf("smtp mail from: %w", err)
	}
	for _, to := range em.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("smtp rcpt to %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if _, err := w.Write(composeMail(em, e)); err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("smtp quit: %w", err)
	}
	return nil
}

// chooseAuth prefers PLAIN and falls back to LOGIN, whichever the server
// offers. net/smtp's PLAIN refuses to send the password unencrypted
// except to localhost, which is what we want.
func chooseAuth(c *smtp.Client, em *config.Email, host string) (smtp.Auth, error) {
	ok, mechs := c.Extension("AUTH")
	if !ok {
		return nil, errors.New("smtp server offers no AUTH, but a username is configured")
	}
	fields := strings.Fields(strings.ToUpper(mechs))
	has := func(m string) bool {
		for _, f := range fields {
			if f == m {
				return true
			}
		}
		return false
	}
	switch {
	case has("PLAIN"):
		return smtp.PlainAuth("", em.Username, em.Password, host), nil
	case has("LOGIN"):
		return &loginAuth{user: em.Username, pass: em.Password, host: host}, nil
	}
	return nil, fmt.Errorf("smtp server offers AUTH %s; lbhad speaks PLAIN and LOGIN", mechs)
}

// loginAuth is the AUTH LOGIN mechanism (draft-murchison-sasl-login),
// which many servers still offer without PLAIN.
type loginAuth struct {
	user, pass, host string
	step             int
}

func (a *loginAuth) Start(s *smtp.ServerInfo) (string, []byte, error) {
	// Like PlainAuth: never send the password in the clear, except to
	// this machine.
	if !s.TLS && !isLocalhost(s.Name) {
		return "", nil, errors.New("smtp auth login refused: the connection is not encrypted")
	}
	if s.Name != a.host {
		return "", nil, errors.New("smtp auth login: wrong host name")
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	p := strings.ToLower(strings.TrimSpace(string(fromServer)))
	switch {
	case strings.HasPrefix(p, "user") || (a.step == 1 && !strings.HasPrefix(p, "pass")):
		return []byte(a.user), nil
	case strings.HasPrefix(p, "pass") || a.step == 2:
		return []byte(a.pass), nil
	}
	// The challenge is the server's text, not the password: safe to show.
	return nil, fmt.Errorf("smtp auth login: unexpected challenge %q", fromServer)
}

func isLocalhost(name string) bool {
	return name == "localhost" || name == "127.0.0.1" || name == "::1"
}

func heloName() string {
	h, err := os.Hostname()
	if err != nil || h == "" || strings.ContainsAny(h, " \r\n") {
		return "localhost"
	}
	return h
}

// headerSafe keeps configured names from breaking the header block.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// mailSubject is the Subject line for e, e.g. "[lb1] VI_1 is now MASTER".
func mailSubject(e Event) string {
	var what string
	switch e.Kind {
	case InstanceState:
		what = fmt.Sprintf("%s is now %s", e.Instance, e.NewState)
	case GroupState:
		what = fmt.Sprintf("sync group %s is now %s", e.Group, e.NewState)
	case RealServerUp:
		what = fmt.Sprintf("real server %s of %s is up", e.RealServer, e.VirtualServer)
	case RealServerDown:
		what = fmt.Sprintf("real server %s of %s is down", e.RealServer, e.VirtualServer)
	case QuorumLost:
		what = fmt.Sprintf("virtual server %s lost quorum", e.VirtualServer)
	case QuorumRegained:
		what = fmt.Sprintf("virtual server %s regained quorum", e.VirtualServer)
	case DaemonStart:
		what = "lbhad started"
	case DaemonStop:
		what = "lbhad stopped"
	case DaemonReload:
		what = "lbhad reloaded its configuration"
	default:
		what = e.Kind.String()
	}
	return headerSafe(fmt.Sprintf("[%s] %s", e.Host, what))
}

// mailBody says the same as the subject in plain words, with the details.
func mailBody(e Event) string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-15s %s\n", k+":", v)
		}
	}
	fmt.Fprintf(&b, "%s\n\n", strings.TrimPrefix(mailSubject(e), "["+e.Host+"] "))
	line("Date", e.Time.Format("2006-01-02 15:04:05.000 MST"))
	line("Host", e.Host)
	line("Instance", e.Instance)
	line("Sync group", e.Group)
	line("Virtual server", e.VirtualServer)
	line("Real server", e.RealServer)
	if e.OldState != "" || e.NewState != "" {
		old := e.OldState
		if old == "" {
			old = "-"
		}
		line("State", old+" → "+e.NewState)
	}
	if e.Kind == InstanceState || e.Kind == GroupState {
		line("Priority", fmt.Sprint(e.Priority))
	}
	line("VIPs", strings.Join(e.VIPs, ", "))
	line("Reason", e.Reason)
	b.WriteString("\n-- \nsent by lbhad\n")
	return b.String()
}

func composeMail(em *config.Email, e Event) []byte {
	var b bytes.Buffer
	var id [8]byte
	_, _ = rand.Read(id[:])
	host := e.Host
	if host == "" || strings.ContainsAny(host, " <>@") {
		host = "lbhad"
	}
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, headerSafe(v)) }
	hdr("From", em.From)
	hdr("To", strings.Join(em.To, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", mailSubject(e)))
	hdr("Date", e.Time.Format(time.RFC1123Z))
	hdr("Message-ID", fmt.Sprintf("<%d.%s@%s>", e.Time.UnixNano(), hex.EncodeToString(id[:]), host))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "8bit")
	hdr("X-Lbhad-Event", e.Kind.String())
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(mailBody(e), "\n", "\r\n"))
	return b.Bytes()
}
