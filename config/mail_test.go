package config

import "testing"

// keepalived accepts a bare local mail name as sender or recipient
// (notification_email_from root); so does lbhad, so converted configs
// stay valid. Anything else must still be an address.
func TestMailbox(t *testing.T) {
	for s, want := range map[string]bool{
		"ops@example.com":          true,
		"Ops <ops@example.com>":    true,
		"root":                     true,
		"keepalived.alerts":        true,
		"first+tag":                true,
		"":                         false,
		"not an address":           false,
		"@@":                       false,
		".root":                    false,
		"root.":                    false,
		"a..b":                     false,
		"root\r\nBcc: x@example.c": false,
		"ops@":                     false,
	} {
		if got := mailbox(s); got != want {
			t.Errorf("mailbox(%q) = %v, want %v", s, got, want)
		}
	}
}
