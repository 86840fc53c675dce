package vrrpbench

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// ---- failover --------------------------------------------------------

// failovers runs the failover comparison: VRRPv2 at advert_int 1 with
// v3 zero, else VRRPv3 at advert_int v3, over IPv6 when v6.
func (b *bench) failovers(v3 time.Duration, v6 bool) (map[string]map[bool][]Failover, error) {
	o := b.cfg
	res := map[string]map[bool][]Failover{}
	for _, k := range b.kinds {
		res[k] = map[bool][]Failover{}
	}
	for _, graceful := range []bool{false, true} {
		for i := 0; i < o.Runs; i++ {
			for _, k := range b.kinds {
				r, err := b.failoverRun(k, graceful, v3, v6)
				if err != nil {
					return nil, fmt.Errorf("%s %s run %d: %w", k, event(graceful), i+1, err)
				}
				fmt.Fprintf(b.log, "%-10s %-7s %s run %d: gap %v, takeover %v, restore %v, first advert -> first %s %v (%d), pings %d/%d, load %s\n",
					k, event(graceful), version(v3, v6), i+1, ms(r.Gap), ms(r.Takeover), ms(r.Restore), announce(v6), us(r.AdvToGARP), r.GARPs, r.Got, r.Sent, loadavg())
				res[k][graceful] = append(res[k][graceful], r)
			}
		}
	}

	if v3 > 0 && v6 {
		fmt.Fprintf(b.out, "### Failover, VRRPv3 over IPv6 (advert_int %v, priorities 150/100, ping6 every %v, %d runs each, alternating; median, range in brackets)\n\n", v3.Seconds(), pingEvery(v3), o.Runs)
	} else if v3 > 0 {
		fmt.Fprintf(b.out, "### Failover, VRRPv3 (advert_int %v, priorities 150/100, no auth, ping every %v, %d runs each, alternating; median, range in brackets)\n\n", v3.Seconds(), pingEvery(v3), o.Runs)
	} else {
		fmt.Fprintf(b.out, "### Failover (advert_int 1, priorities 150/100, PASS auth %q, %d runs each, alternating; median, range in brackets)\n\n", o.AuthPass, o.Runs)
	}
	fmt.Fprintln(b.out, "| metric | lbhad | keepalived | lbhad/keepalived | target |")
	fmt.Fprintln(b.out, "| --- | --- | --- | --- | --- |")
	row := func(name, target string, graceful bool, get func(Failover) time.Duration, unit func(time.Duration) string) {
		var lb, ka []time.Duration
		for _, r := range res["lbhad"][graceful] {
			lb = append(lb, get(r))
		}
		for _, r := range res["keepalived"][graceful] {
			ka = append(ka, get(r))
		}
		fmt.Fprintf(b.out, "| %s | %s | %s | %s | %s |\n", name, summary(lb, unit), summary(ka, unit), ratio(median(lb), median(ka)), target)
	}
	gap := func(r Failover) time.Duration { return r.Gap }
	take := func(r Failover) time.Duration { return r.Takeover }
	restore := func(r Failover) time.Duration { return r.Restore }
	garp := func(r Failover) time.Duration { return r.AdvToGARP }
	if v3 > 0 {
		skew := v3 * 156 / 256
		row("SIGKILL of master: client ping gap", fmt.Sprintf("≤ keepalived and ≤ 3 × %v + skew + 30 ms = %v", v3, ms(3*v3+skew+30*time.Millisecond)), false, gap, ms)
		row("SIGKILL: old master's last advert → new master's first advert", fmt.Sprintf("3 × %v + skew %v = %v", v3, ms(skew), ms(3*v3+skew)), false, take, ms)
		row("SIGKILL: old master's last advert → client's first reply via the new master", "≤ keepalived", false, restore, ms)
		row("SIGTERM of master: client ping gap", fmt.Sprintf("≤ skew + 10 ms = %v", ms(skew+10*time.Millisecond)), true, gap, ms)
		row("SIGTERM: priority-0 advert → new master's first advert", "skew "+ms(skew), true, take, ms)
		row("SIGTERM: priority-0 advert → client's first reply via the new master", "≤ keepalived", true, restore, ms)
	} else {
		row("SIGKILL of master: client ping gap", "≤ keepalived", false, gap, ms)
		row("SIGKILL: old master's last advert → new master's first advert", "3 × 1 s + skew 0.609 s = 3.609 s", false, take, ms)
		row("SIGTERM of master: client ping gap", "≤ skew + 20 ms = 629 ms", true, gap, ms)
		row("SIGTERM: priority-0 advert → new master's first advert", "skew 609 ms", true, take, ms)
	}
	row("new master's first advert → first "+announce(v6)+" (after SIGKILL)", "≤ 1 ms", false, garp, us)
	row("new master's first advert → first "+announce(v6)+" (after SIGTERM)", "≤ 1 ms", true, garp, us)
	for _, k := range b.kinds {
		var n []string
		for _, g := range []bool{false, true} {
			for _, r := range res[k][g] {
				n = append(n, strconv.Itoa(r.GARPs))
			}
		}
		fmt.Fprintf(b.out, "\n%ss in the new master's first second, %s: %s", announce(v6), k, strings.Join(n, " "))
	}
	fmt.Fprint(b.out, "\n\n")
	return res, nil
}

