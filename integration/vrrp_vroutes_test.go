//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// Routes and rules that follow the VIP, written the same for both
// daemons: one in table 100 through a gateway, one in main whose
// preferred source is the VIP (so it can only be added once the VIP is
// there), and a rule sending the VIP's traffic to table 100.
var (
	vrouteLines = []string{"198.51.100.0/24 via 192.0.2.254 dev eth0 table 100", "203.0.113.0/24 dev eth0 src 192.0.2.50"}
	vruleLines  = []string{"from 192.0.2.50 table 100 preference 100"}
)

func vroutesInstance(prio uint8, tracks []string, files []lab.TrackFile) lab.Instance {
	return lab.Instance{
		Priority: prio, Advert: 500 * time.Millisecond, Version: 3, TrackInterfaces: tracks, TrackFiles: files,
		LBHADInstance: "  virtual_routes = [" + quoteList(vrouteLines) + "]\n  virtual_rules = [" + quoteList(vruleLines) + "]\n",
		KeepalivedInstance: "  virtual_routes {\n    " + strings.Join(vrouteLines, "\n    ") + "\n  }\n" +
			"  virtual_rules {\n    " + strings.Join(vruleLines, "\n    ") + "\n  }\n",
	}
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = `"` + s + `"`
	}
	return strings.Join(q, ", ")
}

// hasVRoutes reports which of the routes and rule n holds: "all",
// "none" or what it found.
func hasVRoutes(t *testing.T, n *lab.Node) string {
	t.Helper()
	t100, err1 := lab.Exec(n.NS, "ip", "-4", "route", "show", "table", "100")
	if err1 != nil && strings.Contains(err1.Error(), "table does not exist") {
		t100, err1 = "", nil // no route in table 100 yet
	}
	main, err2 := lab.Exec(n.NS, "ip", "-4", "route", "show", "table", "main")
	rules, err3 := lab.Exec(n.NS, "ip", "-4", "rule", "show")
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			t.Fatalf("%s: %v", n.Name, err)
		}
	}
	var have []string
	if strings.Contains(t100, "198.51.100.0/24 via 192.0.2.254 dev eth0") {
		have = append(have, "route-t100")
	}
	for _, l := range strings.Split(main, "\n") {
		if strings.HasPrefix(l, "203.0.113.0/24 dev eth0") && strings.Contains(l, "src 192.0.2.50") {
			have = append(have, "route-src")
		}
	}
	for _, l := range strings.Split(rules, "\n") {
		if strings.HasPrefix(l, "100:") && strings.Contains(l, "from 192.0.2.50 lookup 100") {
			have = append(have, "rule")
		}
	}
	switch len(have) {
	case 0:
		return "none"
	case 3:
		return "all"
	}
	return strings.Join(have, ",")
}

// waitVRoutes waits until master holds all the routes and the rule and
// backup none, failing with what each holds.
func (b *bed) waitVRoutes(master, backup *lab.Node, why string) {
	b.t.Helper()
	if !lab.Eventually(5*time.Second, func() bool {
		return hasVRoutes(b.t, master) == "all" && (backup == nil || hasVRoutes(b.t, backup) == "none")
	}) {
		got := "master " + master.Name + " holds " + hasVRoutes(b.t, master)
		if backup != nil {
			got += ", backup " + backup.Name + " holds " + hasVRoutes(b.t, backup)
		}
		b.t.Fatalf("%s: want the routes and rule on %s only; %s", why, master.Name, got)
	}
}

// TestVRRPVirtualRoutesInterop: lbhad and keepalived 2.2.7 share a VRID,
// each with the same virtual_routes and virtual_rules; d1 tracks trk0
// with weight -60 and trk2 with weight 60 reverse, and a track file with
// weight 1 reverse. Taking trk0 down, bringing trk2 up (reverse: up
// lowers), or writing 60 in the file (reverse: 60 × 1 × -1) drops d1 from
// 150 to 90, below d2's 100, so mastership moves, and the routes and rule
// are on the master only, every time. A graceful stop of the master takes them off
// it. Then the roles swap (keepalived on d1 tracking, lbhad on d2) and
// the same moves are checked the other way round.
func TestVRRPVirtualRoutesInterop(t *testing.T) {
	b := newBed(t)
	b.ipSteps(b.l.D1.NS, [][]string{
		{"link", "add", "trk0", "type", "veth", "peer", "name", "trk1"},
		{"link", "add", "trk2", "type", "veth", "peer", "name", "trk3"},
		{"link", "set", "trk1", "up"},
		{"link", "set", "trk3", "up"},
		{"link", "set", "trk0", "up"},
	})
	tracks := []string{"trk0 weight -60", "trk2 weight 60 reverse"}
	flag := filepath.Join(b.l.Dir, "d1-flag")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(flag, []byte(s+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("0")
	files := []lab.TrackFile{{Name: "flag", Path: flag, Weight: 1, Reverse: true}}
	link := func(dev, state string) {
		t.Helper()
		if err := b.l.IP(b.l.D1.NS, "link", "set", dev, state); err != nil {
			t.Fatal(err)
		}
	}
	for _, round := range []struct{ d1, d2 string }{{"lbhad", "keepalived"}, {"keepalived", "lbhad"}} {
		tag := round.d1 + " on d1, " + round.d2 + " on d2"
		d1 := b.start(round.d1, b.l.D1, vroutesInstance(150, tracks, files))
		d2 := b.start(round.d2, b.l.D2, vroutesInstance(100, nil, nil))
		b.waitOwner(b.l.D1, 15*time.Second, time.Second, tag+": started")
		b.waitVRoutes(b.l.D1, b.l.D2, tag+": d1 master")

		link("trk0", "down")
		b.waitOwner(b.l.D2, 10*time.Second, time.Second, tag+": trk0 down (weight -60)")
		b.waitVRoutes(b.l.D2, b.l.D1, tag+": d2 master after trk0 down")

		link("trk0", "up")
		b.waitOwner(b.l.D1, 10*time.Second, time.Second, tag+": trk0 up")
		b.waitVRoutes(b.l.D1, b.l.D2, tag+": d1 master again")

		link("trk2", "up")
		b.waitOwner(b.l.D2, 10*time.Second, time.Second, tag+": trk2 up (weight 60 reverse)")
		b.waitVRoutes(b.l.D2, b.l.D1, tag+": d2 master after trk2 up")

		link("trk2", "down")
		b.waitOwner(b.l.D1, 10*time.Second, time.Second, tag+": trk2 down")
		b.waitVRoutes(b.l.D1, b.l.D2, tag+": d1 master after trk2 down")

		write("60")
		b.waitOwner(b.l.D2, 10*time.Second, time.Second, tag+": flag file 60 (weight 1 reverse)")
		b.waitVRoutes(b.l.D2, b.l.D1, tag+": d2 master after the flag file went to 60")

		write("0")
		b.waitOwner(b.l.D1, 10*time.Second, time.Second, tag+": flag file 0")
		b.waitVRoutes(b.l.D1, b.l.D2, tag+": d1 master after the flag file went to 0")

		// A graceful stop of the master hands the routes over.
		if err := d1.Stop(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		b.waitOwner(b.l.D2, 10*time.Second, 0, tag+": d1 stopped")
		b.waitVRoutes(b.l.D2, b.l.D1, tag+": d1 stopped")
		if err := d2.Stop(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		if got := hasVRoutes(t, b.l.D2); got != "none" {
			t.Fatalf("%s: d2 stopped but holds %s", tag, got)
		}
	}
}
