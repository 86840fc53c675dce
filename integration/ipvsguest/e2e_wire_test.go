//go:build ipvsguest && linux

package ipvsguest

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/net/bpf"

	"github.com/lbhad/lbhad/internal/lab"
)

// The takeover figures of runE2EKind run from the test's own action (the
// signal sent, the cable pulled) to the new master's MASTER log line, so
// they mix three things: when the old master's last or priority-0 advert
// left, the backup's timer, and when each daemon writes its log line. A
// capture of the VRRP adverts on the LAN bridge (in the switch namespace,
// so it sees what every director put on the wire) splits them apart, for
// lbhad and keepalived alike.

const (
	e2eVRID = 51 // VI_1 (DR) and VI_EXT (NAT) on the LAN
	// e2eSkew and e2eDown are Skew_Time and Master_Down_Interval of lb2
	// (priority 100, advert_int 1; RFC 3768 §6.1).
	e2eSkew = (256 - 100) * time.Second / 256
	e2eDown = 3*time.Second + e2eSkew
)

var (
	e2eLB1, e2eLB2 = netip.MustParseAddr("192.0.2.11"), netip.MustParseAddr("192.0.2.12")
	// lb1 and lb2 on the internal LAN (NAT)
	e2eLB1Int, e2eLB2Int = netip.MustParseAddr("198.51.100.11"), netip.MustParseAddr("198.51.100.12")
)

// vrrpOnly is a socket filter passing IPv4 VRRP frames only: the kernel
// drops the load's frames before they are copied to the test.
var vrrpOnly = func() []bpf.RawInstruction {
	f, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2}, // EtherType
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0x0800, SkipTrue: 3},
		bpf.LoadAbsolute{Off: 14 + 9, Size: 1}, // IPv4 protocol
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 112, SkipTrue: 1},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		panic(err)
	}
	return f
}()

// startWire captures on the LAN bridge until the test ends.
func (l *e2eLab) startWire(t *testing.T) {
	t.Helper()
	c, err := lab.StartCaptureIn(l.sw.Run, "br-lan", vrrpOnly)
	if err != nil {
		t.Fatalf("capture on br-lan: %v", err)
	}
	t.Cleanup(c.Stop)
	l.wire = c
	if !l.nat {
		return
	}
	// VI_INT (VRID 52) on the internal bridge: which instance of the
	// sync group moves first, and how long before the other follows.
	ci, err := lab.StartCaptureIn(l.sw.Run, "br-int", vrrpOnly)
	if err != nil {
		t.Fatalf("capture on br-int: %v", err)
	}
	t.Cleanup(ci.Stop)
	l.wireInt = ci
}

// intOffset is, in NAT, the time from lb2's first VI_EXT advert (first)
// to its first VI_INT advert after t0, as an extra field of a result
// line: the sync group moves both, one after the other.
func (l *e2eLab) intOffset(t0 time.Time, first lab.Frame) string {
	if l.wireInt == nil {
		return ""
	}
	fi, ok := l.wireInt.Wait(t0, 5*time.Second, func(f lab.Frame) bool {
		return f.VRRP != nil && f.VRRP.VRID == e2eVRID+1 && f.VRRP.Src == e2eLB2Int
	})
	if !ok {
		return "; no VI_INT advert from lb2 within 5s"
	}
	return fmt.Sprintf("; lb2 first VI_EXT advert -> first VI_INT advert %v", roundMS(fi.Time.Sub(first.Time)))
}

// adverts lists the adverts of the followed instance sent by src.
func (l *e2eLab) adverts(src netip.Addr) []lab.Frame {
	return l.wire.Frames(func(f lab.Frame) bool {
		return f.VRRP != nil && f.VRRP.VRID == e2eVRID && f.VRRP.Src == src
	})
}

// firstAdvert waits up to within for the first advert src sent after
// since.
func (l *e2eLab) firstAdvert(src netip.Addr, since time.Time, within time.Duration, prio0 bool) (lab.Frame, bool) {
	return l.wire.Wait(since, within, func(f lab.Frame) bool {
		return f.VRRP != nil && f.VRRP.VRID == e2eVRID && f.VRRP.Src == src && (!prio0 || f.VRRP.Priority == 0)
	})
}

