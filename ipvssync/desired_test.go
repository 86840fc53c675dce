package ipvssync

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/config"
)

var (
	vip  = netip.MustParseAddr("192.0.2.50")
	rs1  = netip.MustParseAddr("192.0.2.7")
	rs2  = netip.MustParseAddr("192.0.2.8")
	rs3  = netip.MustParseAddr("192.0.2.9")
	lo   = netip.MustParseAddr("127.0.0.1")
	key  = ServiceKey{Family: FamilyIPv4, Proto: ProtoTCP, Addr: vip, Port: 80}
	k1   = DestKey{rs1, 80}
	k2   = DestKey{rs2, 80}
	k3   = DestKey{rs3, 80}
	kLo  = DestKey{lo, 80}
	down = RealState{Alive: false}
)

// addrCmp lets go-cmp compare netip.Addr, whose fields are unexported.
var addrCmp = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func rs(a netip.Addr, w int) *config.RealServer {
	return &config.RealServer{Address: netip.AddrPortFrom(a, 80), Weight: w, Kind: config.KindDR}
}

func vs(mod func(*config.VirtualServer)) *config.VirtualServer {
	v := &config.VirtualServer{
		Name: "web", Address: netip.AddrPortFrom(vip, 80), Protocol: config.TCP,
		Scheduler: "wlc", Kind: config.KindDR, Quorum: 1,
		RealServers: []*config.RealServer{rs(rs1, 2), rs(rs2, 3)},
	}
	if mod != nil {
		mod(v)
	}
	return v
}

func dest(a netip.Addr, w int, f Forward) Destination {
	return Destination{Addr: a, Port: 80, Weight: w, Forward: f}
}

func entry(svc Service, ds ...Destination) ServiceEntry {
	m := map[DestKey]Destination{}
	for _, d := range ds {
		m[d.Key()] = d
	}
	return ServiceEntry{Service: svc, Dests: m}
}

func health(states map[DestKey]RealState) Health {
	h := Health{Real: map[RealKey]RealState{}}
	for k, s := range states {
		h.Real[RealKey{key, k}] = s
	}
	return h
}

