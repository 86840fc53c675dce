package control

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/ipvssync"
	"github.com/lbhad/lbhad/vrrp"
)

// Input is what the daemon knows, gathered under its own locks; Build
// turns it into a Snapshot. Every field may be zero.
type Input struct {
	Config     *config.Config // the running config; nil before the first load
	ConfigPath string
	StartedAt  time.Time
	Now        time.Time     // default time.Now()
	LastReload *ReloadStatus // nil: never reloaded
	Degraded   []Problem     // copied as it is
	// VRRP is the router's status. nil means no router runs (the vrrp
	// part is degraded or stopped): the config's instances are then
	// listed as INIT, waiting "not running". An empty, non-nil list is a
	// router that has not opened its instances yet, and lists none.
	VRRP []vrrp.Status
	// Checks are the vrrp_scripts' statuses, and the real servers' when
	// RealStatus is nil.
	Checks []checker.Status
	// RealStatus finds a real server's check status; nil looks for it in
	// Checks.
	RealStatus RealStatusFunc
	// Table is the kernel's IPVS table (ipvsComponent.Table); TableErr
	// the error reading it. A nil Table without error means IPVS is not
	// in use.
	Table    ipvssync.Table
	TableErr error
	// QuorumUp is the IPVS reconciler's quorum memory (ipvssync.Health
	// QuorumUp). When nil, quorum is recomputed from the check verdicts
	// without hysteresis memory, which can differ from the reconciler's
	// answer only inside the hysteresis band.
	QuorumUp map[ipvssync.ServiceKey]bool
	// Maintenance is copied into the Snapshot as it is.
	Maintenance *MaintStatus
}

// Build assembles a Snapshot. It never copies a secret out of the
// config: only names, addresses, schedulers and check kinds are read.
func Build(in Input) Snapshot {
	s := Snapshot{
		ConfigPath:  in.ConfigPath,
		StartedAt:   in.StartedAt,
		Now:         in.Now,
		LastReload:  in.LastReload,
		Degraded:    in.Degraded,
		Instances:   Instances(in.VRRP),
		Checks:      Scripts(in.Checks),
		Maintenance: in.Maintenance,
	}
	if s.Now.IsZero() {
		s.Now = time.Now()
	}
	if in.TableErr != nil {
		s.IPVSError = in.TableErr.Error()
	}
	if in.Config != nil {
		if in.VRRP == nil {
			s.Instances = append(s.Instances, unreported(in.Config.Instances, s.Instances)...)
		}
		s.RouterID = in.Config.Global.RouterID
		lookup := in.RealStatus
		if lookup == nil {
			lookup = StatusIndex(in.Checks)
		}
		s.VirtualServers = VirtualServers(in.Config.VirtualServers, lookup, in.Table, in.QuorumUp)
	}
	if s.Instances == nil {
		s.Instances = []InstanceStatus{}
	}
	if s.VirtualServers == nil {
		s.VirtualServers = []VSStatus{}
	}
	if s.Checks == nil {
		s.Checks = []CheckStatus{}
	}
	return s
}

// notRunning is the Waiting reason of a configured instance the VRRP
// router does not report: it is not running (Snapshot.Degraded says why)
// or not started yet.
const notRunning = "not running"

// unreported returns the configured instances missing from have, in
// config order, as INIT and waiting, so status and the metrics list
// every configured instance even when the VRRP router does not run.
func unreported(cfg []*config.Instance, have []InstanceStatus) []InstanceStatus {
	seen := make(map[string]bool, len(have))
	for _, in := range have {
		seen[in.Name] = true
	}
	var out []InstanceStatus
	for _, c := range cfg {
		if seen[c.Name] {
			continue
		}
		is := InstanceStatus{
			Name: c.Name, Interface: c.Interface, VRID: c.VRID, State: "INIT",
			BasePriority: c.Priority, EffectivePriority: c.Priority, VIPs: make([]string, 0, len(c.VIPs)),
			Waiting: notRunning, Faults: []string{"waiting:" + notRunning},
		}
		for _, v := range c.VIPs {
			is.VIPs = append(is.VIPs, v.Prefix.String())
		}
		out = append(out, is)
	}
	return out
}

