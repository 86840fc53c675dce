package ipvssync

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var daemonCmp = cmpopts.EquateComparable(netip.Addr{})

// nla builds one attribute by hand, independently of attrs.put.
func nla(typ uint16, data ...byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, uint16(4+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func le32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
func le16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

func TestMarshalNewDaemon(t *testing.T) {
	tests := []struct {
		name string
		in   DaemonInfo
		want []byte
	}{{
		name: "required only",
		in:   DaemonInfo{State: DaemonBackup, Interface: "eth0", SyncID: 51},
		want: cat([]byte{9, 1, 0, 0}, nla(3|nlaFNested, cat(
			nla(1, le32(2)...), nla(2, 'e', 't', 'h', '0', 0), nla(3, le32(51)...))...)),
	}, {
		name: "everything",
		in: DaemonInfo{State: DaemonMaster, Interface: "br-sync", SyncID: 255, MaxLen: 1400,
			Group: netip.MustParseAddr("239.1.2.3"), Port: 8849, TTL: 2},
		want: cat([]byte{9, 1, 0, 0}, nla(3|nlaFNested, cat(
			nla(1, le32(1)...), nla(2, append([]byte("br-sync"), 0)...), nla(3, le32(255)...),
			nla(4, le16(1400)...), nla(5, 239, 1, 2, 3), nla(7, le16(8849)...), nla(8, 2))...)),
	}, {
		name: "ipv6 group",
		in:   DaemonInfo{State: DaemonMaster, Interface: "e", Group: netip.MustParseAddr("ff02::81")},
		want: cat([]byte{9, 1, 0, 0}, nla(3|nlaFNested, cat(
			nla(1, le32(1)...), nla(2, 'e', 0), nla(3, le32(0)...),
			nla(6, netip.MustParseAddr("ff02::81").AsSlice()...))...)),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MarshalNewDaemon(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("got  %x\nwant %x", got, tt.want)
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	for _, d := range []DaemonInfo{
		{State: 0, Interface: "eth0"},
		{State: 3, Interface: "eth0"},
		{State: DaemonMaster},
		{State: DaemonMaster, Interface: "a-very-long-ifname"},
		{State: DaemonMaster, Interface: "eth0", Group: netip.MustParseAddr("192.0.2.1")},
	} {
		if _, err := MarshalNewDaemon(d); !errors.Is(err, ErrDaemonConfig) {
			t.Errorf("MarshalNewDaemon(%+v) = %v, want ErrDaemonConfig", d, err)
		}
	}
	if _, err := MarshalDelDaemon(0); !errors.Is(err, ErrDaemonConfig) {
		t.Errorf("MarshalDelDaemon(0) = %v, want ErrDaemonConfig", err)
	}
}

func TestMarshalDelGetDaemon(t *testing.T) {
	got, err := MarshalDelDaemon(DaemonBackup)
	if err != nil {
		t.Fatal(err)
	}
	if want := cat([]byte{10, 1, 0, 0}, nla(3|nlaFNested, nla(1, le32(2)...)...)); !bytes.Equal(got, want) {
		t.Errorf("del: got %x, want %x", got, want)
	}
	if got, want := MarshalGetDaemon(), []byte{11, 1, 0, 0}; !bytes.Equal(got, want) {
		t.Errorf("get: got %x, want %x", got, want)
	}
}

// TestUnmarshalKernelReplies decodes GET_DAEMON replies captured from the
// Debian 12 kernel (6.1) in the IPVS guest by
// integration/ipvsguest/syncd_netlink_test.go; each .hex file sits beside
// the ipvsadm -L --daemon line that kernel state printed.
func TestUnmarshalKernelReplies(t *testing.T) {
	want := map[string]DaemonInfo{
		"daemon_master_defaults": {State: DaemonMaster, Interface: "sync0", SyncID: 51, MaxLen: 1472,
			Group: netip.MustParseAddr("224.0.0.81"), Port: 8848, TTL: 1},
		"daemon_backup_custom": {State: DaemonBackup, Interface: "sync0", SyncID: 7, MaxLen: 1200,
			Group: netip.MustParseAddr("239.255.0.7"), Port: 9000, TTL: 3},
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", name+".hex"))
			if err != nil {
				t.Fatal(err)
			}
			msg, err := hex.DecodeString(strings.TrimSpace(string(raw)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := UnmarshalDaemon(msg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, got, daemonCmp); diff != "" {
				t.Errorf("decode (-want +got):\n%s", diff)
			}
			line, err := os.ReadFile(filepath.Join("testdata", name+".ipvsadm"))
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := FormatDaemons(&b, []DaemonInfo{got}); err != nil {
				t.Fatal(err)
			}
			if b.String() != string(line) {
				t.Errorf("FormatDaemons = %q, ipvsadm printed %q", b.String(), line)
			}
		})
	}
}

func TestUnmarshalDaemonErrors(t *testing.T) {
	good := cat([]byte{11, 1, 0, 0}, nla(3|nlaFNested, cat(nla(1, le32(1)...), nla(2, 'x', 0), nla(3, le32(1)...))...))
	if _, err := UnmarshalDaemon(good); err != nil {
		t.Fatalf("good message: %v", err)
	}
	tests := map[string][]byte{
		"empty":        nil,
		"header only":  {11, 1, 0, 0},
		"truncated":    good[:len(good)-2],
		"bad length":   cat([]byte{11, 1, 0, 0}, []byte{2, 0, 3, 0}),
		"no state":     cat([]byte{11, 1, 0, 0}, nla(3, cat(nla(2, 'x', 0), nla(3, le32(1)...))...)),
		"no ifname":    cat([]byte{11, 1, 0, 0}, nla(3, cat(nla(1, le32(1)...), nla(3, le32(1)...))...)),
		"short syncid": cat([]byte{11, 1, 0, 0}, nla(3, cat(nla(1, le32(1)...), nla(2, 'x', 0), nla(3, 1, 0))...)),
		"not a daemon": cat([]byte{11, 1, 0, 0}, nla(1, le32(1)...)),
	}
	for name, msg := range tests {
		if _, err := UnmarshalDaemon(msg); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

// roundTrip decodes what MarshalNewDaemon encodes (the reply layout is the
// request's with another command byte).
func roundTrip(t *testing.T, d DaemonInfo) {
	t.Helper()
	b, err := MarshalNewDaemon(d)
	if err != nil {
		return
	}
	got, err := UnmarshalDaemon(b)
	if err != nil {
		t.Fatalf("decode of encoded %+v: %v", d, err)
	}
	if d.Interface != strings.TrimRight(d.Interface, "\x00") || strings.Contains(d.Interface, "\x00") {
		return // a NUL inside the name ends it, as in C
	}
	if diff := cmp.Diff(d, got, daemonCmp); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
}

func TestRoundTrip(t *testing.T) {
	roundTrip(t, DaemonInfo{State: DaemonBackup, Interface: "eth0", SyncID: 9, MaxLen: 1, Group: netip.MustParseAddr("ff05::1"), Port: 1, TTL: 255})
}

func FuzzUnmarshalDaemon(f *testing.F) {
	b, _ := MarshalNewDaemon(DaemonInfo{State: DaemonMaster, Interface: "eth0", SyncID: 51, MaxLen: 1472, Group: netip.MustParseAddr("224.0.0.81"), Port: 8848, TTL: 1})
	f.Add(b)
	f.Add([]byte{11, 1, 0, 0, 4, 0, 3, 0})
	f.Fuzz(func(t *testing.T, msg []byte) {
		d, err := UnmarshalDaemon(msg)
		if err != nil {
			return
		}
		if d.State == DaemonMaster || d.State == DaemonBackup {
			roundTrip(t, d)
		}
	})
}

func TestFormatDaemons(t *testing.T) {
	ds := []DaemonInfo{
		{State: DaemonBackup, Interface: "eth1", SyncID: 2},
		{State: DaemonMaster, Interface: "eth0", SyncID: 51, MaxLen: 1472, Group: netip.MustParseAddr("224.0.0.81"), Port: 8848, TTL: 1},
	}
	var b bytes.Buffer
	if err := FormatDaemons(&b, ds); err != nil {
		t.Fatal(err)
	}
	want := "master sync daemon (mcast=eth0, syncid=51, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n" +
		"backup sync daemon (mcast=eth1, syncid=2)\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if ds[0].State != DaemonBackup {
		t.Error("FormatDaemons reordered its argument")
	}
}

func TestPlanDaemons(t *testing.T) {
	master := DaemonInfo{State: DaemonMaster, Interface: "eth0", SyncID: 51}
	backup := DaemonInfo{State: DaemonBackup, Interface: "eth0", SyncID: 51}
	kernel := func(d DaemonInfo) DaemonInfo { // as read back, defaults filled in
		d.MaxLen, d.Group, d.Port, d.TTL = 1472, netip.MustParseAddr("224.0.0.81"), 8848, 1
		return d
	}
	type plan struct {
		Stop  []DaemonState
		Start bool
	}
	tests := []struct {
		name string
		want DaemonInfo
		have []DaemonInfo
		plan plan
	}{
		{"start from nothing", backup, nil, plan{nil, true}},
		{"already running", backup, []DaemonInfo{kernel(backup)}, plan{nil, false}},
		{"become master", master, []DaemonInfo{kernel(backup)}, plan{[]DaemonState{DaemonBackup}, true}},
		{"become backup", backup, []DaemonInfo{kernel(master)}, plan{[]DaemonState{DaemonMaster}, true}},
		{"both running", master, []DaemonInfo{kernel(master), kernel(backup)}, plan{[]DaemonState{DaemonBackup}, false}},
		{"syncid changed", DaemonInfo{State: DaemonBackup, Interface: "eth0", SyncID: 52}, []DaemonInfo{kernel(backup)}, plan{[]DaemonState{DaemonBackup}, true}},
		{"port changed", DaemonInfo{State: DaemonBackup, Interface: "eth0", SyncID: 51, Port: 9000}, []DaemonInfo{kernel(backup)}, plan{[]DaemonState{DaemonBackup}, true}},
		{"stop all", DaemonInfo{}, []DaemonInfo{kernel(master), kernel(backup)}, plan{[]DaemonState{DaemonMaster, DaemonBackup}, false}},
		{"nothing to do", DaemonInfo{}, nil, plan{nil, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stop, start := PlanDaemons(tt.want, tt.have)
			if diff := cmp.Diff(tt.plan, plan{stop, start}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
