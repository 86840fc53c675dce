package vrrp

// Interface flag bits as Linux reports them in ifinfomsg.ifi_flags.
const (
	iffUp      = 0x1
	iffRunning = 0x40
)

// linkUp is keepalived's IF_ISUP: administratively up and running.
// The kernel sets IFF_RUNNING when the operational state is UP or
// UNKNOWN, so this also counts dummy and other carrier-less links that
// report "unknown", and counts a veth whose peer is down as down.
func linkUp(flags uint32) bool {
	return flags&iffUp != 0 && flags&iffRunning != 0
}

// linkObs is one observation of a link, from a netlink notification or
// a lookup. Gone means it was deleted or not found.
type linkObs struct {
	Name  string
	Index int
	Flags uint32
	Gone  bool
}

// linkTracker turns link observations into LinkEvents for the tracked
// names, emitting only changes. It follows links by index too, so a
// tracked link renamed to something else counts as gone.
type linkTracker struct {
	names   []string
	tracked map[string]bool
	last    map[string]bool // last emitted state, by name
	index   map[int]string  // index of each present tracked link
}

func newLinkTracker(names []string) *linkTracker {
	t := &linkTracker{
		tracked: make(map[string]bool),
		last:    make(map[string]bool),
		index:   make(map[int]string),
	}
	for _, n := range names {
		if !t.tracked[n] {
			t.tracked[n] = true
			t.names = append(t.names, n)
		}
	}
	return t
}

// initial records the first observation of every tracked name (in the
// order given to newLinkTracker) and returns one event per name,
// whatever its state. obs maps names to lookups; a missing name is down.
func (t *linkTracker) initial(obs map[string]linkObs) []LinkEvent {
	evs := make([]LinkEvent, 0, len(t.names))
	for _, n := range t.names {
		o, ok := obs[n]
		if !ok {
			o = linkObs{Name: n, Gone: true}
		}
		t.record(o)
		evs = append(evs, LinkEvent{Name: n, Up: t.last[n]})
	}
	return evs
}

// observe applies one observation and returns the events it causes.
func (t *linkTracker) observe(o linkObs) []LinkEvent {
	var evs []LinkEvent
	if old, ok := t.index[o.Index]; ok && (o.Gone || old != o.Name) {
		// The tracked link with this index was deleted or renamed away.
		delete(t.index, o.Index)
		evs = t.emit(evs, old, false)
	}
	if !t.tracked[o.Name] {
		return evs
	}
	t.forget(o.Name)
	if o.Gone {
		return t.emit(evs, o.Name, false)
	}
	t.index[o.Index] = o.Name
	return t.emit(evs, o.Name, linkUp(o.Flags))
}

// forget drops any index recorded for name.
func (t *linkTracker) forget(name string) {
	for i, n := range t.index {
		if n == name {
			delete(t.index, i)
		}
	}
}

func (t *linkTracker) record(o linkObs) {
	if !o.Gone {
		t.index[o.Index] = o.Name
	}
	t.last[o.Name] = !o.Gone && linkUp(o.Flags)
}

func (t *linkTracker) emit(evs []LinkEvent, name string, up bool) []LinkEvent {
	if prev, ok := t.last[name]; ok && prev == up {
		return evs
	}
	t.last[name] = up
	return append(evs, LinkEvent{Name: name, Up: up})
}
