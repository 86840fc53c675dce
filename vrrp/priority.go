package vrrp

// Track is the current state of one tracked script as it bears on an
// instance's priority (keepalived "track_script" with its weight).
type Track struct {
	Weight int
	OK     bool
}

// EffectivePriority applies keepalived's tracking rules to a base
// priority: a positive weight is added while its script succeeds, a
// negative weight while it fails, and a weight of 0 puts the instance in
// Fault while it fails. The result is clamped to 1..254, because 0 means
// "leaving" and 255 "address owner" on the wire; an owner (base 255)
// keeps 255 only while the weights add up to nothing.
func EffectivePriority(base uint8, tracks []Track) (prio uint8, fault bool) {
	delta := 0
	for _, t := range tracks {
		switch {
		case t.Weight == 0 && !t.OK:
			fault = true
		case t.Weight > 0 && t.OK, t.Weight < 0 && !t.OK:
			delta += t.Weight
		}
	}
	if base == PriorityOwner && delta == 0 {
		return PriorityOwner, fault
	}
	p := int(base) + delta
	return uint8(min(max(p, 1), PriorityOwner-1)), fault
}
