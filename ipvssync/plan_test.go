package ipvssync

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func opStrings(ops []Op) []string {
	var out []string
	for _, o := range ops {
		out = append(out, o.String())
	}
	return out
}

func TestPlan(t *testing.T) {
	svc := Service{Key: key, Scheduler: "wlc"}
	base := Table{key: entry(svc, dest(rs1, 2, ForwardDR), dest(rs2, 3, ForwardDR))}
	foreignKey := ServiceKey{Family: FamilyIPv4, Proto: ProtoTCP, Addr: netip.MustParseAddr("203.0.113.9"), Port: 443}
	foreign := entry(Service{Key: foreignKey, Scheduler: "rr"}, dest(rs3, 1, ForwardMasq))
	withForeign := base.Clone()
	withForeign[foreignKey] = foreign
	oldKey := ServiceKey{Family: FamilyIPv4, Proto: ProtoUDP, Addr: vip, Port: 53}
	withOld := base.Clone()
	withOld[oldKey] = entry(Service{Key: oldKey, Scheduler: "rr"}, dest(rs1, 1, ForwardDR))

	hashedStats := base.Clone()
	e := hashedStats[key]
	e.Flags |= FlagHashed
	e.Stats.Conns = 99
	d := e.Dests[k1]
	d.ActiveConns, d.Stats.BytesIn = 5, 1000
	e.Dests[k1] = d
	hashedStats[key] = e

	oneDown := Table{key: entry(svc, dest(rs2, 3, ForwardDR))}
	reweighted := Table{key: entry(svc, dest(rs1, 5, ForwardDR), dest(rs2, 3, ForwardDR))}
	rescheduled := Table{key: entry(Service{Key: key, Scheduler: "rr"}, dest(rs1, 2, ForwardDR), dest(rs2, 3, ForwardDR))}
	nonPersistentJunk := base.Clone()
	e = nonPersistentJunk[key]
	e.Timeout, e.Netmask = 17, 0
	nonPersistentJunk[key] = e

	tests := []struct {
		name             string
		current, desired Table
		owned            OwnedSet
		drain            DrainSet
		want             []string
	}{
		{"empty to table: service before its dests", Table{}, base, nil, nil, []string{
			"add service tcp 192.0.2.50:80",
			"add destination 192.0.2.7:80 to tcp 192.0.2.50:80",
			"add destination 192.0.2.8:80 to tcp 192.0.2.50:80"}},
		{"unchanged: zero ops", base, base, nil, nil, nil},
		{"hashed flag and stats are ignored", hashedStats, base, nil, nil, nil},
		{"timeout and netmask ignored when not persistent", nonPersistentJunk, base, nil, nil, nil},
		{"one real server fails: one op", base, oneDown, nil, nil, []string{
			"delete destination 192.0.2.7:80 from tcp 192.0.2.50:80"}},
		{"it recovers: one op", oneDown, base, nil, nil, []string{
			"add destination 192.0.2.7:80 to tcp 192.0.2.50:80"}},
		{"weight change: one update", base, reweighted, nil, nil, []string{
			"update destination 192.0.2.7:80 to tcp 192.0.2.50:80"}},
		{"adoption: scheduler updated in place", base, rescheduled, nil, nil, []string{
			"update service tcp 192.0.2.50:80"}},
		{"foreign service left alone", withForeign, base, nil, nil, nil},
		{"foreign service left alone even when everything else goes", withForeign, Table{}, OwnedSet{key: {}}, nil, []string{
			"delete service tcp 192.0.2.50:80"}},
		{"owned service no longer desired: one delete", withOld, base, OwnedSet{oldKey: {}}, nil, []string{
			"delete service udp 192.0.2.50:53"}},
		{"not owned and not desired: untouched", withOld, base, nil, nil, nil},
		{"draining destination kept at weight 0", base, oneDown, nil, DrainSet{{key, k1}: {}}, []string{
			"update destination 192.0.2.7:80 to tcp 192.0.2.50:80"}},
		{"draining at weight 0 already: nothing", Table{key: entry(svc, dest(rs1, 0, ForwardDR), dest(rs2, 3, ForwardDR))},
			oneDown, nil, DrainSet{{key, k1}: {}}, nil},
		{"removed service with a draining dest stays", withOld, base, OwnedSet{oldKey: {}}, DrainSet{{oldKey, k1}: {}}, []string{
			"update destination 192.0.2.7:80 to udp 192.0.2.50:53"}},
		{"order: adds, updates, deletes within a service", base,
			Table{key: entry(svc, dest(rs2, 4, ForwardDR), dest(rs3, 1, ForwardDR))}, nil, nil, []string{
				"add destination 192.0.2.9:80 to tcp 192.0.2.50:80",
				"update destination 192.0.2.8:80 to tcp 192.0.2.50:80",
				"delete destination 192.0.2.7:80 from tcp 192.0.2.50:80"}},
		{"sorry server gives way without an empty moment", Table{key: entry(svc, dest(rs3, 1, ForwardDR))},
			Table{key: entry(svc, dest(rs1, 2, ForwardDR), dest(rs2, 3, ForwardDR))}, nil, nil, []string{
				"add destination 192.0.2.7:80 to tcp 192.0.2.50:80",
				"add destination 192.0.2.8:80 to tcp 192.0.2.50:80",
				"delete destination 192.0.2.9:80 from tcp 192.0.2.50:80"}},
		{"forwarding change is an update", base, Table{key: entry(svc, dest(rs1, 2, ForwardTunnel), dest(rs2, 3, ForwardDR))}, nil, nil, []string{
			"update destination 192.0.2.7:80 to tcp 192.0.2.50:80"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.current.Clone()
			got := opStrings(Plan(tt.current, tt.desired, tt.owned, tt.drain))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Plan (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tt.current, addrCmp); diff != "" {
				t.Errorf("Plan modified current:\n%s", diff)
			}
		})
	}
}

