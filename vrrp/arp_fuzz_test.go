package vrrp

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
)

// FuzzParseARP checks that any frame ParseARP accepts encodes back to
// the same first 42 bytes, and that the decoder never panics.
func FuzzParseARP(f *testing.F) {
	g, err := GratuitousARP(net.HardwareAddr{2, 0, 0, 0, 0, 1}, netip.MustParseAddr("192.0.2.50"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(g)
	f.Add(append(g, make([]byte, 18)...))
	f.Add(g[:20])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseARP(b)
		if err != nil {
			return
		}
		out, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("re-encode of accepted frame failed: %v", err)
		}
		if !bytes.Equal(out, b[:ARPFrameLen]) {
			t.Fatalf("round trip mismatch\n in %x\nout %x", b[:ARPFrameLen], out)
		}
	})
}
