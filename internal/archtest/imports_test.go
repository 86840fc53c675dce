package archtest

import (
	"go/build"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const module = "github.com/lbhad/lbhad/"

// allowed lists, for each package the rules constrain, the lbhad
// packages it may import (tests excluded). Domain packages meet only in
// internal/daemon; config imports nothing of ours.
var allowed = map[string][]string{
	"config":          {},
	"internal/clock":  {},
	"internal/script": {},
	"vrrp":            {"config", "internal/clock"},
	"checker":         {"config", "internal/clock", "internal/script"},
	"ipvssync":        {"config", "internal/clock"},
	"notify":          {"config", "internal/clock", "internal/script"},
	"internal/kaconv": {"config"},
	"internal/bgp":    {"config", "internal/clock"},
}

func TestImportRules(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for pkg, ok := range allowed {
		for _, goos := range []string{"linux", "darwin"} {
			ctx := build.Default
			ctx.GOOS = goos
			p, err := ctx.ImportDir(filepath.Join(root, pkg), 0)
			if err != nil {
				t.Fatalf("%s (%s): %v", pkg, goos, err)
			}
			for _, imp := range p.Imports {
				if !strings.HasPrefix(imp, module) {
					continue
				}
				dep := strings.TrimPrefix(imp, module)
				if !contains(ok, dep) {
					t.Errorf("%s imports %s (%s); docs/ARCHITECTURE.md allows only %v", pkg, dep, goos, ok)
				}
			}
		}
	}
}

// TestOnlyDaemonImportsEveryDomain: the domain packages meet in
// internal/daemon; no other internal package imports two of them.
func TestOnlyDaemonImportsEveryDomain(t *testing.T) {
	p, err := build.Default.ImportDir("../daemon", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"vrrp", "checker", "ipvssync", "notify", "config"} {
		if !contains(p.Imports, module+d) {
			t.Errorf("internal/daemon does not import %s: is the wiring elsewhere now?", d)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestDaemonReadsOnlyItsClock: every time the daemon reads or waits on
// comes from Ports.Clock, so a test that moves the fake clock moves the
// whole daemon (docs/ARCHITECTURE.md, "one clock").
func TestDaemonReadsOnlyItsClock(t *testing.T) {
	files, err := filepath.Glob("../daemon/*.go")
	if err != nil {
		t.Fatal(err)
	}
	wall := regexp.MustCompile(`\btime\.(Now|Since|Until|After|AfterFunc|NewTimer|NewTicker|Tick|Sleep)\b`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if code, _, _ := strings.Cut(line, "//"); wall.MatchString(code) {
				t.Errorf("%s:%d reads the wall clock (%s); use the injected clock", filepath.Base(f), i+1, strings.TrimSpace(line))
			}
		}
	}
}
