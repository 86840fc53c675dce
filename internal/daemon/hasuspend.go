package daemon

import (
	"net/netip"
	"sync"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
)

// keepalived's ha_suspend: the checks of a virtual server run only while
// one of its addresses is on this host (in practice: while this director
// holds the VIP). The rule is pure (haSuspended); the host's addresses
// come from a watcher (hasuspend_linux.go) that calls back on every
// change, and a check resumes at once when its address appears
// (checker.Engine.Suspend).

// suspendRule is one ha_suspend virtual server: its addresses and the IDs
// of its real servers' checks.
type suspendRule struct {
	addrs []netip.Addr
	ids   []string
}

// haSuspendRules lists the virtual servers of cfg that have ha_suspend.
func haSuspendRules(cfg *config.Config) []suspendRule {
	var out []suspendRule
	for _, vs := range cfg.VirtualServers {
		if !vs.HASuspend {
			continue
		}
		var r suspendRule
		if vs.Address.IsValid() {
			r.addrs = append(r.addrs, vs.Address.Addr().Unmap())
		}
		for _, m := range vs.Members {
			if m.Address.IsValid() {
				r.addrs = append(r.addrs, m.Address.Addr().Unmap())
			}
		}
		for _, rs := range vs.RealServers {
			for i := range rs.Checks {
				r.ids = append(r.ids, realCheckIDAt(vs, rs, i))
			}
		}
		out = append(out, r)
	}
	return out
}

// haSuspended returns the check IDs of rules to suspend: those of every
// virtual server none of whose addresses is in local.
func haSuspended(rules []suspendRule, local map[netip.Addr]bool) map[string]bool {
	out := map[string]bool{}
	for _, r := range rules {
		here := false
		for _, a := range r.addrs {
			here = here || local[a]
		}
		if here {
			continue
		}
		for _, id := range r.ids {
			out[id] = true
		}
	}
	return out
}

// addrWatch starts watching the host's addresses: it calls onChange with
// the whole set once before returning and again after every change, from
// one goroutine, until stop is called.
type addrWatch func(onChange func(map[netip.Addr]bool)) (stop func(), err error)

// haSuspender keeps an engine's suspensions in line with the config's
// ha_suspend rules and the host's addresses. Its zero value with watch
// set is ready; nil watch means the netlink watcher.
type haSuspender struct {
	log   *zap.Logger
	watch addrWatch

	mu        sync.Mutex // serialises compute-and-apply from Apply and the watcher
	rules     []suspendRule
	local     map[netip.Addr]bool
	engine    *checker.Engine
	suspended map[string]bool
	stop      func()
}

// apply takes a new config's rules for engine e; call it before e.Set so
// a new check of a virtual server without its address never runs. It
// starts the watcher the first time a rule appears.
func (h *haSuspender) apply(e *checker.Engine, rules []suspendRule) error {
	if len(rules) > 0 && h.stopFunc() == nil {
		watch := h.watch
		if watch == nil {
			watch = watchLocalAddrs
		}
		stop, err := watch(h.addrsChanged)
		if err != nil {
			return err
		}
		h.mu.Lock()
		h.stop = stop
		h.mu.Unlock()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rules, h.engine = rules, e
	h.sync()
	return nil
}

func (h *haSuspender) stopFunc() func() {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stop
}

func (h *haSuspender) addrsChanged(local map[netip.Addr]bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.local = local
	h.sync()
}

// sync suspends and resumes what changed; h.mu is held.
func (h *haSuspender) sync() {
	if h.engine == nil {
		return
	}
	want := haSuspended(h.rules, h.local)
	for id := range h.suspended {
		if !want[id] {
			h.engine.Suspend(id, false)
			h.log.Info("resuming checks: the virtual server's address is on this host", zap.String("check", id))
		}
	}
	for id := range want {
		if !h.suspended[id] {
			h.engine.Suspend(id, true)
			h.log.Info("suspending checks: the virtual server's address is not on this host (ha_suspend)", zap.String("check", id))
		}
	}
	h.suspended = want
}

// close stops the watcher.
func (h *haSuspender) close() {
	if stop := h.stopFunc(); stop != nil {
		stop()
	}
}
