package vrrp

import (
	"net/netip"
	"time"

	"go.uber.org/zap"
)

// RFC 3768 section 7.1 says a router SHOULD log the adverts it discards
// (TTL, checksum, authentication, interval, address list). A peer with
// a wrong password or a spoofing host can send thousands a second, so
// the log is rate limited per (interface, source, reason): the first
// drop of a kind is logged at once, then at most one line per
// dropLogEvery saying how many more were dropped in between. The
// counters (Counters.Dropped) still count every one.

// dropLogEvery is the least time between two log lines for one key.
const dropLogEvery = 30 * time.Second

// dropLogKeys bounds the limiter's memory: once this many keys are
// tracked, drops from new sources share one key per reason (the source
// is then logged as unknown), so a flood of spoofed sources cannot grow
// it.
const dropLogKeys = 256

type dropKey struct {
	ifname string
	src    netip.Addr
	why    DropReason
}

type dropEntry struct {
	last       time.Time // when a line was last logged
	suppressed uint64    // drops since then, not logged
}

// dropLimiter decides which drops are logged. It is pure: time arrives
// as an argument. The zero value is ready to use.
type dropLimiter struct {
	every time.Duration // 0: dropLogEvery
	max   int           // 0: dropLogKeys
	keys  map[dropKey]*dropEntry
}

// note records one drop and reports whether to log it, and how many
// drops of the same key were not logged since the last line. The key
// actually used is returned too (its source is invalid when the table
// was full).
func (d *dropLimiter) note(now time.Time, k dropKey) (log bool, suppressed uint64, used dropKey) {
	every, max := d.every, d.max
	if every <= 0 {
		every = dropLogEvery
	}
	if max <= 0 {
		max = dropLogKeys
	}
	if d.keys == nil {
		d.keys = map[dropKey]*dropEntry{}
	}
	e := d.keys[k]
	if e == nil {
		if len(d.keys) >= max {
			d.expire(now, every)
		}
		if len(d.keys) >= max {
			k.src = netip.Addr{}
			e = d.keys[k]
		}
		if e == nil {
			// The overflow key may itself be new: it may take the
			// table one past max, once per reason and interface.
			d.keys[k] = &dropEntry{last: now}
			return true, 0, k
		}
	}
	if now.Sub(e.last) < every && !now.Before(e.last) {
		e.suppressed++
		return false, 0, k
	}
	n := e.suppressed
	e.last, e.suppressed = now, 0
	return true, n, k
}

// expire forgets keys with nothing pending whose last line is older
// than every: their next drop is logged as new anyway.
func (d *dropLimiter) expire(now time.Time, every time.Duration) {
	for k, e := range d.keys {
		if e.suppressed == 0 && now.Sub(e.last) >= every {
			delete(d.keys, k)
		}
	}
}

// logDrop is the receive path's hook (Router.receiveLocked): it logs a
// dropped advert when the limiter allows. vrid is 0 when the message
// did not parse far enough to have one. Called with r.mu held.
func (r *Router) logDrop(now time.Time, ifname string, src netip.Addr, why DropReason, vrid uint8) {
	log, suppressed, k := r.drops.note(now, dropKey{ifname: ifname, src: src, why: why})
	if !log {
		return
	}
	level := r.log.Warn
	if why == DropOwnPacket {
		level = r.log.Debug // our own adverts looped back: expected
	}
	source := "many sources"
	if k.src.IsValid() {
		source = k.src.String()
	}
	level("dropped vrrp advert", zap.String("interface", ifname), zap.String("src", source),
		zap.Stringer("reason", why), zap.Uint8("vrid", vrid), zap.Uint64("suppressed", suppressed))
}
