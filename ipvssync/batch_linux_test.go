//go:build linux

package ipvssync

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"reflect"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The requests of a batch carry what moby/ipvs's single requests carry,
// attribute by attribute, so the kernel cannot tell the two paths apart.
func TestAppendRequest(t *testing.T) {
	v4 := Service{Key: ServiceKey{Family: FamilyIPv4, Proto: ProtoTCP, Addr: netip.MustParseAddr("192.0.2.50"), Port: 80},
		Scheduler: "wlc", Flags: FlagPersistent | FlagHashed, Timeout: 300, Netmask: 24}
	v6 := Service{Key: ServiceKey{Family: FamilyIPv6, Proto: ProtoUDP, Addr: netip.MustParseAddr("2001:db8::50"), Port: 53}, Scheduler: "rr"}
	fw := Service{Key: ServiceKey{Family: FamilyIPv4, FWMark: 7}, Scheduler: "sh"}
	d4 := Destination{Addr: netip.MustParseAddr("198.51.100.7"), Port: 8080, Weight: 5, Forward: ForwardDR, Upper: 10, Lower: 2, ActiveConns: 9}
	d6 := Destination{Addr: netip.MustParseAddr("2001:db8::7"), Port: 53, Weight: 1, Forward: ForwardMasq}
	tun := Destination{Addr: netip.MustParseAddr("198.51.100.8"), Port: 80, Weight: 1, Forward: ForwardTunnel, TunType: TunnelGUE, TunPort: 6080, TunFlags: 1}
	le32 := func(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
	le16 := func(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }
	be16 := func(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
	mask24 := []byte{255, 255, 255, 0} // the kernel's big-endian mask, as bytes
	for _, tc := range []struct {
		name string
		op   Op
		cmd  uint8
		svc  map[uint16][]byte
		dest map[uint16][]byte // nil: no destination attribute
	}{
		{"add persistent v4 service", Op{Kind: OpAddService, Service: v4}, ipvsCmdNewService, map[uint16][]byte{
			svcAttrAF: le16(2), svcAttrProtocol: le16(6), svcAttrAddr: {192, 0, 2, 50}, svcAttrPort: be16(80),
			svcAttrSchedName: []byte("wlc\x00"), svcAttrFlags: append(le32(FlagPersistent), 0xff, 0xff, 0xff, 0xff),
			svcAttrTimeout: le32(300), svcAttrNetmask: mask24,
		}, nil},
		{"update fwmark service", Op{Kind: OpUpdateService, Service: fw}, ipvsCmdSetService, map[uint16][]byte{
			svcAttrAF: le16(2), svcAttrFWMark: le32(7), svcAttrSchedName: []byte("sh\x00"),
			svcAttrFlags: append(le32(0), 0xff, 0xff, 0xff, 0xff), svcAttrTimeout: le32(0), svcAttrNetmask: {255, 255, 255, 255},
		}, nil},
		{"delete v6 service: key only", Op{Kind: OpDelService, Service: v6}, ipvsCmdDelService, map[uint16][]byte{
			svcAttrAF: le16(10), svcAttrProtocol: le16(17), svcAttrAddr: netip.MustParseAddr("2001:db8::50").AsSlice(), svcAttrPort: be16(53),
			svcAttrSchedName: {0}, svcAttrFlags: append(le32(0), 0xff, 0xff, 0xff, 0xff), svcAttrTimeout: le32(0), svcAttrNetmask: le32(128),
		}, nil},
		{"add destination: counters not written", Op{Kind: OpAddDest, Service: v4, Dest: d4}, ipvsCmdNewDest, nil, map[uint16][]byte{
			destAttrAddr: {198, 51, 100, 7}, destAttrPort: be16(8080), destAttrFwdMethod: le32(3), destAttrWeight: le32(5),
			destAttrUThresh: le32(10), destAttrLThresh: le32(2),
		}},
		{"update v6 destination", Op{Kind: OpUpdateDest, Service: v6, Dest: d6}, ipvsCmdSetDest, nil, map[uint16][]byte{
			destAttrAddr: netip.MustParseAddr("2001:db8::7").AsSlice(), destAttrPort: be16(53), destAttrFwdMethod: le32(0),
			destAttrWeight: le32(1), destAttrUThresh: le32(0), destAttrLThresh: le32(0),
		}},
		{"add GUE tunnel destination: type, port and flags", Op{Kind: OpAddDest, Service: v4, Dest: tun}, ipvsCmdNewDest, nil, map[uint16][]byte{
			destAttrAddr: {198, 51, 100, 8}, destAttrPort: be16(80), destAttrFwdMethod: le32(2), destAttrWeight: le32(1),
			destAttrUThresh: le32(0), destAttrLThresh: le32(0), destAttrTunType: {byte(TunnelGUE)}, destAttrTunPort: be16(6080),
			destAttrTunFlags: le16(tun.TunFlags),
		}},
		{"delete destination: key only", Op{Kind: OpDelDest, Service: v4, Dest: d4}, ipvsCmdDelDest, nil, map[uint16][]byte{
			destAttrAddr: {198, 51, 100, 7}, destAttrPort: be16(8080), destAttrFwdMethod: le32(0), destAttrWeight: le32(0),
			destAttrUThresh: le32(0), destAttrLThresh: le32(0),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte{1, 2, 3}
			b, err := appendRequest(prefix, 0x1c, 42, tc.op)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b[:3], prefix) {
				t.Fatal("appendRequest changed what came before")
			}
			m := b[3:]
			if l := binary.NativeEndian.Uint32(m); int(l) != len(m) {
				t.Fatalf("length field %d, message %d bytes", l, len(m))
			}
			if typ, fl, seq := binary.NativeEndian.Uint16(m[4:]), binary.NativeEndian.Uint16(m[6:]), binary.NativeEndian.Uint32(m[8:]); typ != 0x1c || fl != unix.NLM_F_REQUEST|unix.NLM_F_ACK || seq != 42 {
				t.Errorf("header type %#x flags %#x seq %d", typ, fl, seq)
			}
			if g := m[16:20]; g[0] != tc.cmd || g[1] != 1 {
				t.Errorf("genl header %v, want command %d version 1", g, tc.cmd)
			}
			top, err := parseAttrs(m[20:])
			if err != nil {
				t.Fatal(err)
			}
			svc, err := parseAttrs(top[ipvsCmdAttrService])
			if err != nil {
				t.Fatal(err)
			}
			if tc.svc != nil {
				checkAttrs(t, "service", svc, tc.svc)
			} else if len(svc) != 8 && len(svc) != 7 { // key (3 or 1 attributes) plus the four moby/ipvs always sends
				t.Errorf("service attribute of a destination op has %d attributes", len(svc))
			}
			_, hasDest := top[ipvsCmdAttrDest]
			if hasDest != (tc.dest != nil) {
				t.Fatalf("destination attribute present %v, want %v", hasDest, tc.dest != nil)
			}
			if tc.dest != nil {
				d, err := parseAttrs(top[ipvsCmdAttrDest])
				if err != nil {
					t.Fatal(err)
				}
				checkAttrs(t, "destination", d, tc.dest)
			}
		})
	}
	if _, err := appendRequest(nil, 1, 1, Op{Kind: OpKind(99)}); err == nil {
		t.Error("unknown op kind encoded")
	}
}

func checkAttrs(t *testing.T, what string, got, want map[uint16][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d attributes, want %d: %v", what, len(got), len(want), got)
	}
	for typ, w := range want {
		if g, ok := got[typ]; !ok || !bytes.Equal(g, w) {
			t.Errorf("%s attribute %d = %v, want %v", what, typ, g, w)
		}
	}
}

// The request encoder appends into a reused buffer without allocating:
// a converge of thousands of ops must not make garbage per op.
func TestAppendRequestAllocs(t *testing.T) {
	op := Op{Kind: OpAddDest, Service: Service{Key: ServiceKey{Family: FamilyIPv6, Proto: ProtoTCP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 80}, Scheduler: "wlc"},
		Dest: Destination{Addr: netip.MustParseAddr("2001:db8::7"), Port: 80, Weight: 1}}
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() { buf, _ = appendRequest(buf[:0], 1, 1, op) }); n != 0 {
		t.Errorf("appendRequest allocates %v times per request", n)
	}
}

