package vrrp

import (
	"fmt"
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

// FuzzIgmp6Has: any /proc/net/igmp6 content is read without panicking,
// and a line written for the group is always found.
func FuzzIgmp6Has(f *testing.F) {
	f.Add([]byte("5    v6a0            ff0200000000000000000001ff000100     1 00000004 0\n"), 5, []byte{0x01, 0x00})
	f.Add([]byte(""), 0, []byte{})
	f.Add([]byte("x y z\n\n-1 a b"), -1, []byte{0xff})
	f.Fuzz(func(t *testing.T, content []byte, ifindex int, low []byte) {
		var a [16]byte
		a[0], a[1] = 0x20, 0x01
		copy(a[13:], low)
		g := solicitedNode(netip.AddrFrom16(a))
		igmp6Has(content, ifindex, g)
		if ifindex < 0 {
			return
		}
		line := fmt.Sprintf("\n%d    eth0    %x     1 00000004 0\n", ifindex, g.AsSlice())
		if !igmp6Has(append(append([]byte(nil), content...), line...), ifindex, g) {
			t.Errorf("group %v on %d not found after %q", g, ifindex, line)
		}
	})
}
