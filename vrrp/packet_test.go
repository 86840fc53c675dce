package vrrp

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// keepaliveAdvert is the VRRP part of an advert captured from keepalived
// 2.2.7 (see docs/notes/keepalived.md): VRID 51, priority
// 150, auth PASS "pw12", advert_int 1, VIP 192.0.2.50.
const keepalivedAdvert = "21 33 96 01 01 01 e3ed c0000232 70773132 00000000"

func advHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var cmpAddr = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func TestKeepalivedVector(t *testing.T) {
	b := advHex(t, keepalivedAdvert)
	want := Advertisement{
		VRID: 51, Priority: 150, AuthType: AuthSimple, AdvertInt: 1,
		Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.50")},
		AuthData:  AuthPassword("pw12"),
	}
	var got Advertisement
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatalf("UnmarshalBinary: %v", err)
	}
	if d := cmp.Diff(want, got, cmpAddr); d != "" {
		t.Errorf("decoded (-want +got):\n%s", d)
	}
	enc, err := want.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary: %v", err)
	}
	if d := cmp.Diff(b, enc); d != "" {
		t.Errorf("encoded differs from keepalived's bytes (-want +got):\n%s", d)
	}
	// The priority-0 advert on graceful stop is the same with priority 0.
	want.Priority = PriorityStop
	enc, _ = want.MarshalBinary()
	if enc[2] != 0 || Checksum(enc) != 0 {
		t.Errorf("priority-0 advert %x: bad priority or checksum", enc)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, a := range []Advertisement{
		{VRID: 1, Priority: 100, AdvertInt: 1},
		{VRID: 255, Priority: 255, AdvertInt: 255, AuthType: AuthSimple, AuthData: AuthPassword("12345678")},
		{VRID: 7, Priority: 0, AdvertInt: 3, Addresses: []netip.Addr{
			netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("0.0.0.0"),
		}},
	} {
		b, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != a.Len() {
			t.Errorf("len %d, Len() %d", len(b), a.Len())
		}
		var got Advertisement
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("UnmarshalBinary(%x): %v", b, err)
		}
		if d := cmp.Diff(a, got, cmpAddr); d != "" {
			t.Errorf("round trip (-want +got):\n%s", d)
		}
	}
}

func TestMarshalErrors(t *testing.T) {
	many := make([]netip.Addr, 256)
	for i := range many {
		many[i] = netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
	}
	for name, tc := range map[string]struct {
		a    Advertisement
		want error
	}{
		"too many": {Advertisement{Addresses: many}, ErrTooManyAddresses},
		"ipv6":     {Advertisement{Addresses: []netip.Addr{netip.MustParseAddr("2001:db8::1")}}, ErrAddressNotIPv4},
		"zero":     {Advertisement{Addresses: []netip.Addr{{}}}, ErrAddressNotIPv4},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := tc.a.MarshalBinary(); !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	good := advHex(t, keepalivedAdvert)
	mod := func(f func(b []byte) []byte) []byte {
		b := append([]byte(nil), good...)
		return f(b)
	}
	fix := func(b []byte) []byte { // recompute the checksum after editing
		b[6], b[7] = 0, 0
		c := Checksum(b)
		b[6], b[7] = byte(c>>8), byte(c)
		return b
	}
	for name, tc := range map[string]struct {
		b    []byte
		want error
	}{
		"empty":          {nil, ErrTooShort},
		"7 bytes":        {good[:7], ErrTooShort},
		"header only":    {good[:8], ErrTooShort},
		"version 3":      {mod(func(b []byte) []byte { b[0] = 0x31; return fix(b) }), ErrVersion},
		"type 2":         {mod(func(b []byte) []byte { b[0] = 0x22; return fix(b) }), ErrType},
		"count too big":  {mod(func(b []byte) []byte { b[3] = 2; return fix(b) }), ErrLength},
		"count too smal": {mod(func(b []byte) []byte { b[3] = 0; return fix(b) }), ErrLength},
		"trailing byte":  {mod(func(b []byte) []byte { return append(b, 0) }), ErrLength},
		"truncated auth": {good[:len(good)-1], ErrLength},
		"checksum":       {mod(func(b []byte) []byte { b[7]++; return b }), ErrChecksum},
		"flipped vip":    {mod(func(b []byte) []byte { b[11] ^= 1; return b }), ErrChecksum},
	} {
		t.Run(name, func(t *testing.T) {
			var a Advertisement
			if err := a.UnmarshalBinary(tc.b); !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestChecksumOddLength(t *testing.T) {
	// RFC 1071: an odd trailing byte is padded with zero on the right.
	if got, want := Checksum([]byte{0x01, 0x02, 0x03}), ^uint16(0x0102+0x0300); got != want {
		t.Errorf("got %#04x, want %#04x", got, want)
	}
}

// FuzzUnmarshal checks that decoding never panics and that whatever
// decodes re-encodes to a message that decodes to the same value (the
// bytes may differ only where the checksum has two valid encodings).
func FuzzUnmarshal(f *testing.F) {
	f.Add(advHex(f, keepalivedAdvert))
	f.Add(advHex(f, "21 01 64 00 00 01 0000 0000000000000000"))
	f.Add([]byte{0x21})
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Advertisement
		if err := a.UnmarshalBinary(b); err != nil {
			return
		}
		enc, err := a.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded %+v but cannot encode: %v", a, err)
		}
		if len(enc) != len(b) {
			t.Fatalf("re-encoded length %d, input %d", len(enc), len(b))
		}
		var again Advertisement
		if err := again.UnmarshalBinary(enc); err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", enc, err)
		}
		if d := cmp.Diff(a, again, cmpAddr); d != "" {
			t.Fatalf("round trip (-first +second):\n%s", d)
		}
	})
}