// ack is one NLMSG_ERROR answer to request seq.
func ack(seq uint32, errno syscall.Errno) []byte {
	b := binary.NativeEndian.AppendUint32(nil, 36)
	b = binary.NativeEndian.AppendUint16(b, unix.NLMSG_ERROR)
	b = binary.NativeEndian.AppendUint16(b, 0x100) // NLM_F_CAPPED
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 1234)
	b = binary.NativeEndian.AppendUint32(b, uint32(-int32(errno)))
	return append(b, make([]byte, 16)...) // the request's header
}

func TestReadAcks(t *testing.T) {
	other := append(binary.NativeEndian.AppendUint32(nil, 20), make([]byte, 16)...)
	binary.NativeEndian.PutUint16(other[4:], 0x1c) // a data message, not an answer
	var dgram []byte
	for _, p := range [][]byte{ack(9, 0), ack(10, 0), other, ack(12, syscall.EEXIST), ack(10, syscall.ENOENT), ack(14, 0), ack(11, 0)} {
		dgram = append(dgram, p...)
	}
	acked := make([]bool, 3) // requests 10, 11, 12
	got := map[int]syscall.Errno{}
	n := readAcks(append(dgram, 1, 2, 3), 10, acked, func(i int, e syscall.Errno) { got[i] = e })
	if n != 3 || len(got) != 3 || got[0] != 0 || got[1] != 0 || got[2] != syscall.EEXIST {
		t.Errorf("saw %d: %v; want requests 0 and 1 done, 2 EEXIST; earlier, later and repeated answers skipped", n, got)
	}
	if n := readAcks(dgram, 10, acked, func(int, syscall.Errno) { t.Error("an answer counted twice") }); n != 0 {
		t.Errorf("second read saw %d", n)
	}
	// Sequence numbers wrap.
	acked = make([]bool, 2)
	if n := readAcks(append(ack(^uint32(0), 0), ack(0, 0)...), ^uint32(0), acked, func(int, syscall.Errno) {}); n != 2 {
		t.Errorf("across the wrap saw %d of 2", n)
	}
}

