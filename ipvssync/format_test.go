package ipvssync

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func formatTable() Table {
	v6 := netip.MustParseAddr("2001:db8::50")
	k6 := ServiceKey{Family: FamilyIPv6, Proto: ProtoTCP, Addr: v6, Port: 443}
	fw := ServiceKey{Family: FamilyIPv4, FWMark: 7}
	udp := ServiceKey{Family: FamilyIPv4, Proto: ProtoUDP, Addr: vip, Port: 53}
	d1 := Destination{Addr: rs1, Port: 80, Weight: 2, Forward: ForwardDR, ActiveConns: 12, InactConns: 340,
		Stats: Stats{Conns: 1234, PacketsIn: 5678, PacketsOut: 0, BytesIn: 123_456_789, BytesOut: 12_345_678_901, CPS: 3, PPSIn: 40, BPSIn: 5000}}
	t := Table{
		key: {Service: Service{Key: key, Scheduler: "wlc", Flags: FlagPersistent, Timeout: 300, Netmask: 24,
			Stats: Stats{Conns: 1234, PacketsIn: 5678, BytesIn: 123_456_789, BytesOut: 12_345_678_901, CPS: 3}},
			Dests: map[DestKey]Destination{k1: d1, k2: dest(rs2, 0, ForwardMasq), kLo: dest(lo, 1, ForwardMasq)}},
		udp: entry(Service{Key: udp, Scheduler: "sh", Flags: FlagSched1 | FlagSched2 | FlagOnePacket},
			Destination{Addr: rs3, Port: 53, Weight: 1, Forward: ForwardTunnel, Upper: 100, Lower: 10}),
		fw: entry(Service{Key: fw, Scheduler: "rr"}, Destination{Addr: rs1, Weight: 1, Forward: ForwardDR}),
		k6: entry(Service{Key: k6, Scheduler: "mh", Flags: FlagPersistent, Timeout: 60, Netmask: 64},
			Destination{Addr: netip.MustParseAddr("2001:db8::7"), Port: 443, Weight: 3, Forward: ForwardMasq}),
	}
	return t
}

func TestFormatGolden(t *testing.T) {
	tests := []struct {
		file string
		fn   func(*bytes.Buffer) error
	}{
		{"list.golden", func(b *bytes.Buffer) error { return FormatList(b, formatTable(), ListOptions{}) }},
		{"list-stats.golden", func(b *bytes.Buffer) error { return FormatList(b, formatTable(), ListOptions{Stats: true}) }},
		{"list-rate.golden", func(b *bytes.Buffer) error {
			return FormatList(b, formatTable(), ListOptions{Rate: true, Version: "1.2.1", Size: 1048576})
		}},
		{"save.golden", func(b *bytes.Buffer) error { return FormatSave(b, formatTable()) }},
		{"list-exact.golden", func(b *bytes.Buffer) error {
			return FormatList(b, formatTable(), ListOptions{Stats: true, Exact: true})
		}},
		{"list-single.golden", func(b *bytes.Buffer) error {
			return FormatList(b, Table{key: formatTable()[key]}, ListOptions{Single: true})
		}},
		{"list-persistent.golden", func(b *bytes.Buffer) error {
			return FormatList(b, formatTable(), ListOptions{PersistConns: map[ServiceKey]map[DestKey]uint32{key: {k1: 5}}})
		}},
		{"list-thresholds.golden", func(b *bytes.Buffer) error { return FormatList(b, formatTable(), ListOptions{Thresholds: true}) }},
		{"list-sctp.golden", func(b *bytes.Buffer) error {
			k := ServiceKey{Family: FamilyIPv4, Proto: ProtoSCTP, Addr: vip, Port: 3868}
			return FormatList(b, Table{k: entry(Service{Key: k, Scheduler: "rr"}, Destination{Addr: rs1, Port: 3868, Weight: 1, Forward: ForwardDR})}, ListOptions{})
		}},
		{"timeout.golden", func(b *bytes.Buffer) error {
			return FormatTimeout(b, KernelConfig{TimeoutTCP: 900 * time.Second, TimeoutTCPFin: 120 * time.Second, TimeoutUDP: 300 * time.Second})
		}},
		{"conns.golden", func(b *bytes.Buffer) error { return formatConnsFile(b, "testdata/ip_vs_conn", false) }},
		{"conns-persistent.golden", func(b *bytes.Buffer) error { return formatConnsFile(b, "testdata/ip_vs_conn", true) }},
		{"empty-list.golden", func(b *bytes.Buffer) error { return FormatList(b, Table{}, ListOptions{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.fn(&b); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestIpvsadmOrderQuirk(t *testing.T) {
	lowKey := DestKey{netip.MustParseAddr("10.0.0.1"), 80}
	e := entry(Service{}, Destination{Addr: lowKey.Addr, Port: 80}, dest(rs1, 1, ForwardDR), dest(rs2, 1, ForwardDR))
	var got []DestKey
	for _, d := range e.SortedDests() {
		got = append(got, d.Key())
	}
	// 0x0a000001 - 0xc0000207 wraps to a positive int in ipvsadm.
	if diff := cmp.Diff([]DestKey{k1, k2, lowKey}, got, addrCmp); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestLargenum(t *testing.T) {
	for _, tt := range []struct {
		in    uint64
		exact bool
		want  string
	}{
		{0, false, "        0"}, {99_999_999, false, " 99999999"}, {100_000_000, false, "  100000K"},
		{1_000_000_000, false, "    1000M"}, {100_000_000_000, false, "     100G"}, {100_000_000_000_000, false, "     100T"},
		// --exact: nine columns up to eight digits, then one more than the number.
		{0, true, "        0"}, {99_999_999, true, " 99999999"}, {100_000_000, true, " 100000000"},
		{12_345_678_901, true, " 12345678901"},
	} {
		var b bytes.Buffer
		largenums(&b, tt.exact, tt.in)
		if b.String() != tt.want {
			t.Errorf("largenum(%d) = %q, want %q", tt.in, b.String(), tt.want)
		}
	}
}

// ipvsadm -Ln pads the protocol to four columns, so SCTP has one space
// where TCP and UDP have two (checked against ipvsadm in the guest).
func TestListNameSCTP(t *testing.T) {
	for _, tc := range []struct {
		k    ServiceKey
		want string
	}{
		{ServiceKey{Family: FamilyIPv4, Proto: ProtoTCP, Addr: netip.MustParseAddr("192.0.2.50"), Port: 80}, "TCP  192.0.2.50:80"},
		{ServiceKey{Family: FamilyIPv4, Proto: ProtoSCTP, Addr: netip.MustParseAddr("192.0.2.50"), Port: 3868}, "SCTP 192.0.2.50:3868"},
	} {
		if got := listName(tc.k); got != tc.want {
			t.Errorf("listName = %q, want %q", got, tc.want)
		}
	}
}

func formatConnsFile(w *bytes.Buffer, path string, persistent bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return FormatConns(w, f, persistent)
}
