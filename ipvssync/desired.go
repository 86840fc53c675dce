package ipvssync

import (
	"maps"
	"net/netip"

	"github.com/lbhad/lbhad/config"
)

// RealKey names one real server of one virtual server.
type RealKey struct {
	Service ServiceKey
	Dest    DestKey
}

// RealState is what the health checks and the operator say about a real
// server.
type RealState struct {
	Alive bool
	// Weight replaces the configured weight when HasWeight is set: the
	// dynamic weight of misc_dynamic checks.
	Weight    int
	HasWeight bool
	// Drain keeps the server in the table at weight 0 (maintenance): it
	// takes no new connections but keeps its established ones.
	Drain bool
}

// Health is the input of Desired besides the config.
type Health struct {
	// Real holds the state of each real server. A real server without an
	// entry is alive at its configured weight, as keepalived starts real
	// servers before their first check unless in alpha mode.
	Real map[RealKey]RealState
	// QuorumUp is the quorum memory: the previous answer of QuorumState for
	// each virtual server. A missing entry means "no previous answer", and
	// the initial rule applies. UpdateQuorum maintains it.
	QuorumUp map[ServiceKey]bool
	// Maint holds the real servers an operator put in maintenance;
	// Reconciler.SyncHealth drains them (DrainMaint) and reports when
	// they leave. Desired itself ignores it.
	Maint map[RealKey]Maint
	// Members maps the first service of a group virtual server to its
	// other services (groupMembers): a real server in maintenance drains
	// while any of them counts connections on it. SyncHealth fills it.
	Members map[ServiceKey][]ServiceKey
}

// ServiceKeyOf returns the IPVS identity of a virtual server. The family of
// an fwmark service is that of its first real server (or sorry server),
// IPv4 when it has none, as keepalived derives it.
func ServiceKeyOf(vs *config.VirtualServer) ServiceKey {
	if vs.FWMark != 0 {
		fam := FamilyIPv4
		switch {
		case len(vs.RealServers) > 0:
			fam = familyOf(vs.RealServers[0].Address.Addr())
		case vs.SorryServer.IsValid():
			fam = familyOf(vs.SorryServer.Addr())
		}
		return ServiceKey{Family: fam, FWMark: vs.FWMark}
	}
	a := vs.Address.Addr().Unmap()
	return ServiceKey{Family: familyOf(a), Proto: protoOf(vs.Protocol), Addr: a, Port: vs.Address.Port()}
}

// ServiceKeysOf returns every IPVS service of vs: ServiceKeyOf(vs) for a
// plain virtual server; for one serving a virtual_server_group, one key
// per member, the first being ServiceKeyOf(vs). The members share vs's
// real servers, their health and quorum, which are keyed by the first.
func ServiceKeysOf(vs *config.VirtualServer) []ServiceKey {
	first := ServiceKeyOf(vs)
	if len(vs.Members) == 0 {
		return []ServiceKey{first}
	}
	keys := make([]ServiceKey, 0, len(vs.Members))
	for _, m := range vs.Members {
		if m.FWMark != 0 {
			keys = append(keys, ServiceKey{Family: first.Family, FWMark: m.FWMark})
			continue
		}
		a := m.Address.Addr().Unmap()
		keys = append(keys, ServiceKey{Family: familyOf(a), Proto: protoOf(vs.Protocol), Addr: a, Port: m.Address.Port()})
	}
	return keys
}

// groupMembers maps the first service of every group virtual server in
// vss to the others, for the checks that read the kernel's state of a
// real server (drain): a group's real server is one, on every member.
func groupMembers(vss []*config.VirtualServer) map[ServiceKey][]ServiceKey {
	var out map[ServiceKey][]ServiceKey
	for _, vs := range vss {
		if len(vs.Members) > 1 {
			if out == nil {
				out = map[ServiceKey][]ServiceKey{}
			}
			keys := ServiceKeysOf(vs)
			out[keys[0]] = keys[1:]
		}
	}
	return out
}

func protoOf(p config.Protocol) Proto {
	switch p {
	case config.UDP:
		return ProtoUDP
	case config.SCTP:
		return ProtoSCTP
	}
	return ProtoTCP
}

func forwardOf(k config.ForwardKind) Forward {
	switch k {
	case config.KindDR:
		return ForwardDR
	case config.KindTUN:
		return ForwardTunnel
	}
	return ForwardMasq
}

