package vrrp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGratuitousARPWireFormat(t *testing.T) {
	mac := net.HardwareAddr{0x56, 0x6c, 0xa0, 0x59, 0x89, 0x50}
	got, err := GratuitousARP(mac, netip.MustParseAddr("192.0.2.50"))
	if err != nil {
		t.Fatal(err)
	}
	// Built by hand from RFC 826 and the keepalived capture notes:
	// broadcast dst, interface MAC src, ethertype ARP, Ethernet/IPv4,
	// request, sender = target = VIP, target MAC broadcast.
	want := mustHex(t, "ffffffffffff"+"566ca0598950"+"0806"+
		"0001"+"0800"+"06"+"04"+"0001"+
		"566ca0598950"+"c0000232"+
		"ffffffffffff"+"c0000232")
	if !bytes.Equal(got, want) {
		t.Fatalf("frame\n got %x\nwant %x", got, want)
	}
	f, err := ParseARP(got)
	if err != nil {
		t.Fatal(err)
	}
	if !f.IsGratuitous() {
		t.Errorf("IsGratuitous() = false for %+v", f)
	}
}

func TestGratuitousARPErrors(t *testing.T) {
	good := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	tests := []struct {
		name string
		mac  net.HardwareAddr
		ip   netip.Addr
		want error
	}{
		{"short mac", net.HardwareAddr{1, 2, 3}, netip.MustParseAddr("192.0.2.1"), ErrARPHardware},
		{"eui64 mac", net.HardwareAddr{1, 2, 3, 4, 5, 6, 7, 8}, netip.MustParseAddr("192.0.2.1"), ErrARPHardware},
		{"ipv6", good, netip.MustParseAddr("2001:db8::1"), ErrARPAddress},
		{"4in6", good, netip.MustParseAddr("::ffff:192.0.2.1"), ErrARPAddress},
		{"zero addr", good, netip.Addr{}, ErrARPAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := GratuitousARP(tt.mac, tt.ip); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseARP(t *testing.T) {
	valid := mustHex(t, "ffffffffffff020000000001080600010800060400020200000000010a000001"+
		"0200000000020a000002")
	padded := append(append([]byte(nil), valid...), make([]byte, 18)...)
	ipv4 := mustHex(t, "ffffffffffff0200000000010800450000")
	badHType := append([]byte(nil), valid...)
	badHType[15] = 6
	badPLen := append([]byte(nil), valid...)
	badPLen[19] = 16

	reply := ARPFrame{
		EthDst:    EthernetBroadcast,
		EthSrc:    net.HardwareAddr{2, 0, 0, 0, 0, 1},
		Operation: ARPReply,
		SenderMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1},
		SenderIP:  netip.MustParseAddr("10.0.0.1"),
		TargetMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
		TargetIP:  netip.MustParseAddr("10.0.0.2"),
	}
	tests := []struct {
		name    string
		in      []byte
		want    ARPFrame
		wantErr error
	}{
		{name: "reply", in: valid, want: reply},
		{name: "ethernet padding ignored", in: padded, want: reply},
		{name: "empty", in: nil, wantErr: ErrARPShort},
		{name: "header only", in: valid[:14], wantErr: ErrARPShort},
		{name: "truncated arp", in: valid[:41], wantErr: ErrARPShort},
		{name: "ipv4 ethertype", in: ipv4, wantErr: ErrARPNotARP},
		{name: "token ring htype", in: badHType, wantErr: ErrARPUnsupported},
		{name: "ipv6 plen", in: badPLen, wantErr: ErrARPUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseARP(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("ParseARP (-want +got):\n%s", diff)
			}
			if got.IsGratuitous() {
				t.Errorf("a reply between two hosts is not gratuitous")
			}
		})
	}
}

func TestARPFrameRoundTrip(t *testing.T) {
	in := ARPFrame{
		EthDst:    net.HardwareAddr{1, 2, 3, 4, 5, 6},
		EthSrc:    net.HardwareAddr{7, 8, 9, 10, 11, 12},
		Operation: 0xbeef,
		SenderMAC: net.HardwareAddr{13, 14, 15, 16, 17, 18},
		SenderIP:  netip.MustParseAddr("198.51.100.7"),
		TargetMAC: net.HardwareAddr{19, 20, 21, 22, 23, 24},
		TargetIP:  netip.MustParseAddr("203.0.113.9"),
	}
	b, err := in.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != ARPFrameLen {
		t.Fatalf("len = %d, want %d", len(b), ARPFrameLen)
	}
	out, err := ParseARP(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
}
