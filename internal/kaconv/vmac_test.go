package kaconv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lbhad/lbhad/config"
)

// TestUseVMAC: use_vmac with and without a name and vmac_xmit_base are
// carried and the result validates with the VMACs in place; an IPv6
// instance's use_vmac is reported, not dropped in silence.
func TestUseVMAC(t *testing.T) {
	src := filepath.Join(t.TempDir(), "keepalived.conf")
	conf := `vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    use_vmac
    virtual_ipaddress {
        192.0.2.50/24
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    use_vmac vip52
    vmac_xmit_base
    virtual_ipaddress {
        192.0.2.52/24
    }
}
vrrp_instance VI_6 {
    interface eth0
    virtual_router_id 53
    use_vmac
    virtual_ipaddress {
        2001:db8::53/64
    }
}
`
	if err := os.WriteFile(src, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	out, unsupported, err := Convert(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(unsupported) != 1 || unsupported[0].Line != 21 || !strings.Contains(unsupported[0].Why, "IPv4 instances only") {
		t.Fatalf("unsupported = %+v, want only the IPv6 instance's use_vmac (line 21)", unsupported)
	}
	cfg, diags := config.Parse(out, "converted.hcl")
	if diags.HasErrors() {
		t.Fatalf("converted config does not validate: %v\n%s", diags, out)
	}
	got := map[string]string{}
	for _, in := range cfg.Instances {
		got[in.Name] = in.VMAC
		if in.Name == "VI_2" && !in.VMACXmitBase {
			t.Errorf("VI_2 lost vmac_xmit_base:\n%s", out)
		}
	}
	if got["VI_1"] != "vrrp.51" || got["VI_2"] != "vip52" || got["VI_6"] != "" {
		t.Errorf("VMACs = %v\n%s", got, out)
	}
}