// realKeyOf returns the identity of rs within vs.
func realKeyOf(svc ServiceKey, rs *config.RealServer) RealKey {
	return RealKey{svc, DestKey{rs.Address.Addr().Unmap(), rs.Address.Port()}}
}

// RealKeyOf returns the key under which Health.Real holds rs of vs.
func RealKeyOf(vs *config.VirtualServer, rs *config.RealServer) RealKey {
	return realKeyOf(ServiceKeyOf(vs), rs)
}

func (h Health) state(k RealKey) RealState {
	if st, ok := h.Real[k]; ok {
		return st
	}
	return RealState{Alive: true}
}

// effectiveWeight is the weight a live real server contributes.
func effectiveWeight(rs *config.RealServer, st RealState) int {
	w := rs.Weight
	if st.HasWeight {
		w = st.Weight
	}
	if w < 0 {
		w = 0
	}
	return w
}

// LiveWeight is the summed effective weight of the live real servers of
// vs, the quantity keepalived compares with the quorum. Drained servers
// count as weight 0.
func LiveWeight(vs *config.VirtualServer, h Health) int {
	svc := ServiceKeyOf(vs)
	sum := 0
	for _, rs := range vs.RealServers {
		st := h.state(realKeyOf(svc, rs))
		if st.Alive && !st.Drain {
			sum += effectiveWeight(rs, st)
		}
	}
	return sum
}

// QuorumState reports whether vs has quorum, with keepalived's hysteresis
// (check/ipwrapper.c, update_quorum_state and set_quorum_states):
//
//   - first evaluation (no entry in h.QuorumUp): up when the live weight is
//     at least quorum + hysteresis;
//   - while down: up again when the live weight is at least quorum +
//     hysteresis;
//   - while up: down when the live weight is below quorum - hysteresis, or
//     is zero (so a quorum of 0 still goes down when nothing is alive).
//
// It is pure: the previous state is read from h.QuorumUp, and the caller
// stores the answer back (UpdateQuorum does) to keep the memory.
func QuorumState(vs *config.VirtualServer, h Health) (up bool) {
	sum := LiveWeight(vs, h)
	prev, known := h.QuorumUp[ServiceKeyOf(vs)]
	if !known || !prev {
		return sum >= vs.Quorum+vs.Hysteresis
	}
	return !(sum == 0 || sum < vs.Quorum-vs.Hysteresis)
}

// QuorumChange is a quorum transition of one virtual server, for the
// daemon's notify_quorum_up/down events.
type QuorumChange struct {
	VirtualServer *config.VirtualServer
	Up            bool
	Initial       bool // first evaluation ("Starting with quorum up/down")
	LiveWeight    int
}

// UpdateQuorum evaluates QuorumState for every virtual server, stores the
// answers in h.QuorumUp (allocating it when nil) and returns the
// transitions, including the first evaluation of each virtual server.
// Call it before Desired whenever health changes.
func UpdateQuorum(cfg []*config.VirtualServer, h *Health) []QuorumChange {
	if h.QuorumUp == nil {
		h.QuorumUp = make(map[ServiceKey]bool)
	}
	var out []QuorumChange
	for _, vs := range cfg {
		k := ServiceKeyOf(vs)
		prev, known := h.QuorumUp[k]
		up := QuorumState(vs, *h)
		h.QuorumUp[k] = up
		if !known || prev != up {
			out = append(out, QuorumChange{VirtualServer: vs, Up: up, Initial: !known, LiveWeight: LiveWeight(vs, *h)})
		}
	}
	return out
}

// withTunnel sets d's encapsulation for a TUN destination.
func withTunnel(d *Destination, k config.ForwardKind, t config.Tunnel) {
	if k != config.KindTUN {
		return
	}
	switch t.Type {
	case config.TunnelGUE:
		d.TunType = TunnelGUE
	case config.TunnelGRE:
		d.TunType = TunnelGRE
	default:
		d.TunType = TunnelIPIP
	}
	d.TunPort = t.Port
	switch t.Checksum {
	case config.TunnelCsum:
		d.TunFlags = TunFlagCsum
	case config.TunnelRemCsum:
		d.TunFlags = TunFlagRemCsum
	default:
		d.TunFlags = 0
	}
}

// sorryWeight is the weight keepalived gives a sorry server (alloc_ssvr).
const sorryWeight = 1

