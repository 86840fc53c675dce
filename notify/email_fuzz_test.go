package notify

import (
	"encoding/base64"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/config"
)

const fuzzSMTPPassword = "S3cretPW-7e"

// scriptedSMTP accepts one connection and sends script as the server's
// replies, then half-closes: the client reads EOF once it has read them
// all, while what it sends is read and discarded until it hangs up.
func scriptedSMTP(ln net.Listener, script []byte) {
	c, err := ln.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	done := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, c); close(done) }()
	_, _ = c.Write(script)
	_ = c.(*net.TCPConn).CloseWrite()
	<-done
}

// FuzzSMTPReplies plays arbitrary server replies against the mail
// client (net/smtp's reply parser, our AUTH choice and LOGIN steps):
// it must end (no hang, no panic), and no error it returns may carry
// the password, in any form it travels in, even when the server echoes
// it back.
func FuzzSMTPReplies(f *testing.F) {
	plain := base64.StdEncoding.EncodeToString([]byte("\x00lbhad\x00" + fuzzSMTPPassword))
	// Seeds are whole server transcripts, CRLF line ends added below.
	for _, seed := range []string{
		"220 mx ESMTP\n250-mx\n250 AUTH PLAIN LOGIN\n235 ok\n250 ok\n250 ok\n354 go\n250 queued\n221 bye",
		"220 mx\n250-mx\n250 AUTH PLAIN\n535 5.7.8 rejected " + plain,
		"220 mx\n250-mx\n250 AUTH LOGIN\n334 VXNlcm5hbWU6\n334 UGFzc3dvcmQ6\n535 you sent " + fuzzSMTPPassword,
		"220 mx\n250-mx\n250 AUTH LOGIN\n334 VXNlcm5hbWU6\n334 UGFzc3dvcmQ6\n535 you sent " + base64.StdEncoding.EncodeToString([]byte(fuzzSMTPPassword)),
		"220 mx\n250 AUTH CRAM-MD5",
		"220-a\n220 b\n250 ok\n",
		"554 no",
		"",
	} {
		f.Add([]byte(strings.ReplaceAll(seed, "\n", "\r\n")))
	}
	em := &config.Email{Server: "localhost:25", From: "lbhad@example.com", To: []string{"ops@example.com"},
		Username: "lbhad", Password: fuzzSMTPPassword}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ln.Close() })
	forms := []string{fuzzSMTPPassword, base64.StdEncoding.EncodeToString([]byte(fuzzSMTPPassword)), plain}
	f.Fuzz(func(t *testing.T, script []byte) {
		go scriptedSMTP(ln, script)
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_ = client.SetDeadline(time.Now().Add(5 * time.Second))
		// What sendMail does after the dial.
		err = scrubSecret(converse(client, "localhost", em, nil, Event{Kind: InstanceState, Instance: "VI_1", NewState: "MASTER"}), em)
		client.Close()
		if err == nil {
			return
		}
		for _, s := range forms {
			if strings.Contains(err.Error(), s) {
				t.Fatalf("error carries the password (%q): %v", s, err)
			}
		}
	})
}
