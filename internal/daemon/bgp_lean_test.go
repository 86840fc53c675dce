package daemon

import (
	"errors"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/bgp"
)

// A binary built without GoBGP (tag nogobgp) has no speaker: it refuses
// a bgp block with bgp.ErrNotLinked, at start (cmd/lbhad then runs the
// full binary) and on reload (the running config stays), and accepts
// every config without one. `lbhad validate` (CheckConfig) accepts the
// block in either build, since the config itself is valid.
func TestBGPWithoutSpeaker(t *testing.T) {
	c := newBGPComponent(zaptest.NewLogger(t), nil, nil, bgpLinks{})
	c.open = nil // as in a nogobgp build, whatever this test binary links
	withBGP := &config.Config{BGP: &config.BGP{ASN: 64512}}
	if err := c.Check(withBGP); !errors.Is(err, bgp.ErrNotLinked) {
		t.Errorf("Check(bgp block) = %v, want ErrNotLinked", err)
	}
	if err := c.Check(&config.Config{}); err != nil {
		t.Errorf("Check(no bgp block) = %v", err)
	}

	c.open = func() bgp.Speaker { return &bgp.Fake{} }
	if err := c.Check(withBGP); err != nil {
		t.Errorf("Check(bgp block) with a speaker = %v", err)
	}
	if err := CheckConfig(withBGP); err != nil {
		t.Errorf("CheckConfig(bgp block) = %v, want valid", err)
	}
}
