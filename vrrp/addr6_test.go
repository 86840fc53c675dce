package vrrp

import (
	"net/netip"
	"testing"
)

func TestSolicitedNode(t *testing.T) {
	for _, tt := range []struct{ ip, want string }{
		{"2001:db8:6::100", "ff02::1:ff00:100"},
		{"2001:db8::abcd:ef12:3456", "ff02::1:ff12:3456"},
		{"fe80::7079:3dff:fed9:6d94", "ff02::1:ffd9:6d94"},
	} {
		if got := solicitedNode(netip.MustParseAddr(tt.ip)); got.String() != tt.want {
			t.Errorf("solicitedNode(%s) = %v, want %s", tt.ip, got, tt.want)
		}
	}
}

func TestIgmp6Has(t *testing.T) {
	// As read from a namespace with one veth (index 5) after a VIP
	// 2001:db8:6::100 was added.
	content := []byte(`1    lo              ff020000000000000000000000000001     1 0000000C 0
5    v6a0            ff0200000000000000000001ff000100     1 00000004 0
5    v6a0            ff020000000000000000000000000001     1 0000000C 0
7    v6a1            ff0200000000000000000001ff000200     1 00000004 0
bad line
`)
	g := solicitedNode(netip.MustParseAddr("2001:db8:6::100"))
	for _, tt := range []struct {
		name  string
		index int
		group netip.Addr
		want  bool
	}{
		{"joined", 5, g, true},
		{"other interface", 7, g, false},
		{"other group", 5, solicitedNode(netip.MustParseAddr("2001:db8:6::200")), false},
		{"on the other interface", 7, solicitedNode(netip.MustParseAddr("2001:db8:6::200")), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := igmp6Has(content, tt.index, tt.group); got != tt.want {
				t.Errorf("igmp6Has(%d, %v) = %v, want %v", tt.index, tt.group, got, tt.want)
			}
		})
	}
	if igmp6Has(nil, 5, g) {
		t.Error("igmp6Has(empty) = true")
	}
}
