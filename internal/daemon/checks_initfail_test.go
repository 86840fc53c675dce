package daemon

import (
	"context"
	"testing"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
)

const initFailConf = `
vrrp_script "held" {
  script    = "/bin/true"
  init_fail = true
}
vrrp_script "plain" {
  script = "/bin/true"
}
`

// TestInitFailScriptStartsDown: init_fail maps to the engine's
// StartDown for that script alone.
func TestInitFailScriptStartsDown(t *testing.T) {
	cfg, diags := config.Parse([]byte(initFailConf), "lbhad.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	specs, _, err := checkSpecs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]checker.Start{"held": checker.StartDown, "plain": checker.StartUp}
	for _, s := range specs {
		if s.Initial != want[s.Name] {
			t.Errorf("script %s starts %v, want %v", s.Name, s.Initial, want[s.Name])
		}
		delete(want, s.Name)
	}
	if len(want) != 0 {
		t.Errorf("no spec for %v", want)
	}
}

// TestVRRPComponentSeedsInitFail: VRRP counts an init_fail script as
// failed until a verdict arrives (the engine reports none for a script
// that starts down and keeps failing), leaves other scripts passing, and
// keeps a verdict that arrived first, across a reload too.
func TestVRRPComponentSeedsInitFail(t *testing.T) {
	cfg, diags := config.Parse([]byte(initFailConf), "lbhad.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	c := newVRRPComponent(zap.NewNop(), nil, nil, nil, nil, nil)
	if err := c.Apply(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if ok, known := c.scripts["held"]; !known || ok {
		t.Errorf("held: known %v ok %v, want known and failed", known, ok)
	}
	if _, known := c.scripts["plain"]; known {
		t.Error("plain seeded; it starts passing")
	}
	c.SetTrackScript("held", true)
	if err := c.Apply(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if !c.scripts["held"] {
		t.Error("reload put a passing init_fail script back to failed")
	}
}