func event(graceful bool) string {
	if graceful {
		return "SIGTERM"
	}
	return "SIGKILL"
}

func version(v3 time.Duration, v6 bool) string {
	switch {
	case v6:
		return "v3/6"
	case v3 > 0:
		return "v3"
	}
	return "v2"
}

// announce names what a new master sends to move the clients' neighbour
// entries: gratuitous ARP over IPv4, unsolicited NA over IPv6.
func announce(v6 bool) string {
	if v6 {
		return "NA"
	}
	return "GARP"
}

// pingEvery is the client's echo interval: 10 ms against VRRPv2's
// seconds-long gaps (as in every earlier run), 5 ms for sub-second
// VRRPv3 so the gap is resolved to a twentieth of an advert at 0.1 s.
func pingEvery(v3 time.Duration) time.Duration {
	if v3 > 0 {
		return 5 * time.Millisecond
	}
	return 10 * time.Millisecond
}

// vip6 is the IPv6 runs' VIP, on the lab's bridge like the IPv4 one.
var vip6 = netip.MustParsePrefix("2001:db8:50::100/64")

// addIPv6 gives d1, d2 and the client a global address each (the client
// pings from it) and waits until none is tentative any more.
func addIPv6(l *lab.Lab) error {
	nodes := []*lab.Node{l.D1, l.D2, l.Client}
	for i, n := range nodes {
		p := []string{"2001:db8:50::11/64", "2001:db8:50::12/64", "2001:db8:50::99/64"}[i]
		if err := l.IP(n.NS, "-6", "addr", "add", p, "dev", n.Dev); err != nil {
			return err
		}
	}
	for _, n := range nodes {
		if !lab.Eventually(10*time.Second, func() bool {
			out, err := lab.Exec(n.NS, "ip", "-6", "addr", "show", "dev", n.Dev)
			return err == nil && strings.Contains(out, "scope link") && !strings.Contains(out, "tentative")
		}) {
			return fmt.Errorf("%s: IPv6 addresses still tentative after 10 s", n.Name)
		}
	}
	return nil
}

// start runs kind on n: VRRPv2 with the configured authentication, or
// VRRPv3 (which has none) at advert_int v3, with an IPv6 VIP when v6.
func start(l *lab.Lab, o Config, kind string, n *lab.Node, prio uint8, v3 time.Duration, v6 bool) (*lab.Director, error) {
	in := lab.Instance{Priority: prio, AuthPass: o.AuthPass}
	if v3 > 0 {
		in = lab.Instance{Priority: prio, Version: 3, Advert: v3}
	}
	if v6 {
		in.VIPs = []string{vip6.String()}
	}
	if kind == "lbhad" {
		return l.StartLBHAD(o.Lbhad, n, in)
	}
	return l.StartKeepalived(n, in)
}