func FuzzReadAcks(f *testing.F) {
	f.Add(ack(5, 0), uint32(5), 2)
	f.Add(append(ack(5, syscall.EEXIST), ack(6, 0)...), uint32(5), 2)
	f.Add([]byte{0xff, 0xff, 0, 0}, uint32(0), 1)
	f.Fuzz(func(t *testing.T, b []byte, first uint32, n int) {
		if n < 0 || n > 1024 {
			return
		}
		acked := make([]bool, n)
		calls := 0
		seen := readAcks(b, first, acked, func(i int, _ syscall.Errno) {
			if i < 0 || i >= n {
				t.Fatalf("index %d of %d", i, n)
			}
			calls++
		})
		if seen != calls || seen > n {
			t.Fatalf("returned %d, called %d, at most %d", seen, calls, n)
		}
	})
}

// Every field of Service and Destination is either written by
// appendRequest or only observed. A field added later (a new destination
// attribute) fails here until appendService/appendDest write it too, so
// batched writes never silently drop what single writes send.
func TestBatchEncodesEveryField(t *testing.T) {
	for _, tc := range []struct {
		v     any
		known map[string]bool
	}{
		{Service{}, map[string]bool{"Key": true, "Scheduler": true, "Flags": true, "Timeout": true, "Netmask": true, "Stats": true}},
		{Destination{}, map[string]bool{"Addr": true, "Port": true, "Weight": true, "Forward": true, "Upper": true, "Lower": true,
			"ActiveConns": true, "InactConns": true, "Stats": true, "TunType": true, "TunPort": true, "TunFlags": true}},
	} {
		typ := reflect.TypeOf(tc.v)
		for i := 0; i < typ.NumField(); i++ {
			if f := typ.Field(i).Name; !tc.known[f] {
				t.Errorf("%s.%s is not encoded by the batched writer (appendService/appendDest)", typ.Name(), f)
			}
		}
	}
}
