package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/vrrp"
)

// TestNotifyEventVIPs: a state change's event carries its instance's
// VIPs, rendered when the event happens, and follows a reload that
// changes them; an instance the config no longer has gets none.
func TestNotifyEventVIPs(t *testing.T) {
	got := make(chan []string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e struct {
			Instance string   `json:"instance"`
			VIPs     []string `json:"vips"`
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &e); err != nil {
			t.Errorf("webhook body %q: %v", b, err)
		}
		got <- e.VIPs
	}))
	defer srv.Close()
	conf := func(vips string) *config.Config {
		t.Helper()
		cfg, diags := config.Parse([]byte(fmt.Sprintf(`
global {
  notification {
    webhook "w" {
      url = %q
    }
  }
}
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = [%s]
}
`, srv.URL, vips)), "notify.hcl")
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return cfg
	}
	c := newNotifyComponent(zap.NewNop(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	want := func(stage string, vips ...string) {
		t.Helper()
		c.VRRPStateChange(vrrp.StateChange{Instance: "VI_1", From: vrrp.StateBackup, To: vrrp.StateMaster, At: time.Now()})
		select {
		case g := <-got:
			if !slices.Equal(g, vips) {
				t.Errorf("%s: event VIPs %q, want %q", stage, g, vips)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no webhook event", stage)
		}
	}
	if err := c.Apply(ctx, conf(`"192.0.2.10", "192.0.2.11/24"`)); err != nil {
		t.Fatal(err)
	}
	want("start", "192.0.2.10/32", "192.0.2.11/24")
	if err := c.Apply(ctx, conf(`"192.0.2.12"`)); err != nil {
		t.Fatal(err)
	}
	want("reload", "192.0.2.12/32")
	cfg := conf(`"192.0.2.12"`)
	cfg.Instances = nil
	if err := c.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	want("removed")
}
