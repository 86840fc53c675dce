package lab

import (
	"bytes"
	"encoding/hex"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// keepalivedAdvert is a frame keepalived 2.2.7 sent (docs/notes/
// keepalived.md): priority 150, VRID 51, PASS "pw12", one VIP.
const keepalivedAdvert = "01005e000012 566ca0598950 0800 45c0 0028 0002 0000 ff70 1886 c000020b e0000012 " +
	"21 33 96 01 01 01 e3ed c0000232 70773132 00000000"

func TestAdvertMatchesKeepalived(t *testing.T) {
	want, err := hex.DecodeString(strings.ReplaceAll(keepalivedAdvert, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	src, _ := net.ParseMAC("56:6c:a0:59:89:50")
	a := Advert{VRID: 51, Priority: 150, Count: -1, AuthType: 1, AdvertInt: 1,
		VIPs: []netip.Addr{VIP}, AuthData: PassAuth("pw12")}
	got := Ethernet(VRRPMulticastMAC, src, 0x0800,
		IPv4(netip.MustParseAddr("192.0.2.11"), VRRPMulticast, 255, 112, 2, a.Marshal()))
	if !bytes.Equal(got, want) {
		t.Fatalf("frame mismatch\n got %x\nwant %x", got, want)
	}

	f, ok := ParseFrame(want)
	if !ok || f.VRRP == nil {
		t.Fatalf("ParseFrame(keepalived advert) = %+v, %v", f, ok)
	}
	wantSeen := &SeenAdvert{Src: netip.MustParseAddr("192.0.2.11"), Dst: VRRPMulticast, TTL: 255, TOS: 0xc0,
		Version: 2, Type: 1, VRID: 51, Priority: 150, Count: 1, AuthType: 1, AdvertInt: 1,
		VIPs: []netip.Addr{VIP}, AuthData: PassAuth("pw12")}
	if diff := cmp.Diff(wantSeen, f.VRRP, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("parsed advert mismatch (-want +got):\n%s", diff)
	}
}

func TestAdvertMalformations(t *testing.T) {
	base := Advert{VRID: 51, Priority: 150, Count: -1, AuthType: 1, AdvertInt: 1,
		VIPs: []netip.Addr{VIP}, AuthData: PassAuth("pw12")}
	good := base.Marshal()
	if Checksum(good) != 0 {
		t.Fatalf("good advert does not checksum to zero: %x", good)
	}
	bad := base
	bad.BadChecksum = true
	if Checksum(bad.Marshal()) == 0 {
		t.Error("BadChecksum advert checksums to zero")
	}
	v3 := base
	v3.Version = 3
	if b := v3.Marshal(); b[0] != 0x31 || Checksum(b) != 0 {
		t.Errorf("version 3 advert = %x", b)
	}
	c2 := base
	c2.Count = 2
	if b := c2.Marshal(); b[3] != 2 || len(b) != len(good) {
		t.Errorf("count-2 advert = %x", b)
	}
}

func TestParseGARP(t *testing.T) {
	mac, _ := net.ParseMAC("56:6c:a0:59:89:50")
	arp := []byte{0, 1, 8, 0, 6, 4, 0, 1}
	arp = append(arp, mac...)
	arp = append(arp, 192, 0, 2, 50)
	arp = append(arp, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	arp = append(arp, 192, 0, 2, 50)
	frame := Ethernet(net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, mac, 0x0806, arp)
	f, ok := ParseFrame(frame)
	if !ok || f.ARP == nil || f.ARP.Op != 1 || !f.ARP.SenderIP.Equal(net.IPv4(192, 0, 2, 50)) ||
		f.ARP.SenderMAC.String() != mac.String() || !f.ARP.TargetIP.Equal(net.IPv4(192, 0, 2, 50)) {
		t.Errorf("ParseFrame(GARP) = %+v %+v, %v", f, f.ARP, ok)
	}
	if _, ok := ParseFrame(frame[:20]); ok {
		t.Error("truncated ARP parsed")
	}
}

func FuzzParseFrame(f *testing.F) {
	b, _ := hex.DecodeString(strings.ReplaceAll(keepalivedAdvert, " ", ""))
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseFrame(b) // must not panic on any input
	})
}

// TestAdvertV3Keepalived checks the independent VRRPv3 encoder against
// an advert captured from keepalived 2.2.7 (docs/notes/vrrpv3.md).
func TestAdvertV3Keepalived(t *testing.T) {
	a := AdvertV3{VRID: 51, Priority: 150, Count: -1, MaxAdvertInt: 10, VIPs: []netip.Addr{netip.MustParseAddr("192.0.2.50")}}
	got := a.Marshal(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("224.0.0.18"))
	want := []byte{0x31, 0x33, 0x96, 0x01, 0x00, 0x0a, 0xd3, 0xfd, 192, 0, 2, 50}
	if !bytes.Equal(got, want) {
		t.Errorf("got % x, want % x", got, want)
	}
	a6 := AdvertV3{VRID: 52, Priority: 150, Count: -1, MaxAdvertInt: 100, VIPs: []netip.Addr{netip.MustParseAddr("2001:db8::50")}}
	got = a6.Marshal(netip.MustParseAddr("fe80::58c7:fbff:fe09:3b60"), netip.MustParseAddr("ff02::12"))
	if got[6] != 0x7e || got[7] != 0x0d {
		t.Errorf("ipv6 checksum % x, want 7e 0d", got[6:8])
	}
}

// ipv6Packet is an IPv6 header (hop limit 255, no extension headers)
// followed by body.
func ipv6Packet(next byte, src, dst netip.Addr, body []byte) []byte {
	h := []byte{0x6c, 0, 0, 0, byte(len(body) >> 8), byte(len(body)), next, 255}
	h = append(h, src.AsSlice()...)
	h = append(h, dst.AsSlice()...)
	return append(h, body...)
}

// addrEq compares netip.Addr by value (cmp cannot see inside it).
var addrEq = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func TestParseIPv6(t *testing.T) {
	mac, _ := net.ParseMAC("56:6c:a0:59:89:50")
	src, group := netip.MustParseAddr("fe80::1"), netip.MustParseAddr("ff02::12")
	vip := netip.MustParseAddr("2001:db8:50::100")

	adv := AdvertV3{VRID: 61, Priority: 150, Count: -1, MaxAdvertInt: 10, VIPs: []netip.Addr{vip}}.Marshal(src, group)
	f, ok := ParseFrame(Ethernet(net.HardwareAddr{0x33, 0x33, 0, 0, 0, 0x12}, mac, 0x86dd, ipv6Packet(112, src, group, adv)))
	want := &SeenAdvert{Src: src, Dst: group, TTL: 255, TOS: 0xc0, Version: 3, Type: 1, VRID: 61, Priority: 150, Count: 1, VIPs: []netip.Addr{vip}}
	if !ok || f.SrcMAC.String() != mac.String() {
		t.Fatalf("ParseFrame(v3 advert) = %+v, %v", f, ok)
	}
	if diff := cmp.Diff(want, f.VRRP, addrEq); diff != "" {
		t.Errorf("v3 advert over IPv6 (-want +got):\n%s", diff)
	}

	all := netip.MustParseAddr("ff02::1")
	na := []byte{136, 0, 0, 0, 0x20, 0, 0, 0}
	na = append(na, vip.AsSlice()...)
	na = append(na, 2, 1)
	na = append(na, mac...)
	f, ok = ParseFrame(Ethernet(net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}, mac, 0x86dd, ipv6Packet(58, src, all, na)))
	wantNA := &SeenNA{Src: src, Dst: all, Target: vip, Override: true}
	if !ok {
		t.Fatalf("ParseFrame(NA) = %+v, %v", f, ok)
	}
	if diff := cmp.Diff(wantNA, f.NA, addrEq); diff != "" {
		t.Errorf("NA (-want +got):\n%s", diff)
	}

	na[0] = 135 // a solicitation is not recorded
	if f, ok := ParseFrame(Ethernet(mac, mac, 0x86dd, ipv6Packet(58, src, all, na))); ok {
		t.Errorf("neighbour solicitation parsed as %+v", f)
	}
	if _, ok := ParseFrame(Ethernet(mac, mac, 0x86dd, ipv6Packet(58, src, all, na)[:44])); ok {
		t.Error("truncated IPv6 packet parsed")
	}
}
