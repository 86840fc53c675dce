//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
	"github.com/lbhad/lbhad/internal/netnstest"
)

// TestSplitBrainAlert feeds what two real directors serve on /metrics
// into the split-brain and no-master rules of examples/monitoring and
// lets promtool evaluate them: with mismatched auth_pass both are MASTER
// and LbhadSplitBrain fires for VRID 51 (and both count auth drops, the
// input of LbhadAdvertsRejected); once d2 runs with the right password,
// one is MASTER and neither rule fires. The rules' own unit tests use
// made-up series; this proves the labels lbhad really exports make the
// expressions work.
func TestSplitBrainAlert(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		netnstest.Unavailable(t, "promtool not found (Debian package prometheus, installed by scripts/deps.sh)")
		return
	}
	exprs := ruleExprs(t, "LbhadSplitBrain", "LbhadNoMaster")
	b := newBed(t)
	const addr = "127.0.0.1:9469"
	metricsListen := "  metrics_listen = \"" + addr + "\"\n"
	b.start("lbhad", b.l.D1, lab.Instance{Priority: 150, AuthPass: "pw12", LBHADGlobal: metricsListen})
	d2 := b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw99", LBHADGlobal: metricsListen})
	if !lab.Eventually(15*time.Second, func() bool { return len(b.owners()) == 2 }) {
		t.Fatalf("with mismatched auth both should be master, VIP held by %v", b.owners())
	}
	var series []string
	for _, n := range []*lab.Node{b.l.D1, b.l.D2} {
		var drops string
		if !lab.Eventually(10*time.Second, func() bool {
			drops = scrapeSample(t, n.NS, addr, `lbhad_vrrp_adverts_dropped_total{interface="`+n.Dev+`",reason="auth",vrid="51",vrrp_instance="VI_1"}`)
			return drops != "" && drops != "0"
		}) {
			t.Errorf("%s counts no auth drops: %q", n.Name, drops)
		}
		series = append(series, stateSeries(t, n, addr)...)
	}
	promtoolRules(t, promtool, exprs, series, `
      - eval_time: 1m
        alertname: LbhadSplitBrain
        exp_alerts:
          - exp_labels: {vrid: "51"}
      - eval_time: 1m
        alertname: LbhadNoMaster
        exp_alerts: []`)

	if err := d2.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	b.start("lbhad", b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12", LBHADGlobal: metricsListen})
	b.waitOwner(b.l.D1, 15*time.Second, time.Second, "d2 back with the right password")
	series = nil
	for _, n := range []*lab.Node{b.l.D1, b.l.D2} {
		if !lab.Eventually(10*time.Second, func() bool {
			return scrapeSample(t, n.NS, addr, `lbhad_vrrp_state{interface="`+n.Dev+`",state="BACKUP",vrid="51",vrrp_instance="VI_1"}`) != "" // serving again
		}) {
			t.Fatalf("%s serves no metrics", n.Name)
		}
		series = append(series, stateSeries(t, n, addr)...)
	}
	promtoolRules(t, promtool, exprs, series, `
      - eval_time: 1m
        alertname: LbhadSplitBrain
        exp_alerts: []
      - eval_time: 1m
        alertname: LbhadNoMaster
        exp_alerts: []`)
}

// ruleExprs returns the expr of each named alert in lbhad-alerts.yml.
func ruleExprs(t *testing.T, names ...string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", "monitoring", "lbhad-alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range names {
		m := regexp.MustCompile(`(?s)- alert: ` + name + `\n.*?\n\s+expr: ([^\n]+)\n`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no expr for %s in lbhad-alerts.yml", name)
		}
		out[name] = string(m[1])
	}
	return out
}

// scrapeSample returns the value of one sample line (NAME{labels}) on
// n's metrics page, "" when absent.
func scrapeSample(t *testing.T, ns, addr, sample string) string {
	t.Helper()
	out, err := lab.Exec(ns, "curl", "-sS", "--max-time", "5", "http://"+addr+"/metrics")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// stateSeries scrapes n and returns its lbhad_vrrp_state samples as
// promtool input series, with the job and instance labels Prometheus
// would add, each holding its value for the whole test.
func stateSeries(t *testing.T, n *lab.Node, addr string) []string {
	t.Helper()
	out, err := lab.Exec(n.NS, "curl", "-sS", "--max-time", "5", "http://"+addr+"/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", n.Name, err)
	}
	var series []string
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(line, "lbhad_vrrp_state{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			t.Fatalf("odd sample %q", line)
		}
		series = append(series, fmt.Sprintf("      - series: 'lbhad_vrrp_state{job=\"lbhad\",instance=%q,%s}'\n        values: '%sx8'",
			n.Name, labels, strings.TrimSpace(value)))
	}
	if len(series) != 5 {
		t.Fatalf("%s: %d lbhad_vrrp_state series, want 5:\n%s", n.Name, len(series), out)
	}
	return series
}

// promtoolRules writes the alerts' expressions (without their
// annotations, so the expectations stay short) and the series into a
// promtool unit test with the given alert_rule_test cases, and runs it.
func promtoolRules(t *testing.T, promtool string, exprs map[string]string, series []string, cases string) {
	t.Helper()
	dir := t.TempDir()
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: e2e\n    rules:\n")
	for name, expr := range exprs {
		fmt.Fprintf(&rules, "      - alert: %s\n        expr: %s\n        for: 30s\n", name, expr)
	}
	test := "rule_files: [rules.yml]\nevaluation_interval: 15s\ntests:\n  - interval: 15s\n    input_series:\n" +
		strings.Join(series, "\n") + "\n    alert_rule_test:" + cases + "\n"
	for f, s := range map[string]string{"rules.yml": rules.String(), "test.yml": test} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(promtool, "test", "rules", "test.yml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool test rules: %v\n%s\ninput:\n%s", err, out, test)
	}
}
