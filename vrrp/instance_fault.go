package vrrp

import (
	"slices"
	"time"

	"go.uber.org/zap"
)

// A master that cannot do its job gives way: when its adverts cannot be
// sent, or a VIP cannot be added, for giveUpIntervals advert intervals,
// the instance goes to Fault (through FaultChanged, like any other
// fault), which releases the VIPs and sends a priority-0 advert if it
// can, so the peer takes over. It comes back by itself: a send fault
// clears when a priority-0 probe advert goes out again, a VIP fault after
// a hold time that doubles while the add keeps failing (or at once when
// the VIP's device comes back).

// instFaults is the per-instance part of that: pure bookkeeping with
// times passed in. The Router turns its flags into FaultChanged.
type instFaults struct {
	sendRun   failWindow
	sendFault bool
	probeAt   time.Time // next priority-0 probe while sendFault
	sendLogs  int       // send failures logged in the current run

	vipRun       failWindow
	vipPending   []VIPAddr
	vipRetryAt   time.Time
	vipRetry     backoff
	vipFault     bool
	vipFailed    []VIPAddr // the VIPs that made it give up, for Status
	vipHoldUntil time.Time
	vipHold      backoff
}

// maxSendLogs bounds the log lines of one run of failing sends.
const maxSendLogs = 3

func (f *instFaults) init(adv time.Duration) {
	f.vipRetry = backoff{min: 100 * time.Millisecond, max: max(adv/2, 100*time.Millisecond)}
	f.vipHold = backoff{min: 3 * adv, max: max(64*adv, time.Minute)}
}

// faultLimit is how long sends or VIP adds may fail before the
// instance gives up master: a number of its advert intervals.
func (in *instance) faultLimit() time.Duration { return giveUpIntervals * in.cfg.AdvertInterval }

// faultState returns in's fault bookkeeping, made on first use.
func (in *instance) faultState() *instFaults {
	if in.faults == nil {
		in.faults = &instFaults{}
		in.faults.init(in.cfg.AdvertInterval)
	}
	return in.faults
}

// any, wake, status and vipsReleased accept a nil f: an instance that
// never met a fault.
func (f *instFaults) any() bool { return f != nil && (f.sendFault || f.vipFault) }

// logSend reports whether one more failed send should be logged.
func (f *instFaults) logSend() bool {
	f.sendLogs++
	return f.sendLogs <= maxSendLogs
}

// vipsReleased forgets VIP adds still to retry: the machine took the
// VIPs off (left Master).
func (f *instFaults) vipsReleased() {
	if f == nil {
		return
	}
	f.vipPending, f.vipRetryAt = nil, time.Time{}
	f.vipRun.ok()
}

// wake is the earliest time the Router must call faultTimersLocked.
func (f *instFaults) wake() time.Time {
	if f == nil {
		return time.Time{}
	}
	w := earliest(f.vipRetryAt, f.probeAt)
	if f.vipFault {
		w = earliest(w, f.vipHoldUntil)
	}
	return w
}

func (f *instFaults) status() []string {
	var out []string
	if f == nil {
		return nil
	}
	if f.sendFault {
		out = append(out, "send:adverts")
	}
	if f.vipFault {
		for _, v := range f.vipFailed {
			out = append(out, "vip:"+v.Prefix.String())
		}
	}
	return out
}

// sendResultLocked records whether a master's advert went out to at
// least one destination.
func (r *Router) sendResultLocked(now time.Time, in *instance, sent bool) {
	if sent {
		if f := in.faults; f != nil {
			f.sendRun.ok()
			f.sendLogs = 0
		}
		return
	}
	f := in.faultState()
	if f.sendRun.fail(now, in.faultLimit()) && !f.sendFault {
		r.log.Error("adverts cannot be sent; giving up master", zap.String("instance", in.cfg.Name),
			zap.Duration("for", now.Sub(f.sendRun.since)))
		f.sendFault = true
		f.probeAt = now.Add(in.cfg.AdvertInterval)
		r.markDirty(in)
	}
}

