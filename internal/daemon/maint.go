package daemon

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/ipvssync"
	"github.com/lbhad/lbhad/notify"
	"github.com/lbhad/lbhad/vrrp"
)

// DefaultDrainTimeout bounds how long a real server put in maintenance
// stays at weight 0 for its connections to finish before it leaves the
// table anyway.
const DefaultDrainTimeout = 5 * time.Minute

// maintComponent serves "lbhad maint": it keeps the maintenance state in
// global.state_file and lays it over the VRRP router (vrrp.Router
// SetMaintenance) and the IPVS reconciler (marks, markOut; the drain rule
// is ipvssync's). It starts before
// both, so a restarted daemon brings its instances up already in
// maintenance and never puts a drained real server back.
type maintComponent struct {
	log          *zap.Logger
	now          func() time.Time
	defaultDrain time.Duration
	maintLinks

	mu   sync.Mutex
	path string
	st   maintState
	cfg  *config.Config
}

// maintLinks are whom the maintenance component tells and asks, all
// given at construction (build); a nil field is nobody, as in tests
// that make the component alone.
type maintLinks struct {
	announce func(notify.Event)
	// router returns the running VRRP router, or nil before it exists.
	router func() *vrrp.Router
	// resync asks the IPVS component for a sync, which lays the new
	// real-server marks over the table.
	resync func()
	// director is told after the whole director's maintenance changed
	// (the BGP component withdraws or announces).
	directorChanged func()
}

func newMaintComponent(log *zap.Logger, clk clock.Clock, links maintLinks) *maintComponent {
	return &maintComponent{
		log: log.With(zap.String("component", "maint")), now: clock.OrReal(clk).Now, maintLinks: links,
		defaultDrain: DefaultDrainTimeout, st: maintState{Version: maintStateVersion},
	}
}

func (m *maintComponent) Name() string { return "maint" }

// StateFileEnv names the environment variable that sets the state file
// when the config's global.state_file does not (packaging: systemd's
// StateDirectory; tests: one file per daemon).
const StateFileEnv = "LBHAD_STATE_FILE"

// Apply reads the state file at start, and again if state_file moves.
// A state file that exists but cannot be read or decoded fails safe:
// the whole director is held in maintenance (what the file said is
// unknown, and rejoining the election could take VIPs an operator had
// moved away), with an error log and a maintenance notification, until
// "lbhad maint director off" writes a good file over it.
func (m *maintComponent) Apply(_ context.Context, cfg *config.Config) error {
	path := cfg.Global.StateFile
	if path == "" {
		path = os.Getenv(StateFileEnv)
	}
	if path == "" {
		path = config.DefaultStateFile
	}
	m.mu.Lock()
	m.cfg = cfg
	if path == m.path {
		m.mu.Unlock()
		return nil
	}
	m.path = path
	st, err := loadMaintState(path)
	if err != nil {
		st = failSafeState(err, m.now())
	}
	m.st = st
	m.mu.Unlock()
	if err != nil {
		kept := keepCorrupt(path)
		reason := fmt.Sprintf("maintenance state file %s is unusable (%v): director held in maintenance until \"lbhad maint director off\"", path, err)
		m.log.Error("maintenance state file unusable, director held in maintenance", zap.String("state_file", path), zap.String("copy", kept), zap.Error(err))
		if m.announce != nil {
			m.announce(notify.Event{Kind: notify.Maintenance, Reason: reason})
		}
		return nil
	}
	if st.Director != nil {
		m.log.Warn("director in maintenance (from the state file)", zap.String("state_file", path), zap.Time("since", st.Director.Since), zap.String("by", st.Director.By))
	}
	for name, mk := range st.Instances {
		m.log.Warn("instance in maintenance (from the state file)", zap.String("instance", name), zap.Time("since", mk.Since), zap.String("by", mk.By))
	}
	for key, mk := range st.RealServers {
		m.log.Warn("real server in maintenance (from the state file)", zap.String("real_server", key), zap.Time("since", mk.Since), zap.String("by", mk.By))
	}
	return nil
}