// failoverRun builds a fresh lab, elects d1 (150) over d2 (100), pings the
// VIP from the client every pingEvery, then kills or stops d1.
func (b *bench) failoverRun(kind string, graceful bool, v3 time.Duration, v6 bool) (_ Failover, err error) {
	o := b.cfg
	var r Failover
	l, err := b.newLab()
	if err != nil {
		return r, err
	}
	defer b.closeLab(l)
	defer func() {
		if err != nil {
			b.dumpLogs(l)
		}
	}()
	vip := lab.VIP
	if v6 {
		vip = vip6.Addr()
		if err := addIPv6(l); err != nil {
			return r, err
		}
	}
	c, err := l.StartCapture()
	if err != nil {
		return r, err
	}
	defer c.Stop()
	d1, err := start(l, o, kind, l.D1, 150, v3, v6)
	if err != nil {
		return r, err
	}
	if _, err := start(l, o, kind, l.D2, 100, v3, v6); err != nil {
		return r, err
	}
	only := func(n *lab.Node) func() bool {
		return func() bool {
			o := l.Owners(vip)
			return len(o) == 1 && o[0] == n
		}
	}
	if !lab.Eventually(20*time.Second, only(l.D1)) {
		return r, errors.New("d1 did not become the only VIP owner within 20 s")
	}
	time.Sleep(time.Second)
	if !only(l.D1)() {
		return r, errors.New("VIP left d1 while settling")
	}
	p, err := lab.StartPinger(l.Client.NS, vip, pingEvery(v3))
	if err != nil {
		return r, err
	}
	defer p.Stop()
	if !p.WaitReply(time.Time{}, 5*time.Second) {
		return r, errors.New("no ping reply from the VIP")
	}
	time.Sleep(500 * time.Millisecond)

	t0 := time.Now()
	if graceful {
		err = d1.Stop(10 * time.Second)
	} else {
		err = d1.Crash()
	}
	if err != nil {
		return r, err
	}
	if !lab.Eventually(15*time.Second, only(l.D2)) {
		return r, errors.New("d2 did not take the VIP within 15 s")
	}
	if !p.WaitReply(time.Now(), 5*time.Second) {
		return r, errors.New("no ping reply after failover")
	}
	time.Sleep(1200 * time.Millisecond) // the first GARP/NA burst and a few more pings
	r.Gap = p.LongestGap(t0.Add(-100*time.Millisecond), time.Now()).Len
	r.Sent, r.Got = p.Counts()

	const vrid = 51
	first := c.Adverts(vrid, l.D2.MAC, t0)
	if len(first) == 0 {
		return r, errors.New("no advert from d2 after the failover")
	}
	adv := first[0]
	var before lab.Frame
	if graceful {
		zero := c.Frames(func(f lab.Frame) bool {
			return f.VRRP != nil && f.VRRP.VRID == vrid && f.VRRP.Priority == 0 &&
				f.SrcMAC.String() == l.D1.MAC.String() && f.Time.After(t0)
		})
		if len(zero) == 0 {
			return r, errors.New("no priority-0 advert from d1")
		}
		before = zero[0]
	} else {
		old := c.Adverts(vrid, l.D1.MAC, time.Time{})
		for _, f := range old {
			if f.Time.Before(t0) {
				before = f
			}
		}
		if before.Time.IsZero() {
			return r, errors.New("no advert from d1 before the crash")
		}
	}
	r.Takeover = adv.Time.Sub(before.Time)
	for _, at := range p.Replies() {
		if at.After(adv.Time) {
			r.Restore = at.Sub(before.Time)
			break
		}
	}
	if r.Restore == 0 {
		return r, errors.New("no ping reply after the new master's first advert")
	}
	var garps []lab.Frame
	sent := c.GARPs(vip.AsSlice(), t0)
	if v6 {
		sent = c.NAs(vip, t0)
	}
	for _, g := range sent {
		if g.SrcMAC.String() == l.D2.MAC.String() {
			garps = append(garps, g)
		}
	}
	if len(garps) == 0 {
		return r, fmt.Errorf("no %s from d2", announce(v6))
	}
	r.AdvToGARP = garps[0].Time.Sub(adv.Time)
	for _, g := range garps {
		if g.Time.Sub(garps[0].Time) < time.Second {
			r.GARPs++
		}
	}
	return r, nil
}

func (b *bench) dumpLogs(l *lab.Lab) {
	files, _ := filepath.Glob(filepath.Join(l.Dir, "*.err"))
	outs, _ := filepath.Glob(filepath.Join(l.Dir, "*.out"))
	for _, f := range append(files, outs...) {
		data, _ := os.ReadFile(f)
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 30 {
			lines = lines[len(lines)-30:]
		}
		fmt.Fprintf(b.log, "--- %s ---\n%s\n", filepath.Base(f), strings.Join(lines, "\n"))
	}
}