// Desired computes the table lbhad wants for cfg given health. It is pure.
//
// For each virtual server:
//   - a live real server is present at its effective weight (the dynamic
//     weight when set, else the configured one); a drained one at weight 0;
//   - a failed real server is absent, or present at weight 0 (quiescent,
//     like ldirectord's quiescent=yes) when inhibit_on_failure is set; a
//     recovered one returns at its weight;
//   - when the virtual server is without quorum (QuorumState; with the
//     default quorum 1 that means no live weight) and has a sorry server,
//     the sorry server is present at weight 1 and the live real servers
//     are taken out (to weight 0 when inhibit_on_failure), as keepalived
//     does in update_quorum_state/perform_quorum_state. The sorry server
//     forwards with sorry_server_lvs_method, by default the virtual
//     server's lb_kind (keepalived's alloc_ssvr copies
//     vs->forwarding_method; with the default NAT a sorry server of
//     127.0.0.1 is a Masq destination);
//   - with sorry_server_inhibit the sorry server stays in the table at
//     weight 0 while the virtual server has quorum, as inhibit_on_failure
//     keeps a failed real server (keepalived adds it at weight 0 at start
//     and sets the weight instead of deleting it);
//   - a TUN destination carries its tunnel type, port and checksum flags.
//
// Quorum memory comes from h.QuorumUp; see QuorumState.
func Desired(cfg []*config.VirtualServer, h Health) Table {
	t := make(Table, len(cfg))
	for _, vs := range cfg {
		key := ServiceKeyOf(vs)
		svc := Service{Key: key, Scheduler: vs.Scheduler}
		if svc.Scheduler == "" {
			svc.Scheduler = "wlc"
		}
		if vs.OnePacket {
			svc.Flags |= FlagOnePacket
		}
		if vs.SchedFallback {
			svc.Flags |= FlagSched1
		}
		if vs.SchedPort {
			svc.Flags |= FlagSched2
		}
		if vs.PersistenceTimeout > 0 {
			svc.Flags |= FlagPersistent
			svc.Timeout = uint32((vs.PersistenceTimeout + 999_999_999) / 1e9)
			svc.Netmask = fullBits(key.Family)
			if vs.PersistenceNetmask.IsValid() {
				svc.Netmask = maskBits(vs.PersistenceNetmask)
			}
		}
		dests := make(map[DestKey]Destination, len(vs.RealServers)+1)
		quorumUp := QuorumState(vs, h)
		useSorry := !quorumUp && vs.SorryServer.IsValid()
		for _, rs := range vs.RealServers {
			rk := realKeyOf(key, rs)
			st := h.state(rk)
			d := Destination{
				Addr: rk.Dest.Addr, Port: rk.Dest.Port,
				Weight: effectiveWeight(rs, st), Forward: forwardOf(rs.Kind),
				Upper: rs.UpperThreshold, Lower: rs.LowerThreshold,
			}
			withTunnel(&d, rs.Kind, rs.Tunnel)
			switch {
			case !st.Alive || useSorry:
				if !rs.InhibitOnFailure {
					continue
				}
				d.Weight = 0
			case st.Drain:
				d.Weight = 0
			}
			dests[rk.Dest] = d
		}
		if useSorry || (vs.SorryInhibit && vs.SorryServer.IsValid()) {
			a := vs.SorryServer.Addr().Unmap()
			d := Destination{Addr: a, Port: vs.SorryServer.Port(), Weight: sorryWeight, Forward: forwardOf(vs.SorryKind)}
			withTunnel(&d, vs.SorryKind, vs.SorryTunnel)
			if !useSorry {
				d.Weight = 0 // sorry_server_inhibit: kept, idle
			}
			dests[d.Key()] = d
		}
		t[key] = ServiceEntry{Service: svc, Dests: dests}
		for _, mk := range ServiceKeysOf(vs)[1:] {
			msvc := svc
			msvc.Key = mk // config keeps a group to one family
			t[mk] = ServiceEntry{Service: msvc, Dests: maps.Clone(dests)}
		}
	}
	return t
}

func fullBits(f Family) int {
	if f == FamilyIPv6 {
		return 128
	}
	return 32
}

// maskBits turns a netmask written as an address (255.255.255.0) into a
// prefix length, counting leading one bits.
func maskBits(m netip.Addr) int {
	m = m.Unmap()
	n := 0
	for _, b := range m.AsSlice() {
		for i := 7; i >= 0; i-- {
			if b&(1<<i) == 0 {
				return n
			}
			n++
		}
	}
	return n
}