func (m *maintComponent) Stop(context.Context) error { return nil }

func (m *maintComponent) registerControl(srv *control.Server) {
	srv.Handle(control.CmdMaint, control.RootOnly(m.handle))
}

func (m *maintComponent) handle(_ context.Context, peer control.Peer, req control.Command) (any, error) {
	a, err := control.DecodeMaintArgs(req)
	if err != nil {
		return nil, err
	}
	if a.Target == control.MaintDirector {
		return m.director(peer, a)
	}
	return m.realServer(peer, a)
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

func (m *maintComponent) director(peer control.Peer, a control.MaintArgs) (control.MaintReply, error) {
	var reply control.MaintReply
	m.mu.Lock()
	var names []string
	for _, in := range m.cfg.Instances {
		names = append(names, in.Name)
	}
	if len(names) == 0 && (m.cfg.BGP == nil || a.Instance != "") {
		m.mu.Unlock()
		return reply, errors.New("this director runs no vrrp_instance and no bgp")
	}
	if a.Instance != "" && !slices.Contains(names, a.Instance) {
		m.mu.Unlock()
		return reply, fmt.Errorf("no vrrp_instance %q; this director has %s", a.Instance, strings.Join(names, ", "))
	}
	old := m.st
	old.Instances = cloneMap(m.st.Instances)
	mark := maintMark{Since: m.now(), By: peer.String()}
	switch {
	case a.On && a.Instance == "":
		if m.st.Director == nil {
			m.st.Director = &mark
		}
	case a.On:
		if _, ok := m.st.Instances[a.Instance]; !ok && m.st.Director == nil {
			if m.st.Instances == nil {
				m.st.Instances = map[string]maintMark{}
			}
			m.st.Instances[a.Instance] = mark
		}
	case a.Instance == "":
		m.st.Director, m.st.Instances = nil, nil
	default:
		if m.st.Director != nil {
			m.mu.Unlock()
			return reply, errors.New("the whole director is in maintenance; turn it off without --instance")
		}
		delete(m.st.Instances, a.Instance)
	}
	if err := saveMaintState(m.path, m.st); err != nil {
		m.st = old
		m.mu.Unlock()
		return reply, fmt.Errorf("%w; maintenance not changed", err)
	}
	path := m.path
	m.mu.Unlock()

	var r *vrrp.Router
	if m.router != nil {
		r = m.router()
	}
	reply.Applied = []string{}
	if r != nil {
		applied, err := r.SetMaintenance(a.Instance, a.On)
		if err != nil {
			return reply, err
		}
		reply.Applied = applied
	}
	what := "all instances"
	if a.Instance != "" {
		what = a.Instance
	}
	if a.Instance == "" && m.directorChanged != nil {
		m.directorChanged()
	}
	reason := fmt.Sprintf("director maintenance %s (%s), asked by %s", onOff(a.On), what, peer)
	m.log.Info(reason, zap.Bool("on", a.On), zap.String("instance", a.Instance), zap.String("by", peer.String()), zap.String("state_file", path))
	if m.announce != nil {
		m.announce(notify.Event{Kind: notify.Maintenance, Instance: a.Instance, Reason: reason})
	}
	if a.On {
		reply.Message = "maintenance on for " + what + ": a master hands its VIPs to the peer and this director stays backup until \"maint director off\""
	} else {
		reply.Message = "maintenance off for " + what + ": normal election (preemption as configured)"
	}
	if len(names) == 0 { // a BGP-only director
		reply.Message = "maintenance " + onOff(a.On) + ": BGP routes withdrawn until \"maint director off\""
		if !a.On {
			reply.Message = "maintenance off: BGP routes announced again where the virtual server has quorum"
		}
	}
	return reply, nil
}

func (m *maintComponent) realServer(peer control.Peer, a control.MaintArgs) (control.MaintReply, error) {
	var reply control.MaintReply
	key := a.VirtualServer + "/" + a.RealServer
	m.mu.Lock()
	if _, _, err := findRealServer(m.cfg, a.VirtualServer, a.RealServer); err != nil {
		m.mu.Unlock()
		return reply, err
	}
	old := cloneMap(m.st.RealServers)
	timeout := time.Duration(a.DrainTimeout)
	if timeout == 0 {
		timeout = m.defaultDrain
	}
	_, was := m.st.RealServers[key]
	if a.On && !was {
		if m.st.RealServers == nil {
			m.st.RealServers = map[string]maintRSMark{}
		}
		m.st.RealServers[key] = maintRSMark{Since: m.now(), By: peer.String(), DrainTimeout: control.Duration(timeout)}
	} else if !a.On {
		delete(m.st.RealServers, key)
	}
	if err := saveMaintState(m.path, m.st); err != nil {
		m.st.RealServers = old
		m.mu.Unlock()
		return reply, fmt.Errorf("%w; maintenance not changed", err)
	}
	m.mu.Unlock()
	reply.Applied = []string{}
	if a.On != was {
		reply.Applied = []string{key}
	}
	if m.resync != nil {
		m.resync()
	}
	reason := fmt.Sprintf("real server %s maintenance %s, asked by %s", key, onOff(a.On), peer)
	m.log.Info(reason, zap.Bool("on", a.On), zap.String("virtual_server", a.VirtualServer), zap.String("real_server", a.RealServer),
		zap.Duration("drain_timeout", timeout), zap.String("by", peer.String()))
	if m.announce != nil {
		m.announce(notify.Event{Kind: notify.Maintenance, VirtualServer: a.VirtualServer, RealServer: a.RealServer, Reason: reason})
	}
	if a.On {
		reply.Message = fmt.Sprintf("%s goes to weight 0 and leaves the table once its connections finish (at most %s)", key, timeout)
	} else {
		reply.Message = key + " returns at its configured weight once its checks pass"
	}
	return reply, nil
}

// findRealServer resolves names, with errors that list what exists.
func findRealServer(cfg *config.Config, vsName, rsName string) (*config.VirtualServer, *config.RealServer, error) {
	var vsNames []string
	for _, vs := range cfg.VirtualServers {
		if vs.Name != vsName {
			vsNames = append(vsNames, vs.Name)
			continue
		}
		var rsNames []string
		for _, rs := range vs.RealServers {
			if rs.Name == rsName {
				return vs, rs, nil
			}
			rsNames = append(rsNames, rs.Name)
		}
		return nil, nil, fmt.Errorf("virtual_server %q has no real_server %q; it has %s", vsName, rsName, orNone(rsNames))
	}
	return nil, nil, fmt.Errorf("no virtual_server %q; this director has %s", vsName, orNone(vsNames))
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func cloneMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return nil
	}
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// directorInMaint says whether the whole director is in maintenance;
// the BGP component then withdraws every route.
func (m *maintComponent) directorInMaint() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.Director != nil
}