func TestDesired(t *testing.T) {
	plain := Service{Key: key, Scheduler: "wlc"}
	inhibit := func(v *config.VirtualServer) {
		v.InhibitOnFailure = true
		for _, r := range v.RealServers {
			r.InhibitOnFailure = true
		}
	}
	sorry := func(v *config.VirtualServer) { v.SorryServer = netip.AddrPortFrom(lo, 80); v.Kind = config.KindNAT }
	tests := []struct {
		name string
		vs   *config.VirtualServer
		h    Health
		want ServiceEntry
	}{
		{"all alive", vs(nil), Health{}, entry(plain, dest(rs1, 2, ForwardDR), dest(rs2, 3, ForwardDR))},
		{"failed server absent", vs(nil), health(map[DestKey]RealState{k1: down}),
			entry(plain, dest(rs2, 3, ForwardDR))},
		{"failed server quiescent with inhibit", vs(inhibit), health(map[DestKey]RealState{k1: down}),
			entry(plain, dest(rs1, 0, ForwardDR), dest(rs2, 3, ForwardDR))},
		{"recovered returns at configured weight", vs(nil), health(map[DestKey]RealState{k1: {Alive: true}}),
			entry(plain, dest(rs1, 2, ForwardDR), dest(rs2, 3, ForwardDR))},
		{"dynamic weight", vs(nil), health(map[DestKey]RealState{k2: {Alive: true, HasWeight: true, Weight: 7}}),
			entry(plain, dest(rs1, 2, ForwardDR), dest(rs2, 7, ForwardDR))},
		{"drained at weight 0", vs(nil), health(map[DestKey]RealState{k1: {Alive: true, Drain: true}}),
			entry(plain, dest(rs1, 0, ForwardDR), dest(rs2, 3, ForwardDR))},
		{"sorry server when all down, with the vs kind", vs(sorry), health(map[DestKey]RealState{k1: down, k2: down}),
			entry(plain, dest(lo, 1, ForwardMasq))},
		{"sorry server gone when one is back", vs(sorry), health(map[DestKey]RealState{k1: down}),
			entry(plain, dest(rs2, 3, ForwardDR))},
		{"quorum lost with sorry server: live servers out", vs(func(v *config.VirtualServer) { sorry(v); v.Quorum = 4 }),
			health(map[DestKey]RealState{k2: down}), entry(plain, dest(lo, 1, ForwardMasq))},
		{"quorum lost with sorry server and inhibit: live servers at 0", vs(func(v *config.VirtualServer) { sorry(v); inhibit(v); v.Quorum = 4 }),
			health(map[DestKey]RealState{k2: down}), entry(plain, dest(rs1, 0, ForwardDR), dest(rs2, 0, ForwardDR), dest(lo, 1, ForwardMasq))},
		{"quorum lost without sorry server changes nothing", vs(func(v *config.VirtualServer) { v.Quorum = 4 }),
			health(map[DestKey]RealState{k2: down}), entry(plain, dest(rs1, 2, ForwardDR))},
		{"persistence", vs(func(v *config.VirtualServer) {
			v.PersistenceTimeout = 300 * time.Second
			v.PersistenceNetmask = netip.MustParseAddr("255.255.255.0")
		}), Health{}, entry(Service{Key: key, Scheduler: "wlc", Flags: FlagPersistent, Timeout: 300, Netmask: 24},
			dest(rs1, 2, ForwardDR), dest(rs2, 3, ForwardDR))},
		{"sh with fallback and port", vs(func(v *config.VirtualServer) { v.Scheduler, v.SchedFallback, v.SchedPort = "sh", true, true }),
			Health{}, entry(Service{Key: key, Scheduler: "sh", Flags: FlagSched1 | FlagSched2}, dest(rs1, 2, ForwardDR), dest(rs2, 3, ForwardDR))},
		{"mh with fallback only", vs(func(v *config.VirtualServer) { v.Scheduler, v.SchedFallback = "mh", true }),
			Health{}, entry(Service{Key: key, Scheduler: "mh", Flags: FlagSched1}, dest(rs1, 2, ForwardDR), dest(rs2, 3, ForwardDR))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Desired([]*config.VirtualServer{tt.vs}, tt.h)
			if diff := cmp.Diff(Table{key: tt.want}, got, addrCmp); diff != "" {
				t.Errorf("Desired (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDesiredKeys(t *testing.T) {
	v6 := netip.MustParseAddr("2001:db8::7")
	fw := &config.VirtualServer{FWMark: 7, Scheduler: "rr", PersistenceTimeout: time.Second,
		RealServers: []*config.RealServer{{Address: netip.AddrPortFrom(v6, 0), Weight: 1, Kind: config.KindTUN,
			UpperThreshold: 10, LowerThreshold: 5}}}
	udp := &config.VirtualServer{Address: netip.MustParseAddrPort("[2001:db8::50]:53"), Protocol: config.UDP}
	got := Desired([]*config.VirtualServer{fw, udp}, Health{})
	fwKey := ServiceKey{Family: FamilyIPv6, FWMark: 7}
	udpKey := ServiceKey{Family: FamilyIPv6, Proto: ProtoUDP, Addr: netip.MustParseAddr("2001:db8::50"), Port: 53}
	want := Table{
		fwKey: entry(Service{Key: fwKey, Scheduler: "rr", Flags: FlagPersistent, Timeout: 1, Netmask: 128},
			Destination{Addr: v6, Weight: 1, Forward: ForwardTunnel, Upper: 10, Lower: 5}),
		udpKey: entry(Service{Key: udpKey, Scheduler: "wlc"}),
	}
	if diff := cmp.Diff(want, got, addrCmp); diff != "" {
		t.Errorf("Desired (-want +got):\n%s", diff)
	}
}

// SCTP and UDP services keep their protocol in the key; ops sets the
// one-packet flag.
func TestDesiredProtocolsAndOPS(t *testing.T) {
	sctp := vs(func(v *config.VirtualServer) { v.Protocol = config.SCTP })
	udp := vs(func(v *config.VirtualServer) { v.Protocol, v.OnePacket = config.UDP, true })
	udp.Address = netip.AddrPortFrom(udp.Address.Addr(), 53)
	got := Desired([]*config.VirtualServer{sctp, udp}, Health{})
	sk := ServiceKey{Family: FamilyIPv4, Proto: ProtoSCTP, Addr: key.Addr, Port: key.Port}
	uk := ServiceKey{Family: FamilyIPv4, Proto: ProtoUDP, Addr: key.Addr, Port: 53}
	if e, ok := got[sk]; !ok || e.Service.Flags != 0 {
		t.Errorf("sctp service: %+v present %v, want key %v without flags", e.Service, ok, sk)
	}
	if e, ok := got[uk]; !ok || e.Service.Flags != FlagOnePacket {
		t.Errorf("udp service: %+v present %v, want key %v with FlagOnePacket", e.Service, ok, uk)
	}
}

func TestQuorumHysteresis(t *testing.T) {
	// Weights 2, 3, 4 (sum 9); quorum 6, hysteresis 2: up at >= 8, down
	// at < 4.
	v := vs(func(v *config.VirtualServer) {
		v.RealServers = append(v.RealServers, rs(rs3, 4))
		v.Quorum, v.Hysteresis = 6, 2
	})
	steps := []struct {
		alive      []DestKey
		wantUp     bool
		wantChange bool
	}{
		{[]DestKey{k1, k2, k3}, true, true}, // initial 9 >= 8
		{[]DestKey{k2, k3}, true, false},    // 7: stays up (not < 4)
		{[]DestKey{k3}, true, false},        // 4: still up
		{[]DestKey{k2}, false, true},        // 3 < 4: down
		{[]DestKey{k2, k3}, false, false},   // 7 < 8: stays down
		{[]DestKey{k1, k2, k3}, true, true}, // 9 >= 8: up
		{nil, false, true},                  // 0: down
	}
	h := Health{}
	for i, s := range steps {
		h.Real = map[RealKey]RealState{}
		for _, k := range []DestKey{k1, k2, k3} {
			h.Real[RealKey{key, k}] = RealState{}
		}
		for _, k := range s.alive {
			h.Real[RealKey{key, k}] = RealState{Alive: true}
		}
		ch := UpdateQuorum([]*config.VirtualServer{v}, &h)
		if got := h.QuorumUp[key]; got != s.wantUp {
			t.Errorf("step %d: up = %v, want %v", i, got, s.wantUp)
		}
		if (len(ch) == 1) != s.wantChange {
			t.Errorf("step %d: changes = %+v, want change %v", i, ch, s.wantChange)
		}
		if len(ch) == 1 && ch[0].Initial != (i == 0) {
			t.Errorf("step %d: Initial = %v", i, ch[0].Initial)
		}
	}
}

func TestQuorumZeroGoesDownWhenNothingAlive(t *testing.T) {
	v := vs(func(v *config.VirtualServer) { v.Quorum = 0 })
	h := health(map[DestKey]RealState{k1: down, k2: down})
	h.QuorumUp = map[ServiceKey]bool{key: true}
	if QuorumState(v, h) {
		t.Error("quorum 0 with nothing alive stays up; keepalived goes down on a zero sum")
	}
}
