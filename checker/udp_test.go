package checker

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// udpServer answers every datagram with reply(payload) on loopback; a
// nil reply reads and stays silent.
func udpServer(t *testing.T, reply func([]byte) []byte) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if r := reply(buf[:n]); r != nil {
				pc.WriteTo(r, from)
			}
		}
	}()
	return netip.MustParseAddrPort(pc.LocalAddr().String())
}

// closedUDPPort is a loopback port nothing listens on: a datagram sent
// there draws an ICMP port unreachable.
func closedUDPPort(t *testing.T) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(pc.LocalAddr().String())
	pc.Close()
	return ap
}

func TestUDPCheck(t *testing.T) {
	echo := udpServer(t, func(b []byte) []byte { return append([]byte(nil), b...) })
	silent := udpServer(t, func([]byte) []byte { return nil })
	fixed := udpServer(t, func([]byte) []byte { return []byte{0x0a, 0x1b, 0x2c, 0x3d} })
	closed := closedUDPPort(t)
	const timeout = 300 * time.Millisecond
	tests := []struct {
		name   string
		target netip.AddrPort
		spec   *UDPSpec
		ok     bool
		reason string
	}{
		{"echo, no reply needed", echo, nil, true, ""},
		{"echo, reply required", echo, &UDPSpec{Payload: []byte("ping"), RequireReply: true}, true, ""},
		{"echo matches payload", echo, &UDPSpec{Payload: []byte("ping"), RequireReply: true, Reply: []byte("pi")}, true, ""},
		{"silence passes without require_reply", silent, &UDPSpec{}, true, ""},
		{"silence fails with require_reply", silent, &UDPSpec{RequireReply: true}, false, "no reply within 300ms"},
		{"port unreachable", closed, nil, false, "port unreachable (ICMP)"},
		{"port unreachable, reply required", closed, &UDPSpec{RequireReply: true}, false, "port unreachable (ICMP)"},
		{"wildcard match", fixed, &UDPSpec{RequireReply: true, Reply: []byte{0x0a, 0x00, 0x2c}, ReplyMask: []byte{0, 0xff, 0}}, true, ""},
		{"mismatch", fixed, &UDPSpec{RequireReply: true, Reply: []byte{0x0a, 0x1c}}, false, "reply did not match at byte 1"},
		{"too short", fixed, &UDPSpec{RequireReply: true, Reply: []byte{0x0a}, MinReplyLen: 5}, false, "reply of 4 bytes, want 5 to 255"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustCheck(t, Spec{ID: "u", Kind: KindUDP, Target: tt.target, ConnectTimeout: timeout, UDP: tt.spec})
			if r.OK != tt.ok || r.Reason != tt.reason {
				t.Errorf("got ok=%v %q, want ok=%v %q", r.OK, r.Reason, tt.ok, tt.reason)
			}
		})
	}
}

func TestUDPReplyMismatch(t *testing.T) {
	s := UDPSpec{Reply: []byte{1, 2, 3}, ReplyMask: []byte{0, 0x0f, 0}, MinReplyLen: 2, MaxReplyLen: 4}
	tests := []struct {
		got  []byte
		want string
	}{
		{[]byte{1, 2, 3}, ""},
		{[]byte{1, 0x0e, 3}, ""}, // low half byte is a wildcard
		{[]byte{1, 0x12, 3}, "reply did not match at byte 1"},
		{[]byte{1, 2}, ""}, // only the bytes both have are compared
		{[]byte{1, 2, 3, 4}, ""},
		{[]byte{1}, "reply of 1 bytes, want 2 to 4"},
		{[]byte{1, 2, 3, 4, 5}, "reply of 5 bytes, want 2 to 4"},
		{[]byte{9, 2, 3}, "reply did not match at byte 0"},
	}
	for _, tt := range tests {
		if got := udpReplyMismatch(tt.got, s); got != tt.want {
			t.Errorf("%x: %q, want %q", tt.got, got, tt.want)
		}
	}
	if got := udpReplyMismatch([]byte(strings.Repeat("x", 300)), UDPSpec{}); got != "" {
		t.Errorf("without expected bytes any reply passes, got %q", got)
	}
}
