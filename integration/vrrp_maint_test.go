//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/internal/lab"
)

// startMaint starts lbhad on n. The lab's config gives each node its own
// state_file beside its control socket, so the lab never touches the
// host's /var/lib/lbhad/state.json and a restart finds the same file.
func (b *bed) startMaint(n *lab.Node, in lab.Instance) *lab.Director {
	b.t.Helper()
	return b.start("lbhad", n, in)
}

func (b *bed) sock(n *lab.Node) string {
	return b.l.ControlSocket(n)
}

// maint runs the lbhad CLI against n's daemon, as an operator would.
func (b *bed) maint(n *lab.Node, args ...string) {
	b.t.Helper()
	argv := append([]string{"maint"}, args...)
	argv = append(argv, "-s", b.sock(n))
	out, err := exec.Command(lbhadBin(b.t), argv...).CombinedOutput()
	if err != nil {
		b.t.Fatalf("lbhad %s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	b.t.Logf("lbhad %s on %s: %s", strings.Join(args, " "), n.Name, strings.TrimSpace(string(out)))
}

// instMaint reads n's status over the control socket.
func (b *bed) instMaint(n *lab.Node) (state string, maint bool) {
	b.t.Helper()
	var s control.Snapshot
	if !lab.Eventually(5*time.Second, func() bool {
		var err error
		s, err = control.Status(context.Background(), b.sock(n))
		return err == nil && len(s.Instances) == 1
	}) {
		b.t.Fatalf("no status from %s", n.Name)
	}
	return s.Instances[0].State, s.Instances[0].Maintenance
}

// TestVRRPMaintDirector: "maint director on" on the master moves the VIP
// to the peer with no client-visible gap (the peer takes over on the
// priority-0 resign while the master still holds the VIP), keeps this
// director backup through a restart, and "off" gives the VIP back only
// when preemption allows.
func TestVRRPMaintDirector(t *testing.T) {
	for _, nopreempt := range []bool{false, true} {
		name := map[bool]string{false: "preempt", true: "nopreempt"}[nopreempt]
		t.Run(name, func(t *testing.T) {
			b := newBed(t)
			in1 := lab.Instance{Priority: 150, AuthPass: "pw12", Nopreempt: nopreempt}
			d1 := b.startMaint(b.l.D1, in1)
			b.startMaint(b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12", Nopreempt: nopreempt})
			b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started")
			b.startPing()

			on := time.Now()
			b.maint(b.l.D1, "director", "on")
			b.waitOwner(b.l.D2, 5*time.Second, 0, "maint director on should hand the VIP to d2")
			b.waitARP(b.l.D2, 5*time.Second)
			if !b.ping.WaitReply(time.Now(), 5*time.Second) {
				t.Fatal("client gets no reply after the handover")
			}
			gap := b.ping.LongestGap(on, time.Now())
			t.Logf("%s: maint on -> d2 master; client's longest ping gap %v (10 ms pings)", name, gap.Len.Round(time.Millisecond))
			if gap.Len > 1500*time.Millisecond {
				t.Errorf("client gap %v during the handover, want < 1.5 s (no gap by design)", gap.Len)
			}
			if st, m := b.instMaint(b.l.D1); st != "BACKUP" || !m {
				t.Errorf("d1 status %s maintenance %v, want BACKUP in maintenance", st, m)
			}
			// d1 has the higher priority; in maintenance it must not
			// preempt (its master-down interval is 3.4 s).
			b.holdsFor(b.l.D2, 5*time.Second, "d1 in maintenance must stay backup")

			// A restart keeps maintenance (state file).
			if err := d1.Stop(10 * time.Second); err != nil {
				t.Fatal(err)
			}
			d1 = b.startMaint(b.l.D1, in1)
			b.holdsFor(b.l.D2, 6*time.Second, "restarted d1 in maintenance must stay backup")
			if st, m := b.instMaint(b.l.D1); st != "BACKUP" || !m {
				t.Errorf("restarted d1 status %s maintenance %v, want BACKUP in maintenance", st, m)
			}
			if !hasLine(d1.Log(), "maintenance", "state file") {
				t.Errorf("restarted d1 does not log the maintenance it restored:\n%s", d1.Log())
			}

			off := time.Now()
			b.maint(b.l.D1, "director", "off")
			if nopreempt {
				b.holdsFor(b.l.D2, 6*time.Second, "nopreempt: d1 must not take the VIP back")
			} else {
				b.waitOwner(b.l.D1, 10*time.Second, 2*time.Second, "preempt: d1 takes the VIP back after maint off")
				b.waitARP(b.l.D1, 5*time.Second)
				if !b.ping.WaitReply(time.Now(), 5*time.Second) {
					t.Fatal("client gets no reply after d1 preempted")
				}
				g := b.ping.LongestGap(off, time.Now())
				t.Logf("maint off -> d1 preempts; client's longest ping gap %v", g.Len.Round(time.Millisecond))
				if g.Len > 1500*time.Millisecond {
					t.Errorf("client gap %v when d1 preempted back, want < 1.5 s", g.Len)
				}
			}
			if _, m := b.instMaint(b.l.D1); m {
				t.Error("d1 still in maintenance after off")
			}
			if data, err := os.ReadFile(strings.TrimSuffix(b.sock(b.l.D1), ".sock") + ".state.json"); err != nil || strings.Contains(string(data), `"director"`) {
				t.Errorf("state file after off: %s, %v", data, err)
			}
		})
	}
}
