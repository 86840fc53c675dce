package ipvssync

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/ipvs"
)

// The adapter's conversions to and from moby/ipvs: what the kernel
// receives (an IPv4 netmask as a mask in moby/ipvs' host byte order, an
// IPv6 one as a prefix length, a firewall-mark service without address)
// and that reading it back gives the same value, with the kernel's hashed
// flag still set for Read to mask.
func TestMobyConversion(t *testing.T) {
	v6 := netip.MustParseAddr("2001:db8::50")
	tests := []struct {
		name     string
		svc      Service
		wantMask []byte // IPv4: the mask bytes in network order; IPv6: the prefix length, little-endian
	}{
		{"ipv4 /24", Service{Key: key, Scheduler: "sh", Flags: FlagPersistent, Timeout: 300, Netmask: 24},
			[]byte{255, 255, 255, 0}},
		{"ipv4 /32", Service{Key: key, Scheduler: "rr", Netmask: 32}, []byte{255, 255, 255, 255}},
		{"ipv6 /64", Service{Key: ServiceKey{Family: FamilyIPv6, Proto: ProtoUDP, Addr: v6, Port: 53}, Scheduler: "rr", Netmask: 64},
			[]byte{64, 0, 0, 0}},
		{"fwmark", Service{Key: ServiceKey{Family: FamilyIPv4, FWMark: 42}, Scheduler: "wrr", Netmask: 32},
			[]byte{255, 255, 255, 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := serviceToIPVS(tt.svc)
			var mask []byte
			if tt.svc.Key.Family == FamilyIPv6 {
				mask = []byte{byte(m.Netmask), byte(m.Netmask >> 8), byte(m.Netmask >> 16), byte(m.Netmask >> 24)}
			} else {
				mask = binary.NativeEndian.AppendUint32(nil, m.Netmask)
			}
			if d := cmp.Diff(tt.wantMask, mask); d != "" {
				t.Errorf("netmask bytes (-want +got):\n%s", d)
			}
			if tt.svc.Key.FWMark != 0 && (m.Address != nil || m.Port != 0 || m.Protocol != 0) {
				t.Errorf("fwmark service carries address %v port %d proto %d", m.Address, m.Port, m.Protocol)
			}
			m.Flags |= FlagHashed // as the kernel reports it
			got, err := serviceFromIPVS(m)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.svc
			want.Flags |= FlagHashed
			if d := cmp.Diff(want, got, addrCmp); d != "" {
				t.Errorf("read back (-want +got):\n%s", d)
			}
		})
	}
}

func TestMobyDestConversion(t *testing.T) {
	for _, d := range []Destination{
		{Addr: rs1, Port: 80, Weight: 2, Forward: ForwardMasq},
		{Addr: rs2, Port: 80, Forward: ForwardDR, Upper: 9, Lower: 3},
		{Addr: netip.MustParseAddr("2001:db8::7"), Port: 53, Weight: 1, Forward: ForwardTunnel},
	} {
		m := destToIPVS(d)
		if want := uint16(familyOf(d.Addr)); m.AddressFamily != want {
			t.Errorf("%s: family %d, want %d", d.Key(), m.AddressFamily, want)
		}
		if !m.Address.Equal(net.IP(d.Addr.AsSlice())) || m.ConnectionFlags != uint32(d.Forward) {
			t.Errorf("%s: to moby %+v", d.Key(), m)
		}
		m.ActiveConnections, m.InactiveConnections = 4, 1
		m.ConnectionFlags |= 0x100 // a flag outside the forwarding mask
		got, err := destFromIPVS(m)
		if err != nil {
			t.Fatal(err)
		}
		want := d
		want.ActiveConns, want.InactConns = 4, 1
		if diff := cmp.Diff(want, got, addrCmp); diff != "" {
			t.Errorf("%s: read back (-want +got):\n%s", d.Key(), diff)
		}
	}
	// A mapped IPv4 address, as net.IP often holds one, reads back as
	// plain IPv4.
	got, err := destFromIPVS(&ipvs.Destination{Address: net.ParseIP("192.0.2.7"), Port: 80})
	if err != nil || got.Addr != netip.MustParseAddr("192.0.2.7") {
		t.Errorf("mapped address read back as %v, %v", got.Addr, err)
	}
}
