//go:build linux

package vrrp

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// A master of 1,000 instances sends 1,000 adverts a second and a backup
// receives as many: both paths must not allocate per packet, or the
// garbage sets the daemon's GC pace and resident heap.
func TestTransportAllocs(t *testing.T) {
	netnstest.InNewNetns(t, func() {
		b := netnstest.NewNetns(t)
		netnstest.Veth(t, netnstest.End{Name: "vr0", Addr: addrA}, netnstest.End{Name: "vr1", Addr: addrB, NS: b})
		ta := dial(t, "vr0", TransportOptions{})
		var tb *IPTransport
		b.Do(t, func() { tb = dial(t, "vr1", TransportOptions{}) })
		if n := testing.AllocsPerRun(200, func() {
			if err := ta.WriteTo(capturedAdvert, vrrpGroup); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("WriteTo: %.1f allocations per advert, want 0", n)
		}
		// Receive: the 201 adverts above are queued on tb's socket; the
		// batch read and the parsing after it allocate nothing.
		buf := make([]byte, 1500)
		if _, meta, err := tb.ReadFrom(buf); err != nil || meta.Src != addrA.Addr() || meta.TTL != 255 || meta.Dst != vrrpGroup {
			t.Fatalf("ReadFrom: meta %+v, err %v", meta, err)
		}
		if n := testing.AllocsPerRun(100, func() {
			if _, _, err := tb.ReadFrom(buf); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("ReadFrom: %.1f allocations per advert, want 0", n)
		}
	})
}

// cmsg builds one control message as the kernel lays it out.
func cmsg(level, typ int32, data []byte) []byte {
	b := make([]byte, cmsgAlign(unix.SizeofCmsghdr+len(data)))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = level, typ
	h.SetLen(unix.SizeofCmsghdr + len(data))
	copy(b[unix.SizeofCmsghdr:], data)
	return b
}

func TestParseRecvMeta(t *testing.T) {
	hdr := make([]byte, 20)
	hdr[0] = 0x45
	copy(hdr[12:16], []byte{192, 0, 2, 11})
	ttl := cmsg(unix.IPPROTO_IP, unix.IP_TTL, binary.NativeEndian.AppendUint32(nil, 255))
	pi := make([]byte, unix.SizeofInet4Pktinfo)
	binary.NativeEndian.PutUint32(pi[0:4], 7)
	copy(pi[8:12], []byte{224, 0, 0, 18})
	info := cmsg(unix.IPPROTO_IP, unix.IP_PKTINFO, pi)
	other := cmsg(unix.SOL_SOCKET, unix.SCM_RIGHTS, []byte{1, 2, 3, 4})
	want := RecvMeta{Src: netip.MustParseAddr("192.0.2.11"), Dst: vrrpGroup, TTL: 255, IfIndex: 7}
	for _, tc := range []struct {
		name string
		pkt  []byte
		oob  []byte
		ok   bool
	}{
		{"ttl then pktinfo", hdr, append(append([]byte{}, ttl...), info...), true},
		{"pktinfo then ttl, other first", hdr, append(append(append([]byte{}, other...), info...), ttl...), true},
		{"no ttl", hdr, info, false},
		{"no pktinfo", hdr, ttl, false},
		{"no control messages", hdr, nil, false},
		{"short header", hdr[:19], append(append([]byte{}, ttl...), info...), false},
		{"truncated control message", hdr, append(append([]byte{}, ttl...), info[:len(info)-8]...), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseRecvMeta(tc.pkt, tc.oob)
			if ok != tc.ok || (ok && got != want) {
				t.Errorf("parseRecvMeta = %+v, %v; want %+v, %v", got, ok, want, tc.ok)
			}
		})
	}
}

func FuzzParseRecvMeta(f *testing.F) {
	f.Add(make([]byte, 20), cmsg(unix.IPPROTO_IP, unix.IP_TTL, []byte{255, 0, 0, 0}))
	f.Add([]byte{}, []byte{16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0})
	f.Fuzz(func(t *testing.T, pkt, oob []byte) {
		parseRecvMeta(pkt, oob) // must not panic or read out of bounds
	})
}
