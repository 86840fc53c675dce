//go:build integration

package integration

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/internal/lab"
)

// An instance whose interface does not exist yet must not stop the
// others, and starts by itself once the interface appears (keepalived
// keeps such an instance waiting too). Fault matrix 2: LATEU, on a
// missing interface with unicast_src_ip, is listed as waiting (with the
// reason) while VI_1 is master, and starts within 1 s of its interface
// and address appearing, driven by the link and address events rather
// than by the 5 s fallback poll.
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

vrrp_instance "LATEU" {
  interface         = "late2"
  virtual_router_id = 78
  priority          = 150
  unicast_src_ip    = "198.51.100.1"
  unicast_peer      = ["198.51.100.2"]
  virtual_ipaddress = ["198.51.100.78/24"]
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
	lateu := func() (control.InstanceStatus, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s, err := control.Status(ctx, sock)
		if err != nil {
			return control.InstanceStatus{}, false
		}
		for _, in := range s.Instances {
			if in.Name == "LATEU" {
				return in, true
			}
		}
		return control.InstanceStatus{}, false
	}
	var st control.InstanceStatus
	if !lab.Eventually(5*time.Second, func() bool {
		var ok bool
		st, ok = lateu()
		return ok && st.State == "INIT" && slices.ContainsFunc(st.Faults, func(f string) bool { return strings.HasPrefix(f, "waiting:") })
	}) {
		t.Fatalf("status does not list LATEU as waiting: %+v", st)
	}
	t.Logf("LATEU while its interface is missing: state %s, faults %v", st.State, st.Faults)

	// late2 appears (down), gets its address, then comes up: LATEU starts
	// within 1 s of the last step.
	b.ipSteps(b.l.D1.NS, [][]string{
		{"link", "add", "late2", "type", "veth", "peer", "name", "late3"},
		{"addr", "add", "198.51.100.1/24", "dev", "late2"},
		{"link", "set", "late3", "up"},
		{"link", "set", "late2", "up"},
	})
	ready := time.Now()
	if !lab.Eventually(5*time.Second, func() bool {
		st, _ = lateu()
		return st.State == "BACKUP" || st.State == "MASTER"
	}) {
		t.Fatalf("LATEU did not start after late2 appeared: %+v; log:\n%s", st, p.Output())
	}
	took := time.Since(ready)
	t.Logf("LATEU started %v after late2 and its address appeared (state %s)", took.Round(time.Millisecond), st.State)
	if took > time.Second {
		t.Errorf("LATEU started %v after its interface appeared, want within 1 s", took)
	}
	if !lab.Eventually(10*time.Second, func() bool {
		ok, _ := lab.HasAddr(b.l.D1.NS, "late2", "198.51.100.78/24")
		return ok
	}) {
		t.Fatalf("LATEU never became master (no peer answers); log:\n%s", p.Output())
	}
	// The interface appears with an address: LATE starts on its own.
	b.ipSteps(b.l.D1.NS, [][]string{
		{"link", "add", "late0", "type", "veth", "peer", "name", "late1"},
		{"addr", "add", "203.0.113.1/24", "dev", "late0"},
		{"link", "set", "late0", "up"},
		{"link", "set", "late1", "up"},
	})
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