// applyRouter puts a new or reloaded router's instances in maintenance
// as the state says. The vrrp component calls it under its own lock.
func (m *maintComponent) applyRouter(r *vrrp.Router) {
	m.mu.Lock()
	all := m.st.Director != nil
	names := slices.Sorted(maps.Keys(m.st.Instances))
	m.mu.Unlock()
	if all {
		names = []string{""}
	}
	for _, n := range names {
		if _, err := r.SetMaintenance(n, true); err != nil {
			m.log.Warn("instance in maintenance is not in the config", zap.String("instance", n), zap.Error(err))
		}
	}
}

// marks is the ipvs component's maint hook: the real servers of vss in
// maintenance, for the reconciler to drain (ipvssync.DrainMaint).
func (m *maintComponent) marks(vss []*config.VirtualServer) map[ipvssync.RealKey]ipvssync.Maint {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.st.RealServers) == 0 {
		return nil
	}
	out := map[ipvssync.RealKey]ipvssync.Maint{}
	for _, vs := range vss {
		for _, rs := range vs.RealServers {
			mk, ok := m.st.RealServers[vs.Name+"/"+rs.Name]
			if !ok {
				continue
			}
			out[ipvssync.RealKeyOf(vs, rs)] = ipvssync.Maint{Since: mk.Since, Timeout: time.Duration(mk.DrainTimeout), Out: mk.Out}
		}
	}
	return out
}

