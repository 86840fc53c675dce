package checker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// startAiosmtpd runs a real SMTP server (aiosmtpd) on a loopback port
// and returns its address and a function that stops it.
func startAiosmtpd(t *testing.T) (netip.AddrPort, func()) {
	t.Helper()
	// The Debian package installs aiosmtpd for the system python, which
	// another python3 earlier in PATH may not see.
	python := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import aiosmtpd").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		skipUnlessCI(t, "aiosmtpd not installed (Debian: python3-aiosmtpd)")
	}
	port := closedTCPPort(t)
	cmd := exec.Command(python, "-m", "aiosmtpd", "-n", "-l", port.String())
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", port.String(), time.Second)
		if err == nil {
			c.Close()
			return port, stop
		}
		if time.Now().After(deadline) {
			t.Fatalf("aiosmtpd did not listen on %s: %v (is python3-aiosmtpd installed?)", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func skipUnlessCI(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why + " (required under CI)")
	}
	t.Skip(why)
}

func closedTCPPort(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	return ap
}

// scriptedSMTP is a fake server that sends banner, then answers the
// greeting with helo, for the failure cases a real server does not
// produce on demand.
func scriptedSMTP(t *testing.T, banner, helo string) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.WriteString(c, banner)
				r := bufio.NewReader(c)
				if _, err := r.ReadString('\n'); err != nil || helo == "" {
					return
				}
				io.WriteString(c, helo)
				if _, err := r.ReadString('\n'); err == nil {
					io.WriteString(c, "221 bye\r\n")
				}
			}()
		}
	}()
	return netip.MustParseAddrPort(ln.Addr().String())
}

// TestSMTPCheckAiosmtpd checks a real SMTP server with HELO and EHLO,
// then stops it: the same check must fail.
func TestSMTPCheckAiosmtpd(t *testing.T) {
	addr, stop := startAiosmtpd(t)
	for _, ehlo := range []bool{false, true} {
		r := mustCheck(t, Spec{ID: "m", Kind: KindSMTP, Target: addr, ConnectTimeout: 5 * time.Second, SMTP: &SMTPSpec{HeloName: "lb1.example.com", EHLO: ehlo}})
		if !r.OK {
			t.Errorf("ehlo=%v: aiosmtpd judged down: %s", ehlo, r.Reason)
		}
	}
	stop()
	r := mustCheck(t, Spec{ID: "m", Kind: KindSMTP, Target: addr, ConnectTimeout: time.Second})
	if r.OK || r.Reason != "connection refused" {
		t.Errorf("stopped server: ok=%v %q, want connection refused", r.OK, r.Reason)
	}
}

func TestSMTPCheckScripted(t *testing.T) {
	tests := []struct {
		name, banner, helo string
		ok                 bool
		reason             string
	}{
		{"multi-line banner", "220-mx.example.com hello\r\n220 ready\r\n", "250 ok\r\n", true, ""},
		{"multi-line helo answer", "220 ready\r\n", "250-mx.example.com\r\n250 8BITMIME\r\n", true, ""},
		{"refusing banner", "554 go away\r\n", "250 ok\r\n", false, "banner 554 go away"},
		{"helo refused", "220 ready\r\n", "501 bad name\r\n", false, "HELO answered 501 bad name"},
		{"garbage banner", "HTTP/1.1 400 Bad Request\r\n", "", false, "banner: malformed SMTP reply"},
		{"closes after banner", "220 ready\r\n", "", false, "HELO: connection closed by server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := scriptedSMTP(t, tt.banner, tt.helo)
			r := mustCheck(t, Spec{ID: "m", Kind: KindSMTP, Target: addr, ConnectTimeout: 2 * time.Second})
			if r.OK != tt.ok || r.Reason != tt.reason {
				t.Errorf("got ok=%v %q, want ok=%v %q", r.OK, r.Reason, tt.ok, tt.reason)
			}
		})
	}
}

func TestSMTPSilentServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	c, _ := New(Spec{ID: "m", Kind: KindSMTP, Target: netip.MustParseAddrPort(ln.Addr().String()), ConnectTimeout: 200 * time.Millisecond})
	if r := c.Check(context.Background()); r.OK || r.Reason != "banner: timeout after 200ms" {
		t.Errorf("silent server: ok=%v %q", r.OK, r.Reason)
	}
}

func TestReadSMTPReply(t *testing.T) {
	tests := []struct {
		in   string
		code int
		text string
		err  error
	}{
		{"220 mx ready\r\n", 220, "mx ready", nil},
		{"250\r\n", 250, "", nil},
		{"250-a\r\n250-b\r\n250 c\r\n", 250, "a", nil},
		{"250-a\r\n251 c\r\n", 0, "", ErrSMTPReply}, // codes must agree
		{"25 x\r\n", 0, "", ErrSMTPReply},
		{"2500 x\r\n", 0, "", ErrSMTPReply},
		{"099 x\r\n", 0, "", ErrSMTPReply},
		{"abc x\r\n", 0, "", ErrSMTPReply},
		{"220 no newline", 0, "", io.ErrUnexpectedEOF},
		{"", 0, "", io.EOF},
		{strings.Repeat("250-x\r\n", 4000), 0, "", ErrSMTPReply},
	}
	for _, tt := range tests {
		code, text, err := readSMTPReply(bufio.NewReader(strings.NewReader(tt.in)))
		if code != tt.code || text != tt.text || !errors.Is(err, tt.err) {
			t.Errorf("%.30q: %d %q %v, want %d %q %v", tt.in, code, text, err, tt.code, tt.text, tt.err)
		}
	}
}

// FuzzReadSMTPReply: any bytes give either an error or a code from 100
// to 599 whose first line, rendered again, reads back the same.
func FuzzReadSMTPReply(f *testing.F) {
	for _, s := range []string{"220 ok\r\n", "250-a\r\n250 b\r\n", "5", "\r\n", "220-x\n220 y\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		code, text, err := readSMTPReply(bufio.NewReaderSize(strings.NewReader(string(b)), 1024))
		if err != nil {
			return
		}
		if code < 100 || code > 599 {
			t.Fatalf("code %d", code)
		}
		line := fmt.Sprintf("%d %s\r\n", code, text)
		c2, t2, err := readSMTPReply(bufio.NewReader(strings.NewReader(line)))
		if err != nil || c2 != code || t2 != text {
			t.Fatalf("%q -> %d %q -> %q -> %d %q %v", b, code, text, line, c2, t2, err)
		}
	})
}
