package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestVMAC: use_vmac = true names the macvlan "vrrp.VRID" as keepalived
// does, a string names it; VIPs without a dev move onto it, an explicit
// dev is kept.
func TestVMAC(t *testing.T) {
	cfg, diags := Parse([]byte(`
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.50/24", "192.0.2.51/24 dev eth1"]
  use_vmac          = true
}
vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 52
  virtual_ipaddress = ["192.0.2.52/24"]
  use_vmac          = "vip52"
  vmac_xmit_base    = true
}
vrrp_instance "VI_3" {
  interface         = "eth0"
  virtual_router_id = 53
  virtual_ipaddress = ["192.0.2.53/24"]
  use_vmac          = false
}
`), "t.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	type got struct {
		VMAC     string
		XmitBase bool
		Devs     []string
	}
	want := []got{
		{"vrrp.51", false, []string{"vrrp.51", "eth1"}},
		{"vip52", true, []string{"vip52"}},
		{"", false, []string{"eth0"}},
	}
	var have []got
	for _, in := range cfg.Instances {
		g := got{VMAC: in.VMAC, XmitBase: in.VMACXmitBase}
		for _, v := range in.VIPs {
			g.Devs = append(g.Devs, v.Dev)
		}
		have = append(have, g)
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestVMACInvalid(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
		warning          bool
	}{
		{"bad name", `use_vmac = "has space"`, "Invalid use_vmac", false},
		{"own interface", `use_vmac = "eth0"`, "the instance's own interface", false},
		{"number", `use_vmac = 5`, "true, false or an interface name", false},
		{"list", `use_vmac = ["a"]`, "true, false or an interface name", false},
		{"xmit base alone", `vmac_xmit_base = true`, "vmac_xmit_base without use_vmac", true},
		{"ipv6", "use_vmac = true\n native_ipv6 = true\n version = 3", "IPv6 instance", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vip := "192.0.2.50/24"
			if strings.Contains(tc.body, "native_ipv6") {
				vip = "2001:db8::50/64"
			}
			_, diags := Parse([]byte(`
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["`+vip+`"]
  `+tc.body+`
}
`), "t.hcl")
			if diags.HasErrors() == tc.warning || !strings.Contains(diags.Error(), tc.want) {
				t.Fatalf("diagnostics %v, want %s with %q", diags, map[bool]string{true: "a warning", false: "an error"}[tc.warning], tc.want)
			}
		})
	}
	_, diags := Parse([]byte(`
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  use_vmac          = "vmac1"
}
vrrp_instance "VI_2" {
  interface         = "eth1"
  virtual_router_id = 52
  use_vmac          = "vmac1"
}
`), "t.hcl")
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "Duplicate use_vmac") {
		t.Fatalf("diagnostics %v, want Duplicate use_vmac", diags)
	}
}
