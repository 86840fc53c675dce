package config

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestParseCheckers pins what testdata/good/checkers.hcl builds: every
// check block of a real server kept in file order, url blocks, and each
// new kind with keepalived's defaults (a DNS check retries 3 times after
// delay_loop; a file check looks every second).
func TestParseCheckers(t *testing.T) {
	cfg, _, diags := LoadFile(filepath.Join("testdata", "good", "checkers.hcl"))
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", formatDiags(diags))
	}
	common := func(k CheckKind, interval time.Duration) Check {
		return Check{Kind: k, Interval: interval, ConnectTimeout: 5 * time.Second, Rise: 1, Fall: 1, DelayBeforeRetry: time.Second}
	}
	dns := common(CheckDNS, 6*time.Second)
	dns.Retry, dns.DelayBeforeRetry = 3, 6*time.Second
	dns.DNS = &DNSCheck{Type: "A", Name: "www.example.com.", Expect: "192.0.2.80"}
	udp1 := common(CheckUDP, 6*time.Second)
	udp1.UDP = &UDPCheck{Payload: []byte{0x0a, 0x1b, 0x2c}, RequireReply: true, Reply: []byte{0x0a, 0}, ReplyMask: []byte{0, 0xff}, MinReplyLen: 2, MaxReplyLen: 512}
	udp2 := common(CheckUDP, 6*time.Second)
	udp2.UDP = &UDPCheck{RequireReply: true, MaxReplyLen: 255}
	ping := common(CheckPing, 6*time.Second)
	ping.ConnectIP, ping.Fall = mustAddr("198.51.100.54"), 3
	file1 := common(CheckFile, time.Second)
	file1.File = &FileCheck{TrackFile: "maint", File: "/run/lbhad/maint", Weight: -10}
	file2 := common(CheckFile, 5*time.Second)
	file2.File = &FileCheck{TrackFile: "maint", File: "/run/lbhad/maint", Weight: 0, Reverse: true}
	smtp1 := common(CheckSMTP, 60*time.Second)
	smtp1.SMTP = &SMTPCheck{HeloName: "smtpchecker.keepalived.org"}
	smtp2 := common(CheckSMTP, 60*time.Second)
	smtp2.SMTP = &SMTPCheck{HeloName: "lb1.example.com", EHLO: true}
	http := common(CheckHTTP, 60*time.Second)
	http.ConnectPort = 8080
	http.HTTP = &HTTPCheck{VirtualHost: "status.example.com", URLs: []HTTPURL{
		{Path: "/live", Status: []StatusRange{{200, 299}}},
		{Path: "/ready", VirtualHost: "ready.example.com", Status: []StatusRange{{200, 200}, {300, 302}}, BodyRegex: "ok"},
	}}

	want := [][]Check{{dns, udp1, udp2, ping, file1, file2}, {smtp1, smtp2, http}}
	if len(cfg.VirtualServers) != len(want) {
		t.Fatalf("%d virtual servers, want %d", len(cfg.VirtualServers), len(want))
	}
	for i, vs := range cfg.VirtualServers {
		var got []Check
		for _, c := range vs.RealServers[0].Checks {
			got = append(got, *c)
		}
		if diff := cmp.Diff(want[i], got, cmpOpts...); diff != "" {
			t.Errorf("%s: checks mismatch (-want +got):\n%s", vs.Name, diff)
		}
	}
}

func TestParseHex(t *testing.T) {
	tests := []struct {
		in         string
		wildcards  bool
		data, mask []byte
		err        bool
	}{
		{in: "0a1b2c", data: []byte{0x0a, 0x1b, 0x2c}},
		{in: "0A 1b\t2C", data: []byte{0x0a, 0x1b, 0x2c}},
		{in: "1 02 f", data: []byte{0x01, 0x02, 0x0f}}, // a lone digit is a byte
		{in: "abc", data: []byte{0xab, 0x0c}},          // and so is a trailing one
		{in: "x1 Xx", wildcards: true, data: []byte{0x01, 0x00}, mask: []byte{0xf0, 0xff}},
		{in: "x1", err: true}, // wildcards only in replies
		{in: "", err: true},
		{in: "  ", err: true},
		{in: "0g", err: true},
		{in: "0x10", wildcards: false, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			data, mask, err := parseHex(tt.in, tt.wildcards)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if diff := cmp.Diff(tt.data, data); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.mask, mask); diff != "" {
				t.Errorf("mask (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseHex checks parseHex against its own rendering: whatever it
// accepts, printed back as hex with x for the masked half bytes, parses
// to the same bytes and mask.
func FuzzParseHex(f *testing.F) {
	for _, s := range []string{"0a1b", "1 02 f", "xX 0a", "zz", ""} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, wildcards bool) {
		data, mask, err := parseHex(s, wildcards)
		if err != nil {
			return
		}
		if mask != nil && len(mask) != len(data) {
			t.Fatalf("mask length %d, data length %d", len(mask), len(data))
		}
		const digits = "0123456789abcdef"
		var out []byte
		for i, b := range data {
			for shift := 4; shift >= 0; shift -= 4 {
				if mask != nil && mask[i]>>shift&0x0f != 0 {
					out = append(out, 'x')
				} else {
					out = append(out, digits[b>>shift&0x0f])
				}
			}
			out = append(out, ' ')
		}
		data2, mask2, err := parseHex(string(out), wildcards)
		if err != nil || string(data2) != string(data) || string(mask2) != string(mask) {
			t.Fatalf("%q -> %x/%x -> %q -> %x/%x (%v)", s, data, mask, out, data2, mask2, err)
		}
	})
}