// markOut is the ipvs component's maintLeft hook, called after a sync
// that took real servers in maintenance out of the table: it records them
// as out in the state file and announces it. A server no longer in
// maintenance, or already out (a concurrent sync said so first), is
// skipped. When the save fails, memory keeps what the disk has: the next
// sync finds the same servers drained and tries again.
func (m *maintComponent) markOut(vss []*config.VirtualServer, left []ipvssync.MaintLeft) {
	names := map[ipvssync.RealKey][2]string{}
	for _, vs := range vss {
		for _, rs := range vs.RealServers {
			names[ipvssync.RealKeyOf(vs, rs)] = [2]string{vs.Name, rs.Name}
		}
	}
	type gone struct{ vs, rs, why string }
	var done []gone
	m.mu.Lock()
	saved := cloneMap(m.st.RealServers)
	for _, l := range left {
		n, ok := names[l.Key]
		key := n[0] + "/" + n[1]
		mk, in := m.st.RealServers[key]
		if !ok || !in || mk.Out {
			continue
		}
		mk.Out = true
		m.st.RealServers[key] = mk
		why := "its connections finished"
		if l.TimedOut {
			why = "its drain timeout ran out"
		}
		done = append(done, gone{n[0], n[1], why})
	}
	var err error
	if len(done) > 0 {
		if err = saveMaintState(m.path, m.st); err != nil {
			m.st.RealServers = saved
		}
	}
	m.mu.Unlock()
	if err != nil {
		m.log.Error("save maintenance state", zap.Error(err))
	}
	for _, g := range done {
		key := g.vs + "/" + g.rs
		m.log.Info("real server in maintenance leaves the table", zap.String("real_server", key), zap.String("why", g.why))
		if m.announce != nil {
			m.announce(notify.Event{Kind: notify.Maintenance, VirtualServer: g.vs, RealServer: g.rs,
				Reason: "real server " + key + " left the table: " + g.why})
		}
	}
}

// Status is the maintenance part of the Snapshot.
func (m *maintComponent) Status() *control.MaintStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &control.MaintStatus{StateFile: m.path}
	if d := m.st.Director; d != nil {
		s.Directors = append(s.Directors, control.MaintDirectorSt{Since: d.Since, By: d.By})
	}
	for _, n := range slices.Sorted(maps.Keys(m.st.Instances)) {
		mk := m.st.Instances[n]
		s.Directors = append(s.Directors, control.MaintDirectorSt{Instance: n, Since: mk.Since, By: mk.By})
	}
	for _, k := range slices.Sorted(maps.Keys(m.st.RealServers)) {
		mk := m.st.RealServers[k]
		vs, rs, _ := strings.Cut(k, "/")
		phase := "draining"
		if mk.Out {
			phase = "out"
		}
		s.RealServers = append(s.RealServers, control.MaintRealSt{VirtualServer: vs, RealServer: rs, Since: mk.Since, By: mk.By, DrainTimeout: mk.DrainTimeout, Phase: phase})
	}
	return s
}

// currentRouter is the running router, nil when none.
func (c *vrrpComponent) currentRouter() *vrrp.Router {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.router
}

// Check has nothing to refuse: state_file is validated by the config
// package and read at Apply, where a problem is reported, not fatal.
func (m *maintComponent) Check(*config.Config) error { return nil }
