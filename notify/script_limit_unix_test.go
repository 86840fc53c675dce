//go:build unix

package notify

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/script"
)

// TestScriptsBoundedAndOrdered: 30 real servers going down and up at once
// with max_script_processes 3 never run more than 2 scripts at once (one
// slot is kept for vrrp_scripts)
// (judged from the start and end times each script records, which lie
// inside its real lifetime, so the overlap seen is never more than the
// real one), and each real server's down and up still run in that order.
func TestScriptsBoundedAndOrdered(t *testing.T) {
	calls := filepath.Join(t.TempDir(), "calls")
	rec := writeScript(t, fmt.Sprintf(`a=$(date +%%s%%N); sleep 0.05; echo "$1 $2 $a $(date +%%s%%N)" >> %s`, calls))
	script.SetMaxProcs(3)
	t.Cleanup(func() { script.SetMaxProcs(config.DefaultMaxScriptProcesses) })

	cfg := baseConfig()
	var rss []*config.RealServer
	const n = 30
	for i := range n {
		name := fmt.Sprint("r", i)
		rss = append(rss, &config.RealServer{Name: name, NotifyDown: rec + " down " + name, NotifyUp: rec + " up " + name})
	}
	cfg.VirtualServers = []*config.VirtualServer{{Name: "web", RealServers: rss}}
	d, _ := newTest(t, cfg)
	for _, rs := range rss {
		d.Notify(Event{Kind: RealServerDown, VirtualServer: "web", RealServer: rs.Name})
		d.Notify(Event{Kind: RealServerUp, VirtualServer: "web", RealServer: rs.Name})
	}
	s := waitStats(t, d, "all scripts", func(s Stats) bool { return s["script"].Delivered+s["script"].Failed+s["script"].Dropped == 2*n })
	if s["script"].Delivered != 2*n {
		t.Fatalf("stats %+v: want all %d delivered", s["script"], 2*n)
	}
	type span struct{ from, to int64 }
	var spans []span
	seen := map[string][]string{}
	for _, l := range readLines(t, calls) {
		var what, who string
		var sp span
		if _, err := fmt.Sscanf(l, "%s %s %d %d", &what, &who, &sp.from, &sp.to); err != nil {
			t.Fatalf("bad line %q: %v", l, err)
		}
		spans = append(spans, sp)
		seen[who] = append(seen[who], what)
	}
	most := 0
	for _, a := range spans {
		at := 0
		for _, b := range spans {
			if b.from <= a.from && a.from < b.to {
				at++
			}
		}
		most = max(most, at)
	}
	// Of 3 slots one is kept for vrrp_scripts: notify scripts get 2.
	if most > 2 {
		t.Errorf("%d notify scripts ran at once, limit 3 with 1 reserved", most)
	}
	if most < 2 {
		t.Errorf("never more than %d at once: the limit was not pressed on", most)
	}
	for _, rs := range rss {
		if got := seen[rs.Name]; !slices.Equal(got, []string{"down", "up"}) {
			t.Errorf("%s: scripts ran as %s, want down then up", rs.Name, strings.Join(got, ","))
		}
	}
	t.Logf("%d scripts, at most %d at once", len(spans), most)
}
