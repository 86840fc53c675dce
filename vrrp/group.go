package vrrp

// Group coordinates a sync group (keepalived "vrrp_sync_group"): its
// members move between Master, Backup and Fault together, so a director
// never owns the external VIP while the peer owns the internal one. It is
// pure bookkeeping: the driver reports each member's own fault and every
// transition, and carries out the orders it gets back. Not safe for
// concurrent use.
type Group struct {
	name    string
	members []string
	state   map[string]State
	fault   map[string]bool
}

// GroupOrder tells the driver to force Member to To (Master or Backup)
// with a Force event.
type GroupOrder struct {
	Member string
	To     State
}

// NewGroup returns a coordinator for the named members, all in Init and
// not faulty.
func NewGroup(name string, members []string) *Group {
	g := &Group{name: name, members: append([]string(nil), members...),
		state: map[string]State{}, fault: map[string]bool{}}
	for _, m := range members {
		g.state[m] = StateInit
	}
	return g
}

// Name is the group's name.
func (g *Group) Name() string { return g.name }

// Members are the member names in configuration order.
func (g *Group) Members() []string { return append([]string(nil), g.members...) }

// SetFault records whether member's own fault condition holds and
// returns whether the group is now faulty. While it is, every member must
// be held in Fault: the driver feeds FaultChanged{Faulty: g.Faulty()} to
// each member.
func (g *Group) SetFault(member string, faulty bool) bool {
	if _, ok := g.state[member]; ok {
		g.fault[member] = faulty
	}
	return g.Faulty()
}

// Faulty reports whether any member has a fault of its own.
func (g *Group) Faulty() bool {
	for _, f := range g.fault {
		if f {
			return true
		}
	}
	return false
}

// Observe records that member moved from one state to another and returns
// what the other members must do: when one becomes Master the members in
// Backup are forced to Master; when a Master steps down to Backup, the
// other Masters are forced to Backup. Fault spreads through SetFault, not
// through orders. Orders come back as transitions the driver reports
// here again; they converge because forced members are already in the
// target state.
func (g *Group) Observe(member string, from, to State) []GroupOrder {
	if _, ok := g.state[member]; !ok {
		return nil
	}
	g.state[member] = to
	var want, target State
	switch {
	case to == StateMaster:
		want, target = StateBackup, StateMaster
	case to == StateBackup && from == StateMaster:
		want, target = StateMaster, StateBackup
	default:
		return nil
	}
	var orders []GroupOrder
	for _, m := range g.members {
		if m != member && g.state[m] == want {
			orders = append(orders, GroupOrder{m, target})
		}
	}
	return orders
}
