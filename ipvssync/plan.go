package ipvssync

import "fmt"

// OpKind is the kind of one kernel write.
type OpKind int

// Kinds of Op, in the order Plan emits them within one service.
const (
	OpDelService OpKind = iota
	OpAddService
	OpUpdateService
	OpDelDest
	OpUpdateDest
	OpAddDest
)

func (k OpKind) String() string {
	switch k {
	case OpDelService:
		return "delete service"
	case OpAddService:
		return "add service"
	case OpUpdateService:
		return "update service"
	case OpDelDest:
		return "delete destination"
	case OpUpdateDest:
		return "update destination"
	case OpAddDest:
		return "add destination"
	}
	return fmt.Sprintf("op-%d", int(k))
}

// Op is one kernel write. Dest is set for destination ops only. Service
// carries the full wanted service for add and update; for deletes only its
// Key matters.
type Op struct {
	Kind    OpKind
	Service Service
	Dest    Destination
}

func (o Op) String() string {
	switch o.Kind {
	case OpAddDest, OpUpdateDest:
		return fmt.Sprintf("%s %s to %s", o.Kind, o.Dest.Key(), o.Service.Key)
	case OpDelDest:
		return fmt.Sprintf("%s %s from %s", o.Kind, o.Dest.Key(), o.Service.Key)
	}
	return fmt.Sprintf("%s %s", o.Kind, o.Service.Key)
}

// OwnedSet is the set of services lbhad created or adopted. Plan deletes a
// current service absent from the desired table only when it is owned, so
// services made by hand (or by another tool) for other addresses survive.
type OwnedSet map[ServiceKey]struct{}

// DrainSet names destinations that are to leave the table but should first
// drain: Plan keeps them at weight 0 instead of deleting them. The caller
// decides membership (connections still active and the drain timeout not
// reached); Reconciler does so from ActiveConns.
type DrainSet map[RealKey]struct{}

// Plan returns the writes that turn current into desired, fewest first:
//
//   - only services in desired, and owned services, are touched; all
//     others in current are left exactly as they are;
//   - a desired service that already exists is adopted: updated in place
//     when its scheduler, flags, timeout or netmask differ, never deleted
//     and re-added, and its destinations are reconciled one by one;
//   - equal tables give no ops; comparisons ignore statistics, the
//     kernel's HASHED flag and, for non-persistent services, timeout and
//     netmask;
//   - an owned service no longer desired is deleted with one op: the
//     kernel deletes its destinations with it — unless some of them are
//     draining, then it stays and only those are set to weight 0;
//   - ops are ordered per service (services in ipvsadm order): deletion
//     of the service, or its add/update, then destination adds, updates
//     and deletes, so a service exists before its destinations are written
//     and never lacks a destination between two writes.
//
// Plan is pure and does not modify its arguments.
func Plan(current, desired Table, owned OwnedSet, drain DrainSet) []Op {
	keys := map[ServiceKey]struct{}{}
	for k := range desired {
		keys[k] = struct{}{}
	}
	for k := range current {
		if _, ok := owned[k]; ok {
			keys[k] = struct{}{}
		}
	}
	all := make(Table, len(keys))
	for k := range keys {
		all[k] = ServiceEntry{}
	}
	var ops []Op
	for _, k := range all.Keys() {
		cur, have := current[k]
		want, wanted := desired[k]
		switch {
		case !wanted:
			ops = append(ops, planRemoved(k, cur, drain)...)
		case !have:
			ops = append(ops, Op{Kind: OpAddService, Service: want.Service.spec()})
			for _, d := range want.SortedDests() {
				ops = append(ops, Op{Kind: OpAddDest, Service: want.Service.spec(), Dest: d.spec()})
			}
		default:
			ops = append(ops, planService(k, cur, want, drain)...)
		}
	}
	return ops
}

// planRemoved handles an owned service that is no longer desired.
func planRemoved(k ServiceKey, cur ServiceEntry, drain DrainSet) []Op {
	var ops []Op
	draining := false
	for _, d := range cur.SortedDests() {
		if _, ok := drain[RealKey{k, d.Key()}]; !ok {
			continue
		}
		draining = true
		if d.Weight != 0 {
			z := d.spec()
			z.Weight = 0
			ops = append(ops, Op{Kind: OpUpdateDest, Service: cur.Service.spec(), Dest: z})
		}
	}
	if !draining {
		return []Op{{Kind: OpDelService, Service: cur.Service.spec()}}
	}
	// Keep the service while it drains, but stop sending new connections
	// to anything else in it.
	var dels []Op
	for _, d := range cur.SortedDests() {
		if _, ok := drain[RealKey{k, d.Key()}]; !ok {
			dels = append(dels, Op{Kind: OpDelDest, Service: cur.Service.spec(), Dest: d.spec()})
		}
	}
	return append(dels, ops...)
}

// planService reconciles an existing, desired service in place.
func planService(k ServiceKey, cur, want ServiceEntry, drain DrainSet) []Op {
	var ops []Op
	svc := want.Service.spec()
	if cur.Service.spec() != svc {
		ops = append(ops, Op{Kind: OpUpdateService, Service: svc})
	}
	var dels, upds, adds []Op
	for _, d := range cur.SortedDests() {
		if _, ok := want.Dests[d.Key()]; ok {
			continue
		}
		if _, ok := drain[RealKey{k, d.Key()}]; ok {
			if d.Weight != 0 {
				z := d.spec()
				z.Weight = 0
				upds = append(upds, Op{Kind: OpUpdateDest, Service: svc, Dest: z})
			}
			continue
		}
		dels = append(dels, Op{Kind: OpDelDest, Service: svc, Dest: d.spec()})
	}
	for _, d := range want.SortedDests() {
		c, ok := cur.Dests[d.Key()]
		switch {
		case !ok:
			adds = append(adds, Op{Kind: OpAddDest, Service: svc, Dest: d.spec()})
		case c.spec() != d.spec():
			upds = append(upds, Op{Kind: OpUpdateDest, Service: svc, Dest: d.spec()})
		}
	}
	// Adds first, deletes last: when the sorry server gives way to the
	// real servers (or the reverse) the service is never left without a
	// destination, which would refuse the connections arriving between
	// the two writes.
	ops = append(ops, adds...)
	ops = append(ops, upds...)
	return append(ops, dels...)
}

// Removals returns the destinations that Plan would delete from services
// that stay, and the destinations of owned services that would be deleted
// entirely: the candidates for draining.
func Removals(current, desired Table, owned OwnedSet) []RealKey {
	var out []RealKey
	for _, k := range current.Keys() {
		cur := current[k]
		want, wanted := desired[k]
		if !wanted {
			if _, ok := owned[k]; !ok {
				continue
			}
		}
		for _, d := range cur.SortedDests() {
			if _, ok := want.Dests[d.Key()]; !ok {
				out = append(out, RealKey{k, d.Key()})
			}
		}
	}
	return out
}
