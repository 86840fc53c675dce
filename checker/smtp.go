package checker

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// DefaultHeloName is keepalived's default helo_name.
const DefaultHeloName = "smtpchecker.keepalived.org"

// maxSMTPReply bounds one SMTP reply, all its lines together.
const maxSMTPReply = 16 << 10

// ErrSMTPReply is returned by readSMTPReply for a line that is not an
// SMTP reply line (three digits, then a space, a hyphen or the end).
var ErrSMTPReply = errors.New("malformed SMTP reply")

type smtpChecker struct {
	addr    string
	dialer  *net.Dialer
	timeout time.Duration
	helo    string
	verb    string
}

func newSMTP(s Spec) (*smtpChecker, error) {
	c := &smtpChecker{addr: s.dialAddr().String(), dialer: &net.Dialer{Timeout: s.ConnectTimeout, KeepAlive: -1},
		timeout: s.ConnectTimeout, helo: DefaultHeloName, verb: "HELO"}
	if s.SMTP != nil {
		if s.SMTP.HeloName != "" {
			c.helo = s.SMTP.HeloName
		}
		if s.SMTP.EHLO {
			c.verb = "EHLO"
		}
	}
	if strings.ContainsAny(c.helo, " \r\n") {
		return nil, errors.New("helo name must be one word")
	}
	if s.BindTo.IsValid() {
		c.dialer.LocalAddr = &net.TCPAddr{IP: s.BindTo.AsSlice(), Zone: s.BindTo.Zone()}
	}
	return c, nil
}

func (c *smtpChecker) Check(ctx context.Context) Result { return timed(ctx, c.timeout, c.check) }

// check is keepalived's SMTP_CHECK dialogue: the banner must be 220, the
// HELO (or EHLO) answer 250, then QUIT is sent and its answer read.
func (c *smtpChecker) check(ctx context.Context) Result {
	conn, err := c.dialer.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return Result{Reason: reason(err, c.timeout)}
	}
	defer conn.Close()
	defer bindDeadline(ctx, conn)()
	r := bufio.NewReaderSize(io.LimitReader(conn, 4*maxSMTPReply), 1024)
	fail := func(stage string, err error) Result {
		if errors.Is(ctx.Err(), context.Canceled) {
			return Result{Reason: "cancelled"}
		}
		return Result{Reason: stage + ": " + reason(err, c.timeout)}
	}
	code, text, err := readSMTPReply(r)
	if err != nil {
		return fail("banner", err)
	}
	if code != 220 {
		return Result{Reason: "banner " + strconv.Itoa(code) + " " + text}
	}
	if _, err := io.WriteString(conn, c.verb+" "+c.helo+"\r\n"); err != nil {
		return fail(c.verb, err)
	}
	if code, text, err = readSMTPReply(r); err != nil {
		return fail(c.verb, err)
	}
	if code != 250 {
		return Result{Reason: c.verb + " answered " + strconv.Itoa(code) + " " + text}
	}
	if _, err := io.WriteString(conn, "QUIT\r\n"); err != nil {
		return fail("QUIT", err)
	}
	if _, _, err := readSMTPReply(r); err != nil {
		return fail("QUIT", err)
	}
	return Result{OK: true}
}

// readSMTPReply reads one reply, following continuation lines
// ("250-...") to the last ("250 ..."), and returns its code and the text
// of its first line. Unlike keepalived, which reads only the first line
// and so refuses a multi-line banner, every line of RFC 5321 is
// accepted. It returns ErrSMTPReply for a malformed line or a reply
// over 16 KiB, and the reader's error (io.EOF for a closed connection).
func readSMTPReply(r *bufio.Reader) (code int, text string, err error) {
	total := 0
	for first := true; ; first = false {
		line, err := r.ReadSlice('\n')
		total += len(line)
		if err == bufio.ErrBufferFull || total > maxSMTPReply {
			return 0, "", ErrSMTPReply
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return 0, "", err
		}
		s := strings.TrimRight(string(line), "\r\n")
		if len(s) < 3 || (len(s) > 3 && s[3] != ' ' && s[3] != '-') {
			return 0, "", ErrSMTPReply
		}
		n, perr := strconv.Atoi(s[:3])
		if perr != nil || n < 100 || n > 599 || (!first && n != code) {
			return 0, "", ErrSMTPReply
		}
		if first {
			code = n
			if len(s) > 4 {
				text = s[4:]
			}
		}
		if len(s) == 3 || s[3] == ' ' {
			return code, text, nil
		}
	}
}
