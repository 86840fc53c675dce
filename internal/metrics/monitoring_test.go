package metrics

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// monitoringDir holds the alert rules, their tests and the dashboard.
var monitoringDir = filepath.Join("..", "..", "examples", "monitoring")

// registeredNames are the metric names lbhad exports (from every Desc
// its collector describes), with the series names a histogram adds.
func registeredNames(t *testing.T) (names, hist map[string]bool) {
	t.Helper()
	m := New(nil)
	ch := make(chan *prometheus.Desc, 100)
	go func() { m.Describe(ch); close(ch) }()
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	names, hist = map[string]bool{}, map[string]bool{}
	for d := range ch {
		m := fq.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("no name in %s", d)
		}
		names[m[1]] = true
	}
	// A histogram's series are NAME_bucket, _sum and _count; one
	// observation makes each histogram show its type.
	m.ObserveCheck("http_get", true, 0)
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[mf.GetName()+s] = true
			}
			hist[mf.GetName()] = true
		}
	}
	return names, hist
}

var lbhadName = regexp.MustCompile(`\blbhad_[a-z0-9_]+`)

// TestMonitoringNames: every lbhad_ metric the alert rules, their tests
// and the dashboard's queries use is one lbhad exports, so a renamed
// metric cannot leave a rule or a panel silently empty.
func TestMonitoringNames(t *testing.T) {
	names, hist := registeredNames(t)
	for _, want := range []string{"lbhad_vrrp_state", "lbhad_build_info", "lbhad_real_server_bytes_total", "lbhad_check_duration_seconds_bucket"} {
		if !names[want] {
			t.Fatalf("registry lacks %s; the name list is wrong", want)
		}
	}
	check := func(file, text string) int {
		used := lbhadName.FindAllString(text, -1)
		for _, n := range used {
			if !names[n] {
				t.Errorf("%s uses %s, which lbhad does not export", file, n)
			}
		}
		return len(used)
	}
	for _, f := range []string{"lbhad-alerts.yml", "lbhad-alerts.test.yml"} {
		b, err := os.ReadFile(filepath.Join(monitoringDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if n := check(f, string(b)); n < 10 {
			t.Errorf("%s names only %d lbhad metrics", f, n)
		}
	}

	b, err := os.ReadFile(filepath.Join(monitoringDir, "lbhad-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	if dash.Title == "" || dash.UID == "" {
		t.Errorf("dashboard title %q uid %q, want both", dash.Title, dash.UID)
	}
	used := map[string]bool{}
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if check("dashboard panel "+p.Title, tg.Expr) == 0 {
				t.Errorf("dashboard panel %q query %q uses no lbhad metric", p.Title, tg.Expr)
			}
			for _, n := range lbhadName.FindAllString(tg.Expr, -1) {
				used[n] = true
			}
		}
	}
	// The dashboard shows every lbhad metric (histograms through their
	// buckets), so a new metric is added to it or left out on purpose.
	for n := range names {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
		if hist[base] && used[base+"_bucket"] {
			continue
		}
		if !used[n] {
			t.Errorf("the dashboard does not show %s", n)
		}
	}
}

// TestAlertRules runs promtool on the rules: they must load (check
// rules) and pass their unit tests (test rules), which hold cases that
// fire and cases that must not. Every alert has a test that names it.
func TestAlertRules(t *testing.T) {
	rules, err := os.ReadFile(filepath.Join(monitoringDir, "lbhad-alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(filepath.Join(monitoringDir, "lbhad-alerts.test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	tested := map[string]bool{}
	for _, m := range regexp.MustCompile(`alertname: (\w+)`).FindAllStringSubmatch(string(tests), -1) {
		tested[m[1]] = true
	}
	alerts := regexp.MustCompile(`- alert: (\w+)`).FindAllStringSubmatch(string(rules), -1)
	if len(alerts) < 10 {
		t.Fatalf("%d alerts in lbhad-alerts.yml", len(alerts))
	}
	for _, m := range alerts {
		if !tested[m[1]] {
			t.Errorf("alert %s has no promtool test", m[1])
		}
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		netnstest.Unavailable(t, "promtool not found (Debian package prometheus, installed by scripts/deps.sh)")
		return
	}
	for _, args := range [][]string{
		{"check", "rules", "lbhad-alerts.yml"},
		{"test", "rules", "lbhad-alerts.test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = monitoringDir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			continue
		}
		if !strings.Contains(string(out), "SUCCESS") {
			t.Errorf("promtool %s did not say SUCCESS:\n%s", strings.Join(args, " "), out)
		}
	}
}
