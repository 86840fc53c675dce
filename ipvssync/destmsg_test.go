package ipvssync

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// kernelDest builds a GET_DEST reply the way the kernel's
// ip_vs_genl_fill_dest does: a 16-byte address union, every counter, and
// (Linux 5.2+) the tunnel attributes for every destination.
func kernelDest(d Destination) []byte {
	a := d.Addr.As16()
	addr := a[:]
	fam := FamilyIPv6
	if d.Addr.Is4() {
		a4 := d.Addr.As4()
		addr = append(a4[:], make([]byte, 12)...)
		fam = FamilyIPv4
	}
	in := attrs(nil).put(destAttrAddr, addr).
		put(destAttrPort|nlaFNetOrder, be16(d.Port)).
		u32(destAttrFwdMethod, uint32(d.Forward)).
		u32(destAttrWeight, uint32(d.Weight)).
		put(destAttrTunType, []byte{byte(d.TunType)}).
		put(destAttrTunPort|nlaFNetOrder, be16(d.TunPort)).
		u16(destAttrTunFlags, d.TunFlags).
		u32(destAttrUThresh, d.Upper).
		u32(destAttrLThresh, d.Lower).
		u32(destAttrActiveConns, uint32(d.ActiveConns)).
		u32(destAttrInactConns, uint32(d.InactConns)).
		u32(destAttrPersistConns, 0).
		u16(destAttrAddrFamily, uint16(fam))
	return attrs(genlHeader(ipvsCmdNewDest)).put(ipvsCmdAttrDest|nlaFNested, in)
}

