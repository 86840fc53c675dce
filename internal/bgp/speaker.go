package bgp

import (
	"context"
	"net/netip"
	"slices"
	"sync"

	"github.com/lbhad/lbhad/config"
)

// Speaker is the BGP implementation lbhad drives: GoBGP in production
// (NewGoBGP), Fake in tests. Paths carry next hop self.
type Speaker interface {
	// Apply starts the speaker with cfg on its first call and moves it
	// to cfg later: a changed ASN, router id or listen port restarts
	// it (re-announcing its paths), changed neighbors are replaced.
	Apply(ctx context.Context, cfg *config.BGP) error
	Announce(ctx context.Context, p netip.Prefix) error
	Withdraw(ctx context.Context, p netip.Prefix) error
	// Sessions reports each configured neighbor's session.
	Sessions(ctx context.Context) ([]Session, error)
	// Stop closes every session and the listener.
	Stop(ctx context.Context) error
}

// Session is one neighbor's BGP session.
type Session struct {
	Neighbor string // the neighbor block's name
	Address  netip.Addr
	State    string // RFC 4271 8.2.2: idle, connect, active, opensent, openconfirm, established
	Up       bool   // established
}

// Fake is a Speaker in memory: it records the announced prefixes and
// reports the sessions a test sets.
type Fake struct {
	mu       sync.Mutex
	Cfg      *config.BGP
	paths    map[netip.Prefix]bool
	sessions []Session
	Stopped  bool
	Err      error // returned by every call when set
	Calls    []string
}

func (f *Fake) Apply(_ context.Context, cfg *config.BGP) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Calls = append(f.Calls, "apply")
	if f.Err != nil {
		return f.Err
	}
	f.Cfg, f.Stopped = cfg, false
	return nil
}

func (f *Fake) Announce(_ context.Context, p netip.Prefix) error { return f.set(p, true) }
func (f *Fake) Withdraw(_ context.Context, p netip.Prefix) error { return f.set(p, false) }

func (f *Fake) set(p netip.Prefix, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if on {
		f.Calls = append(f.Calls, "announce "+p.String())
	} else {
		f.Calls = append(f.Calls, "withdraw "+p.String())
	}
	if f.Err != nil {
		return f.Err
	}
	if f.paths == nil {
		f.paths = map[netip.Prefix]bool{}
	}
	if on {
		f.paths[p] = true
	} else {
		delete(f.paths, p)
	}
	return nil
}

// Paths returns the announced prefixes, sorted.
func (f *Fake) Paths() []netip.Prefix {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []netip.Prefix
	for p := range f.paths {
		out = append(out, p)
	}
	slices.SortFunc(out, comparePrefix)
	return out
}

// SetSessions sets what Sessions reports.
func (f *Fake) SetSessions(s []Session) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions = slices.Clone(s)
}

func (f *Fake) Sessions(context.Context) ([]Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sessions), f.Err
}

func (f *Fake) Stop(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Calls = append(f.Calls, "stop")
	f.Stopped, f.paths = true, nil
	return nil
}

// CallLog returns the calls made so far.
func (f *Fake) CallLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.Calls)
}
