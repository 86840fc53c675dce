package vrrp

import (
	"net/netip"
	"slices"
	"time"
)

// pacer spaces the announcements sent on one device by a minimum gap,
// keepalived's vrrp_garp_interval (gratuitous ARPs) and
// vrrp_gna_interval (unsolicited NAs): some switches and hosts drop or
// rate-limit back-to-back frames. The gap is per device and family and
// spans every instance announcing there, as in keepalived. It is pure:
// the Router sends what push and due return.
type pacer struct {
	q map[paceKey]*paceQueue
}

type paceKey struct {
	dev string
	v6  bool
}

type paceQueue struct {
	next  time.Time     // earliest time the next frame may go
	gap   time.Duration // the gap in force when the last frame went
	addrs []netip.Addr  // frames waiting, in order
}

// paced is one announcement whose time has come.
type paced struct {
	dev  string
	addr netip.Addr
}

// push offers one announcement of addr on dev at now with the device's
// gap. It returns true when it may go now (and records that it went);
// otherwise it is queued for due.
func (p *pacer) push(now time.Time, dev string, addr netip.Addr, gap time.Duration) bool {
	k := paceKey{dev, addr.Is6()}
	q := p.q[k]
	if q == nil {
		if gap <= 0 {
			return true
		}
		if p.q == nil {
			p.q = map[paceKey]*paceQueue{}
		}
		q = &paceQueue{}
		p.q[k] = q
	}
	q.gap = gap
	if len(q.addrs) == 0 && !now.Before(q.next) {
		q.next = now.Add(gap)
		return true
	}
	q.addrs = append(q.addrs, addr)
	return false
}

// due pops the announcements whose time has come at now, one per device
// and family.
func (p *pacer) due(now time.Time) []paced {
	var out []paced
	for k, q := range p.q {
		if len(q.addrs) > 0 && !now.Before(q.next) {
			out = append(out, paced{k.dev, q.addrs[0]})
			q.addrs = q.addrs[1:]
			q.next = now.Add(q.gap)
		}
		if len(q.addrs) == 0 && !now.Before(q.next) {
			delete(p.q, k) // idle: the next frame goes at once
		}
	}
	slices.SortFunc(out, func(a, b paced) int { return a.addr.Compare(b.addr) })
	return out
}

// next is when due has something to return; zero when nothing waits.
func (p *pacer) next() time.Time {
	var t time.Time
	for _, q := range p.q {
		if len(q.addrs) > 0 {
			t = earliest(t, q.next)
		}
	}
	return t
}

// cancel drops the waiting announcements of addrs (their instance left
// master: announcing them now would pull clients to a backup).
func (p *pacer) cancel(addrs []netip.Addr) {
	for _, q := range p.q {
		q.addrs = slices.DeleteFunc(q.addrs, func(a netip.Addr) bool { return slices.Contains(addrs, a) })
	}
}
