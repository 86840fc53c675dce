package ipvssync

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
)

// Reconciler keeps the kernel's IPVS table equal to a desired table, for
// the daemon. It remembers which services it owns: those it was asked for
// by Sync (created or adopted). Ownership lives in memory only — a
// restarted daemon adopts again every service its config names, and a
// service dropped from the config while lbhad was not running is left
// alone (like a hand-made one), which errs on the side of not deleting
// what someone else may have made.
type Reconciler struct {
	k     Kernel
	log   *zap.Logger
	clock clock.Clock

	mu           sync.Mutex
	owned        OwnedSet
	drainTimeout time.Duration
	drainSince   map[RealKey]time.Time
	noDrain      DrainSet
	// maintDraining counts the real servers in maintenance that the last
	// SyncHealth kept draining.
	maintDraining int

	// Incremental sync (SetResync): synced is the desired table of the
	// last successful Sync, nil when the kernel's state is in doubt (never
	// synced, a read or write failed, a setting changed), which forces a
	// full read; lastFull is when the last successful full read started.
	resync   time.Duration
	synced   Table
	lastFull time.Time
}

// ReconcilerOption configures a Reconciler at construction.
type ReconcilerOption func(*Reconciler)

// WithClock sets the clock that times drains; nil means clock.Real().
func WithClock(c clock.Clock) ReconcilerOption {
	return func(r *Reconciler) { r.clock = clock.OrReal(c) }
}

// NewReconciler returns a Reconciler writing through k. A nil log means
// zap.NewNop(); without WithClock it reads the wall clock.
func NewReconciler(k Kernel, log *zap.Logger, opts ...ReconcilerOption) *Reconciler {
	if log == nil {
		log = zap.NewNop()
	}
	r := &Reconciler{
		k: k, log: log.With(zap.String("component", "ipvssync")), clock: clock.Real(),
		owned: OwnedSet{}, drainSince: map[RealKey]time.Time{},
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// SetDrainTimeout enables graceful drain: a destination leaving the table
// (removed from the config, the sorry server giving way) is kept at
// weight 0 for QuiesceGrace and then while it has active connections,
// until d has passed since it first should have gone (KeepDraining).
// Zero (the default) deletes at once.
func (r *Reconciler) SetDrainTimeout(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d != r.drainTimeout {
		r.drainTimeout, r.synced = d, nil // drains decided anew: read everything
	}
}

// SetNoDrain names destinations that must never be drained: real
// servers leaving the table because they failed their checks. Their
// connections go nowhere, so they are deleted at once, as keepalived
// does; draining is for servers that still answer (removed from the
// config, the sorry server giving way, maintenance).
func (r *Reconciler) SetNoDrain(keys DrainSet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !maps.Equal(keys, r.noDrain) {
		r.noDrain, r.synced = keys, nil
	}
}

// SetResync makes Sync and SyncHealth incremental: they read and plan
// only the services whose desired entry changed since the last
// successful sync (plus those with draining destinations or real servers
// in maintenance), and read the whole table only when d has passed since
// the last full read, when the set of desired services changes, or when
// anything left the kernel's state in doubt (a failed read or write, a
// Guard timeout, a new drain setting). Zero (the default) reads the whole
// table on every sync, which repairs changes made by others at the next
// sync whatever caused it.
func (r *Reconciler) SetResync(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d != r.resync {
		r.resync, r.synced = d, nil
	}
}

// Draining reports how many destinations the last Sync kept at weight 0
// to drain, leaving destinations and real servers in maintenance alike;
// while it is not zero the caller should Sync again from time to time, so
// they leave once idle or at the timeout.
func (r *Reconciler) Draining() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.drainSince) + r.maintDraining
}

// Owned returns a copy of the set of services the Reconciler owns.
func (r *Reconciler) Owned() OwnedSet {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(OwnedSet, len(r.owned))
	for k := range r.owned {
		out[k] = struct{}{}
	}
	return out
}

// Sync reads the kernel table, plans the difference to desired and applies
// it. It returns the number of successful writes: zero when the kernel
// already matches. On error the writes before the failing one stay done;
// the next Sync starts again from what the kernel then holds, read
// whole. With SetResync it reads only what it needs (see there). desired
// is not kept: the caller may change it afterwards.
func (r *Reconciler) Sync(desired Table) (writes int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sc := r.scopeLocked(slices.Collect(maps.Keys(desired)))
	current, err := sc.readFirst(r.k, r.pendingLocked(nil, nil))
	if err == nil && !sc.full {
		err = sc.readMore(r.k, changedServices(desired, r.synced), current)
	}
	if err != nil {
		r.synced = nil
		return 0, fmt.Errorf("sync: %w", err)
	}
	return r.syncLocked(current, desired, sc)
}

// SyncResult is what one SyncHealth did besides writing.
type SyncResult struct {
	Writes int
	// Quorum and QuorumUp are UpdateQuorum's changes and memory.
	Quorum   []QuorumChange
	QuorumUp map[ServiceKey]bool
	// Left are the real servers in maintenance that have just left the
	// table; the caller records them (Maint.Out) for the next syncs.
	Left []MaintLeft
	// Full is set when the sync read the whole table and succeeded: the
	// caller times the next periodic resync from it (SetResync).
	Full bool
}