// addVIPsLocked adds vips; those that fail are retried with backoff.
// With early set and an EarlyAdder, they are added without waiting to
// be usable; waitUsableLocked waits later.
func (r *Router) addVIPsLocked(now time.Time, in *instance, vips []VIPAddr, early bool) {
	add := r.deps.Addrs.Add
	if ea, ok := r.deps.Addrs.(EarlyAdder); ok && early {
		add = ea.AddNow
		in.unsettled = true
	}
	for _, v := range vips {
		if err := add(v); err != nil {
			if f := in.faultState(); !slices.Contains(f.vipPending, v) {
				r.log.Error("add vip", zap.String("instance", in.cfg.Name), zap.Stringer("vip", v.Prefix), zap.Error(err))
				f.vipPending = append(f.vipPending, v)
			}
		}
	}
	f := in.faults
	if f == nil {
		return
	}
	if len(f.vipPending) == 0 {
		f.vipRun.ok()
		f.vipRetry.reset()
		return
	}
	f.vipRun.fail(now, in.faultLimit())
	f.vipRetryAt = earliest(now.Add(f.vipRetry.next()), f.vipRun.deadline(in.faultLimit()))
}

// waitUsableLocked waits until the VIPs an early add put on are usable
// (EarlyAdder), before the instance reports MASTER.
func (r *Router) waitUsableLocked(in *instance) {
	if !in.unsettled {
		return
	}
	in.unsettled = false
	if ea, ok := r.deps.Addrs.(EarlyAdder); ok {
		for _, v := range in.cfg.vips() {
			ea.WaitUsable(v)
		}
	}
}

// retryVIPsLocked tries the pending VIPs again; it gives up master
// once they have failed for the limit.
func (r *Router) retryVIPsLocked(now time.Time, in *instance) {
	f := in.faultState()
	f.vipRetryAt = time.Time{}
	if in.m.State() != StateMaster {
		f.vipsReleased()
		return
	}
	var still, added []VIPAddr
	for _, v := range f.vipPending {
		if err := r.deps.Addrs.Add(v); err != nil {
			still = append(still, v)
			continue
		}
		added = append(added, v)
	}
	f.vipPending = still
	if len(added) > 0 {
		r.log.Info("vip added after retry", zap.String("instance", in.cfg.Name), zap.Int("count", len(added)))
		r.announceVIPsLocked(added, max(in.cfg.GARPMasterRepeat, 1))
	}
	if len(still) == 0 {
		f.vipRun.ok()
		f.vipRetry.reset()
		f.vipHold.reset()
		return
	}
	if f.vipRun.fail(now, in.faultLimit()) {
		hold := f.vipHold.next()
		r.log.Error("vip cannot be added; giving up master", zap.String("instance", in.cfg.Name),
			zap.Stringer("vip", still[0].Prefix), zap.Duration("retry_in", hold))
		f.vipFault = true
		f.vipFailed = slices.Clone(still)
		f.vipHoldUntil = now.Add(hold)
		r.markDirty(in)
		return
	}
	f.vipRetryAt = earliest(now.Add(f.vipRetry.next()), f.vipRun.deadline(in.faultLimit()))
}

// faultTimersLocked runs in's due fault timers: VIP retries, the end of
// a VIP fault's hold, and send probes.
func (r *Router) faultTimersLocked(now time.Time, in *instance) {
	f := in.faults
	if f == nil {
		return
	}
	if !f.vipRetryAt.IsZero() && !now.Before(f.vipRetryAt) {
		r.retryVIPsLocked(now, in)
	}
	if f.vipFault && !now.Before(f.vipHoldUntil) {
		f.vipFault, f.vipHoldUntil = false, time.Time{}
		f.vipPending = nil
		f.vipRun.ok()
		r.log.Info("retrying vips after hold", zap.String("instance", in.cfg.Name))
		r.markDirty(in)
	}
	if f.sendFault && !f.probeAt.IsZero() && !now.Before(f.probeAt) {
		f.probeAt = time.Time{}
		if r.sendLocked(now, in, PriorityStop) {
			r.log.Info("adverts can be sent again", zap.String("instance", in.cfg.Name))
			f.sendFault = false
			f.sendRun.ok()
			f.sendLogs = 0
			r.markDirty(in)
		} else {
			f.probeAt = now.Add(in.cfg.AdvertInterval)
		}
	}
}