func TestMarshalDest(t *testing.T) {
	gue := Destination{Addr: netip.MustParseAddr("198.51.100.7"), Port: 80, Weight: 3, Forward: ForwardTunnel,
		Upper: 100, Lower: 50, TunType: TunnelGUE, TunPort: 6080, TunFlags: TunFlagCsum | TunFlagRemCsum}
	svc := ServiceKey{Family: FamilyIPv4, Proto: ProtoTCP, Addr: vip, Port: 80}
	for _, tc := range []struct {
		name   string
		update bool
		d      Destination
		cmd    uint8
		tun    bool
	}{
		{"gue add", false, gue, ipvsCmdNewDest, true},
		{"gue set", true, gue, ipvsCmdSetDest, true},
		{"route has no tunnel attributes", false, Destination{Addr: gue.Addr, Port: 80, Weight: 1, Forward: ForwardDR, TunType: TunnelGRE}, ipvsCmdNewDest, false},
		{"ipv6 gre", true, Destination{Addr: netip.MustParseAddr("2001:db8::9"), Port: 80, Weight: 1, Forward: ForwardTunnel, TunType: TunnelGRE}, ipvsCmdSetDest, true},
	} {
		msg := MarshalDest(tc.update, svc, tc.d)
		if msg[0] != tc.cmd || msg[1] != ipvsGenlVersion {
			t.Errorf("%s: genl header % x", tc.name, msg[:4])
		}
		top, err := parseAttrs(msg[4:])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseAttrs(top[ipvsCmdAttrService]); err != nil || top[ipvsCmdAttrService] == nil {
			t.Errorf("%s: service attribute %v", tc.name, err)
		}
		a, err := parseAttrs(top[ipvsCmdAttrDest])
		if err != nil {
			t.Fatal(err)
		}
		for _, req := range []uint16{destAttrAddr, destAttrPort, destAttrFwdMethod, destAttrWeight, destAttrUThresh, destAttrLThresh} {
			if a[req] == nil {
				t.Errorf("%s: required attribute %d missing", tc.name, req)
			}
		}
		if _, has := a[destAttrTunType]; has != tc.tun {
			t.Errorf("%s: tunnel type present %v, want %v", tc.name, has, tc.tun)
		}
		if !tc.tun {
			continue
		}
		if a[destAttrTunType][0] != byte(tc.d.TunType) || binary.BigEndian.Uint16(a[destAttrTunPort]) != tc.d.TunPort ||
			binary.NativeEndian.Uint16(a[destAttrTunFlags]) != tc.d.TunFlags {
			t.Errorf("%s: tunnel attributes % x % x % x", tc.name, a[destAttrTunType], a[destAttrTunPort], a[destAttrTunFlags])
		}
		// What was written decodes to what was meant (the kernel's reply
		// carries the same attributes, so UnmarshalDest reads it alike).
		got, err := UnmarshalDest(msg, svc.Family)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.d, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestUnmarshalDest(t *testing.T) {
	ac := cmp.Comparer(func(a, b netip.Addr) bool { return a == b })
	for _, tc := range []struct {
		name string
		d    Destination
	}{
		{"gue v4", Destination{Addr: netip.MustParseAddr("198.51.100.7"), Port: 80, Weight: 2, Forward: ForwardTunnel,
			TunType: TunnelGUE, TunPort: 5555, TunFlags: TunFlagCsum, ActiveConns: 4, InactConns: 9, Upper: 10, Lower: 5}},
		{"gre v6", Destination{Addr: netip.MustParseAddr("2001:db8::7"), Port: 443, Weight: 0, Forward: ForwardTunnel, TunType: TunnelGRE}},
		{"masq", Destination{Addr: netip.MustParseAddr("198.51.100.8"), Port: 8080, Weight: 1, Forward: ForwardMasq}},
	} {
		got, err := UnmarshalDest(kernelDest(tc.d), FamilyIPv4)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.d, got, ac); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	for _, bad := range [][]byte{
		{1, 2},
		attrs(genlHeader(ipvsCmdNewDest)).put(ipvsCmdAttrDest|nlaFNested, attrs(nil).put(destAttrAddr, []byte{192, 0, 2, 1})),
		destMsg(netip.MustParseAddr("2001:db8::7").AsSlice()[:8], 443, 1, 10),
	} {
		if _, err := UnmarshalDest(bad, FamilyIPv4); !errors.Is(err, ErrMalformed) {
			t.Errorf("UnmarshalDest(% x) = %v, want ErrMalformed", bad, err)
		}
	}
}

func FuzzUnmarshalDest(f *testing.F) {
	f.Add(kernelDest(Destination{Addr: netip.MustParseAddr("198.51.100.7"), Port: 80, Forward: ForwardTunnel, TunType: TunnelGUE, TunPort: 6080}))
	f.Add(kernelDest(Destination{Addr: netip.MustParseAddr("2001:db8::7"), Port: 443, Forward: ForwardDR}))
	f.Fuzz(func(t *testing.T, msg []byte) {
		d, err := UnmarshalDest(msg, FamilyIPv4)
		if err != nil {
			return
		}
		if !d.Addr.IsValid() {
			t.Fatal("no error but no address")
		}
		// A decoded destination marshals and decodes to itself.
		d.ActiveConns, d.InactConns = 0, 0
		back, err := UnmarshalDest(MarshalDest(false, ServiceKey{Family: FamilyIPv4, FWMark: 1}, d), FamilyIPv4)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if d.Forward != ForwardTunnel {
			d.TunType, d.TunPort, d.TunFlags = 0, 0, 0
		}
		if back != d {
			t.Fatalf("round trip: %+v != %+v", back, d)
		}
	})
}

// FormatSave writes the options that make ipvsadm -R restore a tunnel;
// plain IPIP lines are unchanged.
func TestFormatSaveTunnel(t *testing.T) {
	key := ServiceKey{Family: FamilyIPv4, Proto: ProtoTCP, Addr: vip, Port: 80}
	tab := Table{key: {Service: Service{Key: key, Scheduler: "rr"}, Dests: map[DestKey]Destination{
		{rs1, 80}: {Addr: rs1, Port: 80, Weight: 1, Forward: ForwardTunnel, TunType: TunnelGUE, TunPort: 6080, TunFlags: TunFlagRemCsum},
		{rs2, 80}: {Addr: rs2, Port: 80, Weight: 1, Forward: ForwardTunnel, TunType: TunnelGRE, TunFlags: TunFlagCsum},
		{rs3, 80}: {Addr: rs3, Port: 80, Weight: 1, Forward: ForwardTunnel},
	}}}
	var b strings.Builder
	if err := FormatSave(&b, tab); err != nil {
		t.Fatal(err)
	}
	want := "-A -t 192.0.2.50:80 -s rr\n" +
		"-a -t 192.0.2.50:80 -r 192.0.2.7:80 -i -w 1 -x 0 -y 0 --tun-type gue --tun-port 6080 --tun-remcsum\n" +
		"-a -t 192.0.2.50:80 -r 192.0.2.8:80 -i -w 1 -x 0 -y 0 --tun-type gre --tun-csum\n" +
		"-a -t 192.0.2.50:80 -r 192.0.2.9:80 -i -w 1 -x 0 -y 0\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("FormatSave (-want +got):\n%s", diff)
	}
}
