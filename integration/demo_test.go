//go:build integration

package integration

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// TestDemoScript runs the README's main command exactly as a user would,
// so the demo cannot silently break.
func TestDemoScript(t *testing.T) {
	netnstest.RequireRoot(t)
	out, err := exec.Command("bash", "../scripts/demo.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/demo.sh: %v\n%s", err, out)
	}
	for _, want := range []string{"d1 is MASTER and holds", "killing d1", "d2 is MASTER after", "preempts", "d2 is MASTER after", "done:"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("demo output:\n%s", out)
}
