//go:build integration

package integration

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// TestDemoScriptV3 runs the demo's VRRPv3 mode (advert_int 0.1) as a
// user would: scripts/demo.sh -v3.
func TestDemoScriptV3(t *testing.T) {
	netnstest.RequireRoot(t)
	out, err := exec.Command("bash", "../scripts/demo.sh", "-v3").CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/demo.sh -v3: %v\n%s", err, out)
	}
	for _, want := range []string{"VRRPv3, advert_int 0.1 s", "d1 is MASTER and holds", "killing d1", "d2 is MASTER after", "0.36 s", "preempts", "done:"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("demo output:\n%s", out)
}
