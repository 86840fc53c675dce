package config

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Gratuitous ARP / unsolicited NA settings beyond garp_master_delay,
// garp_master_repeat and garp_master_refresh (build.go), with
// keepalived's names.
//
// garp_lower_prio_repeat: frames per VIP a master sends at once when it
// hears a lower-priority advert (0: none, and no second burst);
// keepalived's default is garp_master_repeat, and so is lbhad's.
//
// garp_lower_prio_delay: a second burst this long after that advert (0:
// none). keepalived's default is garp_master_delay (5 s); lbhad's is one
// advert_int. When both directors start in the same instant, the one
// that briefly believed itself master announces the VIPs too, and its
// frames can reach the clients after the true master's immediate
// answer; a second burst one advert interval later, when the other has
// heard the true master and stepped down, puts the clients' neighbour
// entries back within an interval instead of five seconds (or never,
// with garp_master_delay 0). docs/notes/garp.md has the details.

// GARPDefaults are the global vrrp_garp_lower_prio_* values (the Set
// flags say whether the file gave them) and vrrp_garp_interval /
// vrrp_gna_interval: the least gap between two gratuitous ARPs (two
// unsolicited NAs) sent on one interface, across instances; 0, the
// default as in keepalived, sends a burst back to back.
type GARPDefaults struct {
	LowerPrioRepeat    int
	LowerPrioRepeatSet bool
	LowerPrioDelay     time.Duration
	LowerPrioDelaySet  bool
	Interval           time.Duration
	NAInterval         time.Duration
}

// maxGARPInterval bounds vrrp_garp_interval and vrrp_gna_interval: a
// burst of 5 frames per VIP must end well before the next refresh.
const maxGARPInterval = time.Second

// maxGARPRepeat bounds every *_repeat as garp_master_repeat is.
const maxGARPRepeat = 255

func (b *builder) garpGlobal(raw *rawGlobal, g *GARPDefaults) {
	if n, ok := b.integer(raw.GARPLowerPrioRepeat, "vrrp_garp_lower_prio_repeat", 0, maxGARPRepeat); ok {
		g.LowerPrioRepeat, g.LowerPrioRepeatSet = int(n), true
	}
	if d, ok := b.duration(raw.GARPLowerPrioDelay, "vrrp_garp_lower_prio_delay"); ok {
		g.LowerPrioDelay, g.LowerPrioDelaySet = d, true
	}
	for _, x := range []struct {
		e    hcl.Expression
		name string
		to   *time.Duration
	}{{raw.GARPInterval, "vrrp_garp_interval", &g.Interval}, {raw.GNAInterval, "vrrp_gna_interval", &g.NAInterval}} {
		d, ok := b.duration(x.e, x.name)
		switch {
		case !ok:
		case d > maxGARPInterval:
			b.errorf(x.e.Range(), "Invalid "+x.name, "%s must be from 0 to 1 s (keepalived calls a second very large); it is %s.", x.name, d)
		default:
			*x.to = d
		}
	}
}

// garp reads an instance's garp_lower_prio_* and
// garp_master_refresh_repeat; it runs after advert_int and
// garp_master_repeat are known, since the defaults follow them.
func (b *builder) garp(r *rawInstance, in *Instance, g GARPDefaults) {
	in.GARPLowerPrioRepeat = in.GARPMasterRepeat
	if g.LowerPrioRepeatSet {
		in.GARPLowerPrioRepeat = g.LowerPrioRepeat
	}
	if n, ok := b.integer(r.GARPLowerPrioRepeat, "garp_lower_prio_repeat", 0, maxGARPRepeat); ok {
		in.GARPLowerPrioRepeat = int(n)
	}
	in.GARPLowerPrioDelay = in.AdvertInterval
	if g.LowerPrioDelaySet {
		in.GARPLowerPrioDelay = g.LowerPrioDelay
	}
	if d, ok := b.duration(r.GARPLowerPrioDelay, "garp_lower_prio_delay"); ok {
		in.GARPLowerPrioDelay = d
	}
	in.GARPMasterRefreshRepeat = 1
	if n, ok := b.integer(r.GARPMasterRefreshRepeat, "garp_master_refresh_repeat", 1, maxGARPRepeat); ok {
		in.GARPMasterRefreshRepeat = int(n)
	}
}