// SyncHealth is the daemon's sync: from one read of the kernel table it
// drains the real servers in maintenance (DrainMaint), updates the quorum
// memory (UpdateQuorum), marks the failed real servers as never drained
// (SetNoDrain) and syncs to Desired(vss, h). h is not changed. When the
// table cannot be read, maintenance and quorum are still decided (only a
// drain timeout ends a drain then) and returned with the error. With
// SetResync the read is of the services in maintenance or draining first,
// then of those whose desired entry changed; see SetResync for when it
// is the whole table.
func (r *Reconciler) SyncHealth(vss []*config.VirtualServer, h Health) (SyncResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]ServiceKey, 0, len(vss))
	for _, vs := range vss {
		keys = append(keys, ServiceKeysOf(vs)...)
	}
	sc := r.scopeLocked(keys)
	h.Members = groupMembers(vss)
	// The services whose kernel state decides drains come first: the
	// maintenance drain changes the desired table.
	current, rerr := sc.readFirst(r.k, r.pendingLocked(h.Maint, h.Members))
	var t Table
	if rerr == nil {
		t = current
	}
	h, left, draining := DrainMaint(h, t, r.clock.Now())
	r.maintDraining = draining
	var res SyncResult
	res.Left = left
	res.Quorum = UpdateQuorum(vss, &h)
	res.QuorumUp = h.QuorumUp
	if rerr != nil {
		r.synced = nil
		return res, fmt.Errorf("sync: %w", rerr)
	}
	failed := DrainSet{}
	for k, st := range h.Real {
		if !st.Alive {
			failed[k] = struct{}{}
			for _, svc := range h.Members[k.Service] {
				failed[RealKey{Service: svc, Dest: k.Dest}] = struct{}{}
			}
		}
	}
	r.noDrain = failed
	desired := Desired(vss, h)
	if !sc.full {
		if err := sc.readMore(r.k, changedServices(desired, r.synced), current); err != nil {
			r.synced = nil
			return res, fmt.Errorf("sync: %w", err)
		}
	}
	var err error
	res.Writes, err = r.syncLocked(current, desired, sc)
	res.Full = sc.full && err == nil
	return res, err
}

// syncLocked plans current (as read under sc) to desired and applies it,
// then records what the next incremental sync compares with.
func (r *Reconciler) syncLocked(current, desired Table, sc *scope) (writes int, err error) {
	plan := desired
	if !sc.full {
		plan = make(Table, len(sc.read))
		for k := range sc.read {
			if e, ok := desired[k]; ok {
				plan[k] = e
			}
		}
	}
	for k := range plan {
		r.owned[k] = struct{}{}
	}
	drain := r.drainSet(current, plan)
	ops := Plan(current, plan, r.owned, drain)
	n, err := applyOps(r.k, ops, func(op Op) {
		if op.Kind == OpDelService {
			delete(r.owned, op.Service.Key)
		}
		r.log.Debug("ipvs write", zap.String("op", op.String()))
	})
	if err != nil {
		r.synced = nil
		return n, fmt.Errorf("sync: %w", err)
	}
	switch {
	case r.resync <= 0:
		r.synced = nil // every sync reads the whole table: nothing to remember
	case sc.full:
		r.synced, r.lastFull = desired.Clone(), sc.start
	default:
		for k := range plan {
			r.synced[k] = plan.cloneEntry(k)
		}
	}
	return n, nil
}

// drainSet decides which removal candidates keep draining, and forgets
// candidates that are gone or wanted again.
func (r *Reconciler) drainSet(current, desired Table) DrainSet {
	if r.drainTimeout <= 0 {
		clear(r.drainSince)
		return nil
	}
	now := r.clock.Now()
	drain := DrainSet{}
	seen := map[RealKey]bool{}
	for _, rk := range Removals(current, desired, r.owned) {
		if _, ok := r.noDrain[rk]; ok {
			continue
		}
		seen[rk] = true
		since, ok := r.drainSince[rk]
		if !ok {
			since = now
			r.drainSince[rk] = now
		}
		d := current[rk.Service].Dests[rk.Dest]
		if KeepDraining(d.ActiveConns, since, now, r.drainTimeout) {
			drain[rk] = struct{}{}
		}
	}
	for rk := range r.drainSince {
		if !seen[rk] {
			delete(r.drainSince, rk)
		}
	}
	return drain
}

// Stop removes every service the Reconciler owns, unless keep is set (then
// the table is left for the next lbhad to adopt, so traffic keeps flowing
// across a restart). It returns the number of writes.
func (r *Reconciler) Stop(keep bool) (writes int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if keep {
		return 0, nil
	}
	current, err := Read(r.k)
	if err != nil {
		return 0, fmt.Errorf("stop: %w", err)
	}
	ops := Plan(current, Table{}, r.owned, nil)
	n, err := applyOps(r.k, ops, func(op Op) { delete(r.owned, op.Service.Key) })
	if err != nil {
		return n, fmt.Errorf("stop: %w", err)
	}
	clear(r.owned)
	return n, nil
}
