package vrrp

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// VRRPv3 adverts captured from keepalived 2.2.7 (vrrp_version 3, see
// docs/notes/vrrpv3.md), VRRP part only, with the IP addresses the
// checksum covers.
var keepalivedV3 = []struct {
	name     string
	src, dst string
	hex      string
	want     Advertisement
}{
	{
		name: "ipv4 multicast advert_int 0.1", src: "192.0.2.1", dst: "224.0.0.18",
		hex: "31 33 96 01 000a d3fd c0000232",
		want: Advertisement{Version: Version3, VRID: 51, Priority: 150, MaxAdvertInt: 10,
			Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.50")}},
	},
	{
		name: "ipv4 unicast advert_int 0.5", src: "192.0.2.1", dst: "192.0.2.2",
		hex: "31 35 78 01 0032 0fe1 c0000235",
		want: Advertisement{Version: Version3, VRID: 53, Priority: 120, MaxAdvertInt: 50,
			Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.53")}},
	},
	{
		name: "ipv6 multicast advert_int 1", src: "fe80::58c7:fbff:fe09:3b60", dst: "ff02::12",
		hex: "31 34 96 01 0064 7e0d 20010db8000000000000000000000050",
		want: Advertisement{Version: Version3, VRID: 52, Priority: 150, MaxAdvertInt: 100,
			Addresses: []netip.Addr{netip.MustParseAddr("2001:db8::50")}},
	},
}

func TestKeepalivedV3Vectors(t *testing.T) {
	for _, tc := range keepalivedV3 {
		t.Run(tc.name, func(t *testing.T) {
			b := advHex(t, tc.hex)
			src, dst := netip.MustParseAddr(tc.src), netip.MustParseAddr(tc.dst)
			var got Advertisement
			if err := got.DecodePacket(b, src, dst); err != nil {
				t.Fatalf("DecodePacket: %v", err)
			}
			if d := cmp.Diff(tc.want, got, cmpAddr); d != "" {
				t.Errorf("decoded (-want +got):\n%s", d)
			}
			enc, err := tc.want.AppendPacket(nil, src, dst)
			if err != nil {
				t.Fatalf("AppendPacket: %v", err)
			}
			if d := cmp.Diff(b, enc); d != "" {
				t.Errorf("encoded differs from keepalived's bytes (-want +got):\n%s", d)
			}
			if len(enc) != tc.want.Len() {
				t.Errorf("Len() %d, encoded %d", tc.want.Len(), len(enc))
			}
			// The checksum covers the pseudo-header: another
			// destination makes the same bytes fail.
			other := netip.MustParseAddr("192.0.2.99")
			if src.Is6() {
				other = netip.MustParseAddr("fe80::99")
			}
			if err := got.DecodePacket(b, src, other); !errors.Is(err, ErrChecksum) {
				t.Errorf("decoded with a wrong destination: err %v, want %v", err, ErrChecksum)
			}
		})
	}
}

// TestV2Unchanged: the version-agnostic entry points give VRRPv2 exactly
// what MarshalBinary and UnmarshalBinary give.
func TestV2Unchanged(t *testing.T) {
	b := advHex(t, keepalivedAdvert)
	var a Advertisement
	if err := a.DecodePacket(b, netip.Addr{}, netip.Addr{}); err != nil {
		t.Fatal(err)
	}
	enc, err := a.AppendPacket(nil, netip.MustParseAddr("192.0.2.1"), GroupAddr)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(b, enc); d != "" {
		t.Errorf("v2 through AppendPacket (-want +got):\n%s", d)
	}
}

func TestV3Errors(t *testing.T) {
	v4src, v4dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("224.0.0.18")
	v6src, v6dst := netip.MustParseAddr("fe80::1"), netip.MustParseAddr("ff02::12")
	good := advHex(t, keepalivedV3[0].hex)
	mod := func(f func(b []byte) []byte) []byte {
		b := append([]byte(nil), good...)
		b = f(b)
		b[6], b[7] = 0, 0
		c := checksumV3(b, v4src, v4dst)
		b[6], b[7] = byte(c>>8), byte(c)
		return b
	}
	decode := map[string]struct {
		b        []byte
		src, dst netip.Addr
		want     error
	}{
		"empty":             {nil, v4src, v4dst, ErrTooShort},
		"7 bytes":           {good[:7], v4src, v4dst, ErrTooShort},
		"version 4":         {mod(func(b []byte) []byte { b[0] = 0x41; return b }), v4src, v4dst, ErrVersion},
		"version 1":         {mod(func(b []byte) []byte { b[0] = 0x11; return b }), v4src, v4dst, ErrVersion},
		"type 2":            {mod(func(b []byte) []byte { b[0] = 0x32; return b }), v4src, v4dst, ErrType},
		"count too big":     {mod(func(b []byte) []byte { b[3] = 2; return b }), v4src, v4dst, ErrLength},
		"count zero":        {mod(func(b []byte) []byte { b[3] = 0; return b }), v4src, v4dst, ErrLength},
		"trailing byte":     {mod(func(b []byte) []byte { return append(b, 0) }), v4src, v4dst, ErrLength},
		"v2 auth trailer":   {mod(func(b []byte) []byte { return append(b, make([]byte, 8)...) }), v4src, v4dst, ErrLength},
		"ipv6 sizes":        {good, v6src, v6dst, ErrLength},
		"checksum":          {append(append([]byte(nil), good[:7]...), good[7]+1, good[8], good[9], good[10], good[11]), v4src, v4dst, ErrChecksum},
		"no destination":    {good, v4src, netip.Addr{}, ErrPseudoHeader},
		"mixed families":    {good, v4src, v6dst, ErrPseudoHeader},
		"v2 checksum on v3": {mod(func(b []byte) []byte { return b }), v4src, netip.MustParseAddr("224.0.0.19"), ErrChecksum},
	}
	for name, tc := range decode {
		t.Run("decode "+name, func(t *testing.T) {
			var a Advertisement
			if err := a.DecodePacket(tc.b, tc.src, tc.dst); !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
	v3 := func(addrs ...string) Advertisement {
		a := Advertisement{Version: Version3, VRID: 1, Priority: 100, MaxAdvertInt: 100}
		for _, s := range addrs {
			a.Addresses = append(a.Addresses, netip.MustParseAddr(s))
		}
		return a
	}
	big := v3()
	big.MaxAdvertInt = 4096
	encode := map[string]struct {
		a        Advertisement
		src, dst netip.Addr
		want     error
	}{
		"ipv6 vip over ipv4": {v3("2001:db8::1"), v4src, v4dst, ErrAddressFamily},
		"ipv4 vip over ipv6": {v3("192.0.2.1"), v6src, v6dst, ErrAddressFamily},
		"interval 4096":      {big, v4src, v4dst, ErrInterval},
		"no source":          {v3("192.0.2.1"), netip.Addr{}, v4dst, ErrPseudoHeader},
	}
	for name, tc := range encode {
		t.Run("encode "+name, func(t *testing.T) {
			if _, err := tc.a.AppendPacket(nil, tc.src, tc.dst); !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
	one := v3("192.0.2.1")
	if _, err := one.MarshalBinary(); !errors.Is(err, ErrPseudoHeader) {
		t.Errorf("MarshalBinary of v3: err %v, want %v", err, ErrPseudoHeader)
	}
}

// FuzzDecodePacket checks that decoding either version never panics and
// that whatever decodes re-encodes, with the same addresses, to bytes
// that decode to the same value.
func FuzzDecodePacket(f *testing.F) {
	for _, v := range keepalivedV3 {
		f.Add(advHex(f, v.hex), netip.MustParseAddr(v.src).AsSlice(), netip.MustParseAddr(v.dst).AsSlice())
	}
	f.Add(advHex(f, keepalivedAdvert), []byte{192, 0, 2, 1}, []byte{224, 0, 0, 18})
	f.Add([]byte{0x31}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, b, s, d []byte) {
		src, _ := netip.AddrFromSlice(s)
		dst, _ := netip.AddrFromSlice(d)
		var a Advertisement
		if err := a.DecodePacket(b, src, dst); err != nil {
			return
		}
		enc, err := a.AppendPacket(nil, src, dst)
		if err != nil {
			t.Fatalf("decoded %+v but cannot encode: %v", a, err)
		}
		if len(enc) != len(b) {
			t.Fatalf("re-encoded length %d, input %d", len(enc), len(b))
		}
		var again Advertisement
		if err := again.DecodePacket(enc, src, dst); err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", enc, err)
		}
		if d := cmp.Diff(a, again, cmpAddr); d != "" {
			t.Fatalf("round trip (-first +second):\n%s", d)
		}
	})
}