// Instances converts the VRRP router's statuses, keeping their order.
func Instances(sts []vrrp.Status) []InstanceStatus {
	out := make([]InstanceStatus, 0, len(sts))
	for _, st := range sts {
		out = append(out, Instance(st))
	}
	return out
}

// Instance converts one vrrp.Status.
func Instance(st vrrp.Status) InstanceStatus {
	is := InstanceStatus{
		Name: st.Name, Interface: st.Interface, VRID: st.VRID, SyncGroup: st.SyncGroup,
		State: st.State.String(), BasePriority: st.BasePriority, EffectivePriority: st.EffectivePriority,
		MasterPriority: st.MasterPriority, VIPs: make([]string, 0, len(st.VIPs)),
		Faults: append([]string(nil), st.Faults...), LastTransition: st.LastTransition,
		LastReason: string(st.LastReason), Maintenance: st.Maintenance, HandingOver: st.HandingOver,
		Waiting: st.Waiting,
		Counters: Counters{
			AdvertsSent: st.Counters.AdvertsSent, AdvertsReceived: st.Counters.AdvertsReceived,
			PriorityZeroSent: st.Counters.PriorityZeroSent, PriorityZeroReceived: st.Counters.PriorityZeroReceived,
			SendErrors: st.Counters.SendErrors, BecameMaster: st.Counters.BecameMaster,
		},
	}
	if st.Master.IsValid() {
		is.Master = st.Master.String()
	}
	for _, p := range st.VIPs {
		is.VIPs = append(is.VIPs, p.String())
	}
	for r, n := range st.Counters.Dropped {
		if n == 0 || vrrp.DropReason(r) == vrrp.DropNone {
			continue
		}
		if is.Counters.Dropped == nil {
			is.Counters.Dropped = map[string]uint64{}
		}
		is.Counters.Dropped[vrrp.DropReason(r).String()] = n
	}
	return is
}

// Scripts converts the vrrp_script checks among sts (real server checks
// are shown under their virtual server instead), keeping their order.
func Scripts(sts []checker.Status) []CheckStatus {
	out := []CheckStatus{}
	for _, st := range sts {
		if st.Spec.Kind != checker.KindScript {
			continue
		}
		name := st.Spec.Name
		if name == "" {
			name = st.Spec.ID
		}
		out = append(out, CheckStatus{
			Name: name, Kind: st.Spec.Kind.String(), Health: healthOf(st.State),
			LastCheck: st.LastTime, Latency: Duration(st.Last.Latency), LastReason: st.Last.Reason,
			Failures: st.Failures, Running: st.Running,
		})
	}
	return out
}

func healthOf(s checker.State) Health {
	switch s {
	case checker.StateUp:
		return HealthUp
	case checker.StateDown:
		return HealthDown
	}
	return HealthUnknown
}

// RealStatusFunc returns the check status of virtual server vs's real
// server rs; false when it has none.
type RealStatusFunc func(vs *config.VirtualServer, rs *config.RealServer) (checker.Status, bool)

