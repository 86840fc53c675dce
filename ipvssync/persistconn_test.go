package ipvssync

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// destMsg builds a GET_DEST reply as the kernel sends it.
func destMsg(addr []byte, port uint16, persist uint32, fam uint16) []byte {
	var p [2]byte
	binary.BigEndian.PutUint16(p[:], port)
	d := attrs(nil).put(destAttrAddr, addr).put(destAttrPort|nlaFNetOrder, p[:]).u32(destAttrPersistConns, persist)
	if fam != 0 {
		d = d.u16(destAttrAddrFamily, fam)
	}
	return attrs(genlHeader(ipvsCmdGetDest)).put(ipvsCmdAttrDest|nlaFNested, d)
}

func TestMarshalGetDests(t *testing.T) {
	for _, tc := range []struct {
		k    ServiceKey
		want map[uint16]int // attribute -> length
	}{
		{ServiceKey{Family: FamilyIPv4, Proto: ProtoTCP, Addr: vip, Port: 80}, map[uint16]int{svcAttrAF: 2, svcAttrProtocol: 2, svcAttrAddr: 4, svcAttrPort: 2}},
		{ServiceKey{Family: FamilyIPv6, Proto: ProtoSCTP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 3868}, map[uint16]int{svcAttrAF: 2, svcAttrProtocol: 2, svcAttrAddr: 16, svcAttrPort: 2}},
		{ServiceKey{Family: FamilyIPv4, FWMark: 7}, map[uint16]int{svcAttrAF: 2, svcAttrFWMark: 4}},
	} {
		msg := MarshalGetDests(tc.k)
		if msg[0] != ipvsCmdGetDest || msg[1] != ipvsGenlVersion {
			t.Errorf("%v: genl header % x", tc.k, msg[:4])
		}
		top, err := parseAttrs(msg[4:])
		if err != nil {
			t.Fatal(err)
		}
		svc, err := parseAttrs(top[ipvsCmdAttrService])
		if err != nil {
			t.Fatal(err)
		}
		got := map[uint16]int{}
		for a, v := range svc {
			got[a] = len(v)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%v attributes (-want +got):\n%s", tc.k, d)
		}
		if p := svc[svcAttrPort]; p != nil && binary.BigEndian.Uint16(p) != tc.k.Port {
			t.Errorf("%v: port % x", tc.k, p)
		}
		if f := svc[svcAttrFWMark]; f != nil && binary.NativeEndian.Uint32(f) != tc.k.FWMark {
			t.Errorf("%v: fwmark % x", tc.k, f)
		}
	}
}

func TestUnmarshalDestPersistConns(t *testing.T) {
	v4 := append(netip.MustParseAddr("192.0.2.7").AsSlice(), make([]byte, 12)...) // union nf_inet_addr
	v6 := netip.MustParseAddr("2001:db8::7").AsSlice()
	for _, tc := range []struct {
		name    string
		msg     []byte
		fam     Family
		want    DestKey
		n       uint32
		wantErr bool
	}{
		{"ipv4", destMsg(v4, 80, 3, 0), FamilyIPv4, DestKey{netip.MustParseAddr("192.0.2.7"), 80}, 3, false},
		{"ipv6", destMsg(v6, 443, 70000, 10), FamilyIPv4, DestKey{netip.MustParseAddr("2001:db8::7"), 443}, 70000, false},
		{"short ipv6", destMsg(v6[:8], 443, 1, 10), FamilyIPv6, DestKey{}, 0, true},
		{"no count", attrs(genlHeader(ipvsCmdGetDest)).put(ipvsCmdAttrDest|nlaFNested, attrs(nil).put(destAttrAddr, v4)), FamilyIPv4, DestKey{}, 0, true},
		{"truncated", []byte{8, 1}, FamilyIPv4, DestKey{}, 0, true},
	} {
		k, n, err := UnmarshalDestPersistConns(tc.msg, tc.fam)
		if tc.wantErr {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: error %v, want ErrMalformed", tc.name, err)
			}
			continue
		}
		if err != nil || k != tc.want || n != tc.n {
			t.Errorf("%s: %v %d %v; want %v %d", tc.name, k, n, err, tc.want, tc.n)
		}
	}
}

func FuzzUnmarshalDestPersistConns(f *testing.F) {
	f.Add(destMsg([]byte{192, 0, 2, 7}, 80, 3, 2))
	f.Add(destMsg(netip.MustParseAddr("2001:db8::7").AsSlice(), 443, 1, 10))
	f.Fuzz(func(t *testing.T, msg []byte) {
		k, _, err := UnmarshalDestPersistConns(msg, FamilyIPv4)
		if err == nil && !k.Addr.IsValid() {
			t.Errorf("no error but no address")
		}
	})
}
