package vrrp

// Track is the current state of one tracked script as it bears on an
// instance's priority (keepalived "track_script" with its weight).
type Track struct {
	Weight int
	OK     bool
	// Reverse is keepalived's reverse: the weight applies in the same
	// state as without it but moves the priority the other way, and
	// weight 0 means Fault while OK instead of while failed.
	Reverse bool
}

// FileTrack is the last number read from one tracked file as it bears on
// an instance's priority (keepalived "track_file" with its weight).
type FileTrack struct {
	Weight int
	Value  int
	// Reverse is keepalived's reverse: value × weight counts negated,
	// and with weight 0 the file is a fault while it holds 0.
	Reverse bool
}

// FileFaultDelta is the value × weight at or below which a tracked file
// puts the instance in Fault, as keepalived does for track_file: no
// priority is that low, so "lower it by 254" can only mean "leave".
const FileFaultDelta = -254

// maxFileDelta caps what one file can add, as keepalived's weight_range
// does, so an absurd number in a file cannot overflow the sum.
const maxFileDelta = 253

// delta is the file's contribution to the priority, or fault. A weight of
// 0 makes the file a plain flag, as in keepalived: any non-zero number is
// a fault, 0 is fine.
func (f FileTrack) delta() (d int, fault bool) {
	if f.Weight == 0 {
		return 0, (f.Value != 0) != f.Reverse
	}
	// Clamp first so that the product cannot overflow.
	p := min(max(int64(f.Value), -1<<31), 1<<31) * int64(f.Weight)
	if f.Reverse {
		p = -p
	}
	if p <= FileFaultDelta {
		return 0, true
	}
	return int(min(p, maxFileDelta)), false
}

// EffectivePriority applies keepalived's tracking rules to a base
// priority: a positive weight is added while its script succeeds, a
// negative weight while it fails, and a weight of 0 puts the instance in
// Fault while it fails; reverse turns each adjustment the other way
// (and Fault to while it succeeds). Each tracked file adds value × weight (at most
// 253), and puts the instance in Fault when that is FileFaultDelta or
// less, or for a weight of 0 when the value is not 0. The result is
// clamped to 1..254, because 0 means "leaving" and 255 "address owner" on
// the wire; an owner (base 255) keeps 255 only while the weights add up
// to nothing.
func EffectivePriority(base uint8, tracks []Track, files ...FileTrack) (prio uint8, fault bool) {
	delta := 0
	for _, t := range tracks {
		switch {
		case t.Weight == 0 && t.OK == t.Reverse:
			fault = true
		case t.Weight > 0 && t.OK, t.Weight < 0 && !t.OK:
			if t.Reverse {
				delta -= t.Weight
			} else {
				delta += t.Weight
			}
		}
	}
	for _, f := range files {
		d, ff := f.delta()
		delta += d
		fault = fault || ff
	}
	if base == PriorityOwner && delta == 0 {
		return PriorityOwner, fault
	}
	p := int(base) + delta
	return uint8(min(max(p, 1), PriorityOwner-1)), fault
}