// VirtualServers joins the configured virtual servers with the check
// verdicts of their real servers (from status) and with the kernel's
// table (matched by the IPVS keys ipvssync derives from the config).
// quorum may be nil; see Input.QuorumUp.
//
// It runs at every metrics scrape and status read, so it allocates the
// rows it returns and little else: at 10,000 real servers a map of the
// statuses by real server and a health map per virtual server were 3 of
// its 5 MB.
func VirtualServers(cfg []*config.VirtualServer, status RealStatusFunc, t ipvssync.Table, quorum map[ipvssync.ServiceKey]bool) []VSStatus {
	// health is the quorum's input when the reconciler's memory does not
	// have the service; one map, emptied for each virtual server.
	var health ipvssync.Health
	out := make([]VSStatus, 0, len(cfg))
	for _, vs := range cfg {
		svc := ipvssync.ServiceKeyOf(vs)
		up, known := quorum[svc]
		if !known {
			if health.Real == nil {
				health.Real = map[ipvssync.RealKey]ipvssync.RealState{}
			}
			clear(health.Real)
		}
		entry, inKernel := t[svc]
		v := VSStatus{
			Name: vs.Name, Service: serviceName(vs), Scheduler: vs.Scheduler, Kind: vs.Kind.String(),
			InKernel: inKernel, RealServers: make([]RSStatus, 0, len(vs.RealServers)),
		}
		if inKernel {
			v.Traffic = trafficOf(entry.Service.Stats)
		}
		if vs.SorryServer.IsValid() {
			v.SorryServer = vs.SorryServer.String()
		}
		for _, rs := range vs.RealServers {
			r := RSStatus{Name: rs.Name, Address: rs.Address.String(), Weight: rs.Weight, Health: HealthUp}
			if len(rs.Checks) > 0 {
				r.Check = checkKinds(rs.Checks)
				r.Health = HealthUnknown
				if st, ok := status(vs, rs); ok {
					r.Health = healthOf(st.State)
					r.LastCheck, r.Latency, r.LastReason, r.Failures = st.LastTime, Duration(st.Last.Latency), st.Last.Reason, st.Failures
					if !known {
						noteHealth(health.Real, ipvssync.RealKeyOf(vs, rs), &st)
					}
				}
			}
			if inKernel {
				rk := ipvssync.RealKeyOf(vs, rs)
				if d, ok := entry.Dests[rk.Dest]; ok {
					w := d.Weight
					r.CurrentWeight = &w
					r.ActiveConns, r.InactConns = d.ActiveConns, d.InactConns
					r.Traffic = trafficOf(d.Stats)
				}
			}
			v.RealServers = append(v.RealServers, r)
		}
		if !known {
			up = ipvssync.QuorumState(vs, health)
		}
		v.QuorumUp = up
		out = append(out, v)
	}
	return out
}

// noteHealth records a checked real server's verdict as the quorum
// reads it: up with its weight, down, or (unknown) absent.
func noteHealth(real map[ipvssync.RealKey]ipvssync.RealState, rk ipvssync.RealKey, st *checker.Status) {
	switch st.State {
	case checker.StateUp:
		rst := ipvssync.RealState{Alive: true}
		if st.Weight != nil {
			rst.Weight, rst.HasWeight = *st.Weight, true
		}
		real[rk] = rst
	case checker.StateDown:
		real[rk] = ipvssync.RealState{}
	}
}

// checkKinds names a real server's checks, "tcp_check" or
// "http_get+misc_check".
func checkKinds(cs []*config.Check) string {
	if len(cs) == 1 {
		return cs[0].Kind.String()
	}
	kinds := make([]string, len(cs))
	for i, c := range cs {
		kinds[i] = c.Kind.String()
	}
	return strings.Join(kinds, "+")
}

// StatusIndex finds real servers' statuses in checks by virtual server
// name and target, through a sorted index of their positions: 4 bytes a
// status where a map keyed by both took about 100.
func StatusIndex(checks []checker.Status) RealStatusFunc {
	idx := make([]int32, 0, len(checks))
	for i := range checks {
		sp := checks[i].Spec
		if sp.Kind == checker.KindScript || !sp.Target.IsValid() {
			continue
		}
		idx = append(idx, int32(i))
	}
	slices.SortFunc(idx, func(a, b int32) int {
		return compareRS(checks[a].Spec, checks[b].Spec.VirtualServer, checks[b].Spec.Target)
	})
	return func(vs *config.VirtualServer, rs *config.RealServer) (checker.Status, bool) {
		i, ok := slices.BinarySearchFunc(idx, 0, func(e int32, _ int) int {
			return compareRS(checks[e].Spec, vs.Name, rs.Address)
		})
		if !ok {
			return checker.Status{}, false
		}
		return checks[idx[i]], true
	}
}

func compareRS(sp *checker.Spec, vs string, addr netip.AddrPort) int {
	if c := strings.Compare(sp.VirtualServer, vs); c != 0 {
		return c
	}
	return sp.Target.Compare(addr)
}

func trafficOf(s ipvssync.Stats) *Traffic {
	return &Traffic{Conns: s.Conns, PacketsIn: s.PacketsIn, PacketsOut: s.PacketsOut, BytesIn: s.BytesIn, BytesOut: s.BytesOut}
}

func serviceName(vs *config.VirtualServer) string {
	if vs.FWMark != 0 {
		return fmt.Sprintf("fwmark %d", vs.FWMark)
	}
	return vs.Protocol.String() + " " + vs.Address.String()
}