func TestPlanWritesWantedValues(t *testing.T) {
	svc := Service{Key: key, Scheduler: "wlc"}
	cur := Table{key: entry(svc, dest(rs1, 2, ForwardDR))}
	want := Table{key: entry(svc, Destination{Addr: rs1, Port: 80, Weight: 9, Forward: ForwardMasq, Upper: 100, Lower: 50})}
	ops := Plan(cur, want, nil, nil)
	if len(ops) != 1 {
		t.Fatalf("ops = %v", opStrings(ops))
	}
	if diff := cmp.Diff(want[key].Dests[k1], ops[0].Dest, addrCmp); diff != "" {
		t.Errorf("written destination (-want +got):\n%s", diff)
	}
}

func TestRemovals(t *testing.T) {
	svc := Service{Key: key, Scheduler: "wlc"}
	cur := Table{key: entry(svc, dest(rs1, 2, ForwardDR), dest(rs2, 3, ForwardDR))}
	got := Removals(cur, Table{key: entry(svc, dest(rs2, 3, ForwardDR))}, nil)
	if diff := cmp.Diff([]RealKey{{key, k1}}, got, addrCmp); diff != "" {
		t.Errorf("Removals (-want +got):\n%s", diff)
	}
	if got := Removals(cur, Table{}, nil); len(got) != 0 {
		t.Errorf("Removals of an unowned service = %v", got)
	}
	if got := Removals(cur, Table{}, OwnedSet{key: {}}); len(got) != 2 {
		t.Errorf("Removals of an owned service = %v, want both dests", got)
	}
}

// addrCmp32 must order exactly as ipvsadm's 32-bit-word comparison did
// with AsSlice, without allocating.
func TestAddrCmp32(t *testing.T) {
	old := func(a, b netip.Addr) int32 {
		x, y := a.Unmap().AsSlice(), b.Unmap().AsSlice()
		if len(x) != len(y) {
			return int32(len(x) - len(y))
		}
		for i := 0; i+4 <= len(x); i += 4 {
			u := uint32(x[i])<<24 | uint32(x[i+1])<<16 | uint32(x[i+2])<<8 | uint32(x[i+3])
			v := uint32(y[i])<<24 | uint32(y[i+1])<<16 | uint32(y[i+2])<<8 | uint32(y[i+3])
			if r := int32(u - v); r != 0 {
				return r
			}
		}
		return 0
	}
	addrs := []netip.Addr{{}, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("192.0.2.7"),
		netip.MustParseAddr("192.0.2.8"), netip.MustParseAddr("::ffff:192.0.2.8"), netip.MustParseAddr("2001:db8::1"),
		netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("fe80::1")}
	for _, a := range addrs {
		for _, b := range addrs {
			if got, want := addrCmp32(a, b), old(a, b); got != want {
				t.Errorf("addrCmp32(%v, %v) = %d, want %d", a, b, got, want)
			}
		}
	}
	a, b := netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("2001:db8::1")
	if n := testing.AllocsPerRun(100, func() { addrCmp32(a, b); addrCmp32(b, b) }); n != 0 {
		t.Errorf("addrCmp32 allocates %v times per call", n)
	}
}

// The comparisons Plan sorts with (service keys, destinations, real-server
// keys) allocate nothing, IPv4 and IPv6 alike.
func TestCompareDoesNotAllocate(t *testing.T) {
	v6 := ServiceKey{Family: FamilyIPv6, Proto: ProtoTCP, Addr: netip.MustParseAddr("2001:db8::50"), Port: 80}
	d6 := DestKey{netip.MustParseAddr("2001:db8::7"), 80}
	if n := testing.AllocsPerRun(100, func() {
		serviceLess(key, v6)
		serviceLess(v6, v6)
		destLess(k1, k2)
		destLess(d6, k1)
		realKeyCmp(RealKey{key, k1}, RealKey{v6, d6})
	}); n != 0 {
		t.Errorf("comparisons allocate %v times per round", n)
	}
}

// go test -run - -bench Less -benchmem ./ipvssync: 0 allocs/op.
func BenchmarkServiceLess(b *testing.B) {
	keys := make([]ServiceKey, 0, 64)
	for _, svc := range bigConfig(60, 0) {
		keys = append(keys, ServiceKeyOf(svc))
	}
	keys = append(keys, ServiceKey{Family: FamilyIPv6, Proto: ProtoTCP, Addr: netip.MustParseAddr("2001:db8::50"), Port: 80})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		serviceLess(keys[i%len(keys)], keys[(i+7)%len(keys)])
	}
}

func BenchmarkDestLess(b *testing.B) {
	ds := []DestKey{k1, k2, k3, {netip.MustParseAddr("2001:db8::7"), 80}, {netip.MustParseAddr("10.0.0.1"), 443}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		destLess(ds[i%len(ds)], ds[(i+2)%len(ds)])
	}
}

// Plan of an unchanged 1,000 × 10 table: the pure part of a full sync.
func BenchmarkPlanUnchanged(b *testing.B) {
	t := Desired(bigConfig(1000, 10), Health{})
	b.ReportAllocs()
	for b.Loop() {
		if ops := Plan(t, t, nil, nil); len(ops) != 0 {
			b.Fatal(ops[0])
		}
	}
}
