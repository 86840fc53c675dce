package ipvssync

import (
	"errors"
	"fmt"
	"maps"
	"syscall"
	"time"
)

// scope is what one sync reads from the kernel: the whole table (full),
// or the services in read, each with its destination dump (readWritten)
// or, for one the last syncs did not write, a service get and a dump
// (ReadServices).
type scope struct {
	full  bool
	start time.Time
	read  map[ServiceKey]struct{}
	// written is what the syncs since the last full read wrote (the
	// Reconciler's synced) when this sync is incremental.
	written Table
}

// scopeLocked decides whether the sync about to run reads the whole
// table: when every sync does (no SetResync), when the state is in doubt
// (synced is nil), when the periodic resync is due, and when the set of
// desired services (keys) is not the one last synced — a reload that adds
// or removes a service, where ownership and adoption are decided on the
// whole table.
func (r *Reconciler) scopeLocked(keys []ServiceKey) *scope {
	now := r.clock.Now()
	sc := &scope{start: now, read: map[ServiceKey]struct{}{}}
	sc.full = r.resync <= 0 || r.synced == nil || now.Sub(r.lastFull) >= r.resync || len(keys) != len(r.synced)
	for _, k := range keys {
		if sc.full {
			break
		}
		if _, ok := r.synced[k]; !ok {
			sc.full = true
		}
	}
	if !sc.full {
		sc.written = r.synced
	}
	return sc
}

// FullNext makes the next sync read the whole table whatever SetResync
// says, as if the kernel's state were in doubt. The daemon calls it on
// start and reload: a reload is rare, and reading everything then
// repairs whatever drifted and re-decides ownership and adoption on the
// table as it is, before the syncs in between go back to reading only
// what changed.
func (r *Reconciler) FullNext() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.synced = nil
}

// readFirst is the first read of a sync: the whole table when sc is full,
// else the services in keys.
func (sc *scope) readFirst(k Kernel, keys []ServiceKey) (Table, error) {
	if sc.full {
		return Read(k)
	}
	t := Table{}
	return t, sc.readMore(k, keys, t)
}

// readMore adds to t the services in keys that sc has not read yet.
func (sc *scope) readMore(k Kernel, keys []ServiceKey, t Table) error {
	var todo []ServiceKey
	for _, key := range keys {
		if _, ok := sc.read[key]; !ok {
			sc.read[key] = struct{}{}
			todo = append(todo, key)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	rest := todo[:0]
	for _, key := range todo {
		w, ok := sc.written[key]
		if !ok {
			rest = append(rest, key)
			continue
		}
		e, found, err := readWritten(k, key, w.Service)
		if err != nil {
			return err
		}
		if found {
			t[key] = e
		}
	}
	more, err := ReadServices(k, rest)
	maps.Copy(t, more)
	return err
}

// readWritten reads a service an earlier sync wrote as svc with one
// destination dump, the one read `ipvsadm -d` would need to see the
// change: its attributes are taken as written. A change another program
// made to them is repaired by the periodic resync, as is any change to a
// service no sync touches. The kernel answers the dump of a missing
// service with an empty list, so an empty one is followed by a get, which
// tells a service deleted behind the reconciler's back (absent: found is
// false) from one that has no destination left.
func readWritten(k Kernel, key ServiceKey, svc Service) (e ServiceEntry, found bool, err error) {
	ds, err := k.GetDestinations(key)
	if err != nil {
		return e, false, fmt.Errorf("list destinations of %s: %w", key, err)
	}
	if len(ds) == 0 {
		got, err := k.GetService(key)
		if errors.Is(err, syscall.ESRCH) {
			return e, false, nil
		}
		if err != nil {
			return e, false, fmt.Errorf("get ipvs service %s: %w", key, err)
		}
		svc = got
	}
	return entryOf(svc, ds), true, nil
}

// pendingLocked names the services an incremental sync reads even when
// their desired entry is unchanged, because the kernel's state decides
// what happens to them: those with a destination draining (drainSince),
// and those with a real server in maintenance that has not left yet
// (DrainMaint reads its connection count).
func (r *Reconciler) pendingLocked(maint map[RealKey]Maint, members map[ServiceKey][]ServiceKey) []ServiceKey {
	var out []ServiceKey
	for rk := range r.drainSince {
		out = append(out, rk.Service)
	}
	for rk, m := range maint {
		if !m.Out {
			out = append(out, rk.Service)
			out = append(out, members[rk.Service]...) // a group's real server drains on every member
		}
	}
	return out
}

// changedServices returns the services of desired whose entry differs
// from the one in synced (compared as Plan compares: statistics and
// connection counts ignored), or that synced lacks.
func changedServices(desired, synced Table) []ServiceKey {
	var out []ServiceKey
	for k, e := range desired {
		if s, ok := synced[k]; !ok || !sameEntry(e, s) {
			out = append(out, k)
		}
	}
	return out
}

func sameEntry(a, b ServiceEntry) bool {
	if a.Service.spec() != b.Service.spec() || len(a.Dests) != len(b.Dests) {
		return false
	}
	for dk, d := range a.Dests {
		if x, ok := b.Dests[dk]; !ok || x.spec() != d.spec() {
			return false
		}
	}
	return true
}

// cloneEntry returns a copy of t[k] that shares nothing with t.
func (t Table) cloneEntry(k ServiceKey) ServiceEntry {
	e := t[k]
	e.Dests = maps.Clone(e.Dests)
	return e
}
