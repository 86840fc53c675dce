package daemon

import (
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/vrrp"
)

// TestVMACMapping: with use_vmac the instance runs on the VMAC (or on
// its base with vmac_xmit_base), watches both, is gated on the VMAC's
// readiness, sources adverts from the base's address, and the plan
// asks for the macvlan with the virtual MAC.
func TestVMACMapping(t *testing.T) {
	cfg := mustParse(t, `
vrrp_instance "a" {
  interface         = "eth0"
  virtual_router_id = 51
  track_interface   = ["eth2"]
  virtual_ipaddress = ["192.0.2.50/24"]
  use_vmac          = true
}
vrrp_instance "b" {
  interface         = "eth1"
  virtual_router_id = 52
  virtual_ipaddress = ["198.51.100.50/24"]
  use_vmac          = "vip52"
  vmac_xmit_base    = true
}
vrrp_instance "c" {
  interface         = "eth1"
  virtual_router_id = 53
  virtual_ipaddress = ["198.51.100.53/24"]
}
`)
	vc := vrrpConfig(cfg)
	type inst struct {
		Interface string
		Track     []string
		Scripts   []vrrp.TrackScript
		VIPDev    string
	}
	var got []inst
	for _, ic := range vc.Instances {
		got = append(got, inst{ic.Interface, ic.TrackInterfaces, ic.TrackScripts, ic.VIPs[0].Dev})
	}
	want := []inst{
		{"vrrp.51", []string{"eth2", "eth0"}, []vrrp.TrackScript{{Name: "use_vmac vrrp.51"}}, "vrrp.51"},
		{"eth1", []string{"vip52"}, []vrrp.TrackScript{{Name: "use_vmac vip52"}}, "vip52"},
		{"eth1", nil, nil, "eth1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("instances (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"vrrp.51": "eth0"}, vmacParents(cfg)); diff != "" {
		t.Errorf("vmacParents (-want +got):\n%s", diff)
	}
	wantPlan := []vrrp.VMAC{
		{Name: "vrrp.51", Parent: "eth0", MAC: net.HardwareAddr{0, 0, 0x5e, 0, 1, 51}},
		{Name: "vip52", Parent: "eth1", MAC: net.HardwareAddr{0, 0, 0x5e, 0, 1, 52}},
	}
	if diff := cmp.Diff(wantPlan, vmacPlan(cfg)); diff != "" {
		t.Errorf("vmacPlan (-want +got):\n%s", diff)
	}
	// The instances' config passes the router's own check.
	if err := checkVRRP(cfg); err != nil {
		t.Errorf("checkVRRP: %v", err)
	}
}
