package vrrp

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"syscall"
	"testing"
)

// nlAttr is one rtattr of a test dump.
type nlAttr struct {
	typ uint16
	val []byte
}

// nlAddrMsg encodes one RTM_NEWADDR message.
func nlAddrMsg(family, flags uint8, index uint32, attrs ...nlAttr) []byte {
	ne := binary.NativeEndian
	p := []byte{family, 32, flags, 0, 0, 0, 0, 0}
	ne.PutUint32(p[4:], index)
	for _, a := range attrs {
		h := make([]byte, 4)
		ne.PutUint16(h[0:], uint16(4+len(a.val)))
		ne.PutUint16(h[2:], a.typ)
		p = append(p, h...)
		p = append(p, a.val...)
		for len(p)%4 != 0 {
			p = append(p, 0)
		}
	}
	return nlMsg(rtmNewAddr, p)
}

func nlMsg(typ uint16, payload []byte) []byte {
	ne := binary.NativeEndian
	h := make([]byte, nlmsgHdrLen)
	ne.PutUint32(h[0:], uint32(nlmsgHdrLen+len(payload)))
	ne.PutUint16(h[4:], typ)
	return append(h, payload...)
}

func nlDone(code int32) []byte {
	p := make([]byte, 4)
	binary.NativeEndian.PutUint32(p, uint32(code))
	return nlMsg(nlmsgDone, p)
}

func ip4(s string) []byte { a := netip.MustParseAddr(s).As4(); return a[:] }

func TestPrimaryScan(t *testing.T) {
	local := func(s string) nlAttr { return nlAttr{ifaLocal, ip4(s)} }
	address := func(s string) nlAttr { return nlAttr{ifaAddress, ip4(s)} }
	label := nlAttr{3, []byte("eth0\x00")}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	for _, tc := range []struct {
		name   string
		chunks [][]byte
		want   string // "" for none
		err    error
	}{
		{"first primary of the interface", [][]byte{cat(
			nlAddrMsg(afInet, 0, 1, local("127.0.0.1"), address("127.0.0.1")),
			nlAddrMsg(afInet, ifaFSecondary, 2, local("192.0.2.9"), address("192.0.2.9")),
			nlAddrMsg(afInet, 0, 2, address("192.0.2.1"), local("192.0.2.1"), label),
			nlAddrMsg(afInet, 0, 2, local("192.0.2.50")),
			nlDone(0))}, "192.0.2.1", nil},
		{"local wins over a point-to-point peer", [][]byte{cat(
			nlAddrMsg(afInet, 0, 2, address("198.51.100.2"), local("198.51.100.1")), nlDone(0))}, "198.51.100.1", nil},
		{"address alone", [][]byte{cat(nlAddrMsg(afInet, 0, 2, address("203.0.113.1")), nlDone(0))}, "203.0.113.1", nil},
		{"split over chunks", [][]byte{
			nlAddrMsg(afInet, 0, 1, local("127.0.0.1")),
			cat(nlAddrMsg(afInet, 0, 2, local("192.0.2.1")), nlAddrMsg(afInet, 0, 2, local("192.0.2.2"))),
			nlDone(0)}, "192.0.2.1", nil},
		{"only secondaries", [][]byte{cat(nlAddrMsg(afInet, ifaFSecondary, 2, local("192.0.2.9")), nlDone(0))}, "", nil},
		{"other family", [][]byte{cat(nlAddrMsg(10, 0, 2, nlAttr{ifaAddress, make([]byte, 16)}), nlDone(0))}, "", nil},
		{"empty dump", [][]byte{nlDone(0)}, "", nil},
		{"done carrying an error", [][]byte{nlDone(-int32(syscall.EINVAL))}, "", syscall.EINVAL},
		{"error message", [][]byte{nlMsg(nlmsgError, []byte{0xff, 0xff, 0xff, 0xff})}, "", syscall.Errno(1)},
		{"error message without error", [][]byte{nlMsg(nlmsgError, []byte{0, 0, 0, 0})}, "", errBadAddrDump},
		{"short header", [][]byte{{1, 2, 3}}, "", errBadAddrDump},
		{"length past the chunk", [][]byte{nlAddrMsg(afInet, 0, 2, local("192.0.2.1"))[:20]}, "", errBadAddrDump},
		{"short ifaddrmsg", [][]byte{nlMsg(rtmNewAddr, []byte{2, 32})}, "", errBadAddrDump},
		{"attribute past the message", [][]byte{nlMsg(rtmNewAddr, []byte{2, 32, 0, 0, 2, 0, 0, 0, 40, 0, 2, 0})}, "", errBadAddrDump},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := primaryScan{index: 2}
			var done bool
			var err error
			for _, c := range tc.chunks {
				if done, err = s.feed(c); done || err != nil {
					break
				}
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err == nil && !done {
				t.Fatal("dump not done")
			}
			var want netip.Addr
			if tc.want != "" {
				want = netip.MustParseAddr(tc.want)
			}
			if err == nil && s.found != want {
				t.Errorf("found %v, want %v", s.found, want)
			}
		})
	}
}
