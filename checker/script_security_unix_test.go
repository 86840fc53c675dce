//go:build unix

package checker

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lbhad/lbhad/internal/script"
)

// TestScriptSecurity: under enable_script_security a world-writable
// misc_check or vrrp_script is refused when the check is built, and one
// that becomes world-writable after the build is refused at its next
// run; neither ever runs.
func TestScriptSecurity(t *testing.T) {
	for _, kind := range []Kind{KindMisc, KindScript} {
		t.Run(kind.String(), func(t *testing.T) {
			marker := filepath.Join(t.TempDir(), "ran")
			p := writeScript(t, "touch "+marker)
			spec := Spec{ID: "x", Name: "x", Kind: kind, Misc: &MiscSpec{Path: p, Secure: true}}

			if err := os.Chmod(p, 0o777); err != nil {
				t.Fatal(err)
			}
			if _, err := New(spec); !errors.Is(err, script.ErrInsecure) {
				t.Fatalf("New(world-writable) = %v, want ErrInsecure", err)
			}

			if err := os.Chmod(p, 0o755); err != nil {
				t.Fatal(err)
			}
			c, err := New(spec)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, 0o777); err != nil { // swapped after load
				t.Fatal(err)
			}
			r := c.Check(t.Context())
			if r.OK || !strings.Contains(r.Reason, "insecure script") {
				t.Errorf("Check after chmod 0777 = %+v, want refused as insecure", r)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("the insecure script ran")
			}

			if err := os.Chmod(p, 0o755); err != nil {
				t.Fatal(err)
			}
			if r := c.Check(t.Context()); !r.OK {
				t.Errorf("Check once safe again = %+v", r)
			}
			if _, err := os.Stat(marker); err != nil {
				t.Fatal("the safe script did not run")
			}
		})
	}
}

// TestScriptEnvClean: a check's script sees the fixed PATH and its own
// variables, nothing else of the daemon's environment.
func TestScriptEnvClean(t *testing.T) {
	t.Setenv("LBHAD_TEST_SECRET", "hunter2")
	p := writeScript(t, "env")
	r := mustCheck(t, Spec{ID: "script/s", Name: "s", Kind: KindScript, Misc: &MiscSpec{Path: p}})
	if strings.Contains(r.Output, "hunter2") {
		t.Errorf("the daemon's environment leaked:\n%s", r.Output)
	}
	for _, want := range []string{"PATH=" + script.DefaultPath + "\n", EnvScript + "=s\n", EnvCheckID + "=script/s\n"} {
		if !strings.Contains(r.Output, want) {
			t.Errorf("environment lacks %q:\n%s", want, r.Output)
		}
	}
}
