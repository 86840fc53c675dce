package bgp

import (
	"net/netip"
	"slices"
	"time"

	"github.com/lbhad/lbhad/config"
)

// Reasons of a route's last change, shown in status and logs.
const (
	ReasonQuorumUp   = "quorum up"
	ReasonQuorumDown = "quorum down"
	ReasonNoQuorum   = "quorum not known yet"
	ReasonMaint      = "director maintenance"
	ReasonStopping   = "lbhad stopping"
	ReasonRemoved    = "no longer announced in the config"
)

// Service is one virtual server with announce = true.
type Service struct {
	Name     string
	Prefixes []netip.Prefix
	// Quorum: the virtual server has quorum; Known: the IPVS component
	// has evaluated it at least once (until then it is not announced).
	Quorum, Known bool
}

// Input is everything the decision depends on.
type Input struct {
	Services      []Service
	DirectorMaint bool
	Stopping      bool
}

// ServicesOf lists cfg's announced virtual servers with their host
// routes, quorum unknown.
func ServicesOf(cfg *config.Config) []Service {
	var out []Service
	for _, vs := range cfg.VirtualServers {
		if !vs.Announce {
			continue
		}
		s := Service{Name: vs.Name}
		for _, a := range config.ServiceAddrs(vs) {
			s.Prefixes = append(s.Prefixes, netip.PrefixFrom(a, a.BitLen()))
		}
		out = append(out, s)
	}
	return out
}

// Route is a prefix the table knows and its state.
type Route struct {
	Prefix    netip.Prefix
	Announced bool
	Since     time.Time // last change
	Reason    string    // of the last change
	Services  []string  // virtual servers using the address
}

// Change is one announcement or withdrawal to make.
type Change struct {
	Prefix   netip.Prefix
	Announce bool
	Reason   string
}

// Table holds the routes and their last change. It owns no goroutine,
// clock or socket; the zero value is empty and ready.
type Table struct {
	routes map[netip.Prefix]*Route
}

// Update decides the routes for in and returns what changed, sorted by
// prefix. A prefix is announced while any service using it has quorum,
// unless the director is in maintenance or lbhad is stopping; a prefix
// no service uses any more is withdrawn (if announced) and forgotten.
func (t *Table) Update(now time.Time, in Input) []Change {
	if t.routes == nil {
		t.routes = map[netip.Prefix]*Route{}
	}
	type want struct {
		up       bool
		reason   string
		services []string
	}
	wants := map[netip.Prefix]*want{}
	for _, s := range in.Services {
		for _, p := range s.Prefixes {
			w := wants[p]
			if w == nil {
				w = &want{reason: ReasonNoQuorum}
				wants[p] = w
			}
			w.services = append(w.services, s.Name)
			switch {
			case s.Known && s.Quorum:
				w.up, w.reason = true, ReasonQuorumUp
			case s.Known && !w.up:
				w.reason = ReasonQuorumDown
			}
		}
	}
	var out []Change
	for p, w := range wants {
		up, reason := w.up, w.reason
		switch {
		case in.Stopping:
			up, reason = false, ReasonStopping
		case in.DirectorMaint:
			up, reason = false, ReasonMaint
		}
		r := t.routes[p]
		if r == nil {
			r = &Route{Prefix: p, Since: now, Reason: reason}
			t.routes[p] = r
		}
		r.Services = w.services
		if r.Announced != up {
			r.Announced, r.Since, r.Reason = up, now, reason
			out = append(out, Change{Prefix: p, Announce: up, Reason: reason})
		} else if !up && r.Reason != reason {
			r.Reason = reason // why it stays withdrawn, for status
		}
	}
	for p, r := range t.routes {
		if wants[p] != nil {
			continue
		}
		if r.Announced {
			out = append(out, Change{Prefix: p, Reason: ReasonRemoved})
		}
		delete(t.routes, p)
	}
	slices.SortFunc(out, func(a, b Change) int { return comparePrefix(a.Prefix, b.Prefix) })
	return out
}

// Routes returns the known routes, sorted by prefix.
func (t *Table) Routes() []Route {
	out := make([]Route, 0, len(t.routes))
	for _, r := range t.routes {
		c := *r
		c.Services = slices.Clone(r.Services)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Route) int { return comparePrefix(a.Prefix, b.Prefix) })
	return out
}

// Announced returns the announced prefixes, sorted.
func (t *Table) Announced() []netip.Prefix {
	var out []netip.Prefix
	for _, r := range t.Routes() {
		if r.Announced {
			out = append(out, r.Prefix)
		}
	}
	return out
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}
