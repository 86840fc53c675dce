package main

import (
	"strings"
	"testing"

	"github.com/lbhad/lbhad/config"
)

// TestHostDiagsVMAC: the VMAC that use_vmac makes is not required to
// exist before the daemon starts; another missing VIP dev still is.
func TestHostDiagsVMAC(t *testing.T) {
	cfg, diags := config.Parse([]byte(`
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  use_vmac          = true
  virtual_ipaddress = ["192.0.2.50/24", "192.0.2.51/24 dev eth9"]
}
`), "t.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := hostDiags(cfg, fakeProbe{ifaces: map[string]bool{"eth0": true}, dirs: map[string]bool{"/var/lib/lbhad": true, "/run/lbhad": true}})
	if len(got) != 1 || got[0].Summary != "Unknown interface" {
		t.Fatalf("diagnostics %v, want one Unknown interface (eth9)", got)
	}
	if d := got[0].Detail; !strings.Contains(d, "eth9") || strings.Contains(d, "vrrp.51") {
		t.Errorf("diagnostic names the wrong interface: %s", d)
	}
}
