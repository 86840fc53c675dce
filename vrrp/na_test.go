package vrrp

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
)

func TestUnsolicitedNA(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0x00, 0x5e, 0x00, 0x01, 0x33}
	target := netip.MustParseAddr("2001:db8::100")
	// RFC 4861 §4.4 laid out by hand, independent of the encoder: type
	// 136, code 0, checksum 0 (the kernel's), flags R|S|O = 0|0|1,
	// target, option 2 (target link-layer address), length 1 (8 bytes).
	want := []byte{
		136, 0, 0, 0,
		0x20, 0, 0, 0,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00,
		2, 1, 0x02, 0x00, 0x5e, 0x00, 0x01, 0x33,
	}
	got, err := UnsolicitedNA(mac, target, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UnsolicitedNA (-want +got):\n%s", diff)
	}
	routed, err := UnsolicitedNA(mac, target.WithZone("eth0"), true)
	if err != nil {
		t.Fatal(err)
	}
	if routed[4] != 0xa0 {
		t.Errorf("flags with router = %#x, want R|O = 0xa0", routed[4])
	}
	m, err := ndp.ParseMessage(routed)
	if err != nil {
		t.Fatal(err)
	}
	na, ok := m.(*ndp.NeighborAdvertisement)
	if !ok || !na.Router || na.Solicited || !na.Override || na.TargetAddress != target {
		t.Errorf("parsed back %+v, want R, O, not S, target %v", m, target)
	}
}

func TestUnsolicitedNAErrors(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	for _, tt := range []struct {
		name   string
		mac    net.HardwareAddr
		target netip.Addr
		want   error
	}{
		{"ipv4", mac, netip.MustParseAddr("192.0.2.1"), ErrNAAddress},
		{"mapped ipv4", mac, netip.MustParseAddr("::ffff:192.0.2.1"), ErrNAAddress},
		{"multicast", mac, netip.MustParseAddr("ff02::1"), ErrNAAddress},
		{"unspecified", mac, netip.IPv6Unspecified(), ErrNAAddress},
		{"zero", mac, netip.Addr{}, ErrNAAddress},
		{"short mac", mac[:4], netip.MustParseAddr("2001:db8::1"), ErrARPHardware},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := UnsolicitedNA(tt.mac, tt.target, false); !errors.Is(err, tt.want) {
				t.Errorf("UnsolicitedNA = %v, want %v", err, tt.want)
			}
		})
	}
}
