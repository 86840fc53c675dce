//go:build integration

package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// A start with an instance waiting for its interface is a start that
// cannot do all its work yet: systemd's STATUS= says "degraded" and
// names the instance and why, never plain "running", and turns to
// "running" by itself once the interface appears.
func TestFaultWaitingInstanceStatus(t *testing.T) {
	b := newBed(t)
	nl := listenNotify(t, b.l.Dir, "d1")
	conf := lab.LBHADConf("d1", b.l.ControlSocket(b.l.D1), lab.Instance{Priority: 150, AuthPass: "pw12"}) + `
vrrp_instance "LATE" {
  interface         = "late0"
  virtual_router_id = 77
  priority          = 150
  virtual_ipaddress = ["203.0.113.77/24"]
}
`
	b.startNotified(b.l.D1, conf, nl)
	b.waitOwner(b.l.D1, 15*time.Second, 0, "the healthy instance runs while LATE waits")
	last := func() string {
		st := nl.lines("STATUS=")
		if len(st) == 0 {
			return ""
		}
		return st[len(st)-1]
	}
	if !lab.Eventually(10*time.Second, func() bool {
		return strings.HasPrefix(last(), "STATUS=degraded: 1/2 VRRP instances up; waiting: LATE (")
	}) {
		t.Fatalf("STATUS= lines %q, want degraded naming the waiting LATE", nl.lines("STATUS="))
	}
	if got := last(); !strings.Contains(got, "late0") {
		t.Errorf("STATUS= %q does not name the missing interface", got)
	}
	b.ipSteps(b.l.D1.NS, [][]string{
		{"link", "add", "late0", "type", "veth", "peer", "name", "late1"},
		{"addr", "add", "203.0.113.1/24", "dev", "late0"},
		{"link", "set", "late0", "up"},
		{"link", "set", "late1", "up"},
	})
	if !lab.Eventually(10*time.Second, func() bool { return strings.HasPrefix(last(), "STATUS=running: 2/2 VRRP instances up") }) {
		t.Fatalf("STATUS= lines %q, want running once late0 appeared", nl.lines("STATUS="))
	}
	t.Logf("STATUS= went %q", nl.lines("STATUS="))
}
