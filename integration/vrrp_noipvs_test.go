//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// A kernel without IPVS (this host's): a config with a virtual server
// gets one clear error, and VRRP keeps running and owns the VIP.
func TestVRRPRunsWithoutIPVS(t *testing.T) {
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		t.Skip("this kernel has IPVS; the test is about one without it")
	}
	b := newBed(t)
	sock := b.l.ControlSocket(b.l.D1)
	conf := lab.LBHADConf(b.l.D1.Name, sock, lab.Instance{Priority: 150, AuthPass: "pw12"}) + `
virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "a" {
    address = "192.0.2.100:80"
  }
}
`
	path := filepath.Join(b.l.Dir, "noipvs.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := b.l.Start(b.l.D1.NS, "d1-lbhad-noipvs", lbhadBin(t), "run", "-c", path)
	if err != nil {
		t.Fatal(err)
	}
	if !lab.Eventually(15*time.Second, func() bool {
		ok, _ := lab.HasAddr(b.l.D1.NS, b.l.D1.Dev, lab.VIP.String()+"/24")
		return ok
	}) {
		t.Fatalf("VRRP did not take the VIP without IPVS; log:\n%s", p.Output())
	}
	if !strings.Contains(p.Output(), "IPVS is not available") {
		t.Errorf("no clear IPVS error in the log:\n%s", p.Output())
	}
	if p.Exited() {
		t.Errorf("lbhad exited; log:\n%s", p.Output())
	}
}