// wireSIGTERM reports the split of a SIGTERM takeover: t0 the signal to
// lb1, tm lb2's MASTER log line. Both daemons send a priority-0 advert
// for each instance when they stop, so not seeing one is an error. In
// NAT the sync group moves lb2 on whichever of VI_EXT's and VI_INT's
// arrives first, so the protocol part runs from the earlier one.
func (l *e2eLab) wireSIGTERM(t *testing.T, t0, tm time.Time) {
	t.Helper()
	p0, ok := l.firstAdvert(e2eLB1, t0, 5*time.Second, true)
	if !ok {
		t.Errorf("no priority-0 advert from lb1 on the wire after SIGTERM; lb1's adverts: %v", l.advertTimes(e2eLB1, t0))
		return
	}
	first, ok := l.firstAdvert(e2eLB2, t0, 5*time.Second, false)
	if !ok {
		t.Errorf("lb2 logged MASTER but sent no advert within 5s")
		return
	}
	from, which := p0, ""
	if l.wireInt != nil {
		pi, ok := l.wireInt.Wait(t0, 5*time.Second, func(f lab.Frame) bool {
			return f.VRRP != nil && f.VRRP.VRID == e2eVRID+1 && f.VRRP.Src == e2eLB1Int && f.VRRP.Priority == 0
		})
		if !ok {
			t.Errorf("no VI_INT priority-0 advert from lb1 on the wire after SIGTERM")
			return
		}
		which = fmt.Sprintf(" (VI_EXT's %v, VI_INT's %v)", roundMS(p0.Time.Sub(t0)), roundMS(pi.Time.Sub(t0)))
		if pi.Time.Before(p0.Time) {
			from = pi
		}
	}
	l.result("SIGTERM wire: signal -> lb1 priority-0 advert %v%s; priority-0 advert -> lb2 first advert %v (Skew_Time %v); lb2 first advert -> MASTER log line %v%s; %s",
		roundMS(from.Time.Sub(t0)), which, roundMS(first.Time.Sub(from.Time)), roundMS(e2eSkew), roundMS(tm.Sub(first.Time)), l.intOffset(t0, first),
		firstLogLine(l.lbs[0], t0))
}

// firstLogLine says when d logged its first line at or after t0 (the
// signal) and what it was: where the stop begins, to split the time to
// the priority-0 advert into the daemon noticing the signal and its own
// way to the advert.
func firstLogLine(d *e2eDirector, t0 time.Time) string {
	for _, ln := range d.lines() {
		if !ln.TS.Before(t0.Truncate(time.Millisecond)) {
			var m struct{ Raw string }
			msg := ln.Msg
			if json.Unmarshal([]byte(ln.Raw), &m) == nil && m.Raw != "" {
				msg = m.Raw // keepalived's own words
			}
			return fmt.Sprintf("lb1's first log line after the signal at %v: %q", roundMS(ln.TS.Sub(t0)), msg)
		}
	}
	return "lb1 logged nothing after the signal"
}

// wireCrash reports the split of a crash takeover: t0 the kill -9 of lb1
// (its cables pulled right after), tm lb2's MASTER log line.
func (l *e2eLab) wireCrash(t *testing.T, t0, tm time.Time) {
	t.Helper()
	first, ok := l.firstAdvert(e2eLB2, t0, 5*time.Second, false)
	if !ok {
		t.Errorf("lb2 logged MASTER but sent no advert within 5s")
		return
	}
	var last lab.Frame
	for _, f := range l.adverts(e2eLB1) {
		if f.Time.Before(first.Time) {
			last = f
		}
	}
	if last.VRRP == nil {
		t.Errorf("no advert from lb1 on the wire before the crash")
		return
	}
	inner := ""
	if l.wireInt != nil {
		// Each instance of the group has its own Master_Down_Timer,
		// started by lb1's last advert of that instance.
		var li lab.Frame
		for _, f := range l.wireInt.Frames(func(f lab.Frame) bool {
			return f.VRRP != nil && f.VRRP.VRID == e2eVRID+1 && f.VRRP.Src == e2eLB1Int
		}) {
			if f.Time.Before(first.Time) {
				li = f
			}
		}
		if li.VRRP != nil {
			// The group moves when the later of the two timers runs
			// out, so the protocol part runs from the later advert.
			later := last
			if li.Time.After(later.Time) {
				later = li
			}
			inner = fmt.Sprintf("; lb1's last VI_INT advert %v after its last VI_EXT advert; the later of the two -> lb2 first advert %v",
				roundMS(li.Time.Sub(last.Time)), roundMS(first.Time.Sub(later.Time)))
		}
	}
	l.result("kill -9 wire: lb1 last advert %v before the kill; last advert -> lb2 first advert %v (Master_Down_Interval %v); lb2 first advert -> MASTER log line %v%s%s",
		roundMS(t0.Sub(last.Time)), roundMS(first.Time.Sub(last.Time)), roundMS(e2eDown), roundMS(tm.Sub(first.Time)), l.intOffset(t0, first), inner)
}

// advertTimes lists src's adverts since t0 as offsets and priorities, for
// a failure message.
func (l *e2eLab) advertTimes(src netip.Addr, t0 time.Time) []string {
	var out []string
	for _, f := range l.adverts(src) {
		if f.Time.After(t0) {
			out = append(out, fmt.Sprintf("%v/prio %d", roundMS(f.Time.Sub(t0)), f.VRRP.Priority))
		}
	}
	return out
}

func roundMS(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
