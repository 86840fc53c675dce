//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// An instance whose interface does not exist yet must not stop the
// others, and starts by itself once the interface appears (keepalived
// keeps such an instance waiting too).
func TestVRRPInstanceWaitsForInterface(t *testing.T) {
	b := newBed(t)
	sock := b.l.ControlSocket(b.l.D1)
	conf := lab.LBHADConf(b.l.D1.Name, sock, lab.Instance{Priority: 150, AuthPass: "pw12"}) + `
vrrp_instance "LATE" {
  interface         = "late0"
  virtual_router_id = 77
  priority          = 150
  virtual_ipaddress = ["203.0.113.77/24"]
}
`
	path := filepath.Join(b.l.Dir, "waitif.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := b.l.Start(b.l.D1.NS, "d1-lbhad-waitif", lbhadBin(t), "run", "-c", path)
	if err != nil {
		t.Fatal(err)
	}
	if !lab.Eventually(15*time.Second, func() bool {
		ok, _ := lab.HasAddr(b.l.D1.NS, b.l.D1.Dev, lab.VIP.String()+"/24")
		return ok
	}) {
		t.Fatalf("VI_1 did not become master while LATE waited; log:\n%s", p.Output())
	}
	if !hasLine(p.Output(), "waiting for their interface") {
		t.Errorf("no log line about the waiting instance:\n%s", p.Output())
	}
	// The interface appears with an address: LATE starts on its own.
	for _, args := range [][]string{
		{"link", "add", "late0", "type", "veth", "peer", "name", "late1"},
		{"addr", "add", "203.0.113.1/24", "dev", "late0"},
		{"link", "set", "late0", "up"},
		{"link", "set", "late1", "up"},
	} {
		if out, err := lab.Exec(b.l.D1.NS, append([]string{"ip"}, args...)...); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	if !lab.Eventually(25*time.Second, func() bool {
		ok, _ := lab.HasAddr(b.l.D1.NS, "late0", "203.0.113.77/24")
		return ok
	}) {
		t.Fatalf("LATE never started after late0 appeared; log:\n%s", p.Output())
	}
	if p.Exited() {
		t.Errorf("lbhad exited; log:\n%s", p.Output())
	}
}
