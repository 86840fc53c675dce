//go:build integration

package integration

import (
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// Scenario 9: keepalived as the peer, both ways round. The master is
// crashed, the other takes over, the restarted master preempts back, and
// the client reaches the VIP after each move.
func TestVRRPKeepalivedInterop(t *testing.T) {
	for _, tc := range []struct{ master, backup string }{
		{"lbhad", "keepalived"},
		{"keepalived", "lbhad"},
	} {
		t.Run(tc.master+"-master_"+tc.backup+"-backup", func(t *testing.T) {
			requireKeepalived(t)
			b := newBed(t)
			in1 := lab.Instance{Priority: 150, AuthPass: "pw12"}
			m := b.start(tc.master, b.l.D1, in1)
			bk := b.start(tc.backup, b.l.D2, lab.Instance{Priority: 100, AuthPass: "pw12"})
			b.waitOwner(b.l.D1, 15*time.Second, 3*time.Second, tc.master+" (150) and "+tc.backup+" (100) started")
			b.startPing()

			gap, _ := b.failover(m, bk, false, 7*time.Second)
			if gap.Len > 7*time.Second {
				t.Errorf("client ping gap %v, want < 7s", gap.Len)
			}

			restart := time.Now()
			m = b.start(tc.master, b.l.D1, in1)
			at := b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "restarted "+tc.master+" preempts "+tc.backup)
			t.Logf("restarted %s master again after %v", tc.master, at.Sub(restart).Round(10*time.Millisecond))
			b.waitARP(b.l.D1, 5*time.Second)
			if !b.ping.WaitReply(time.Now(), 5*time.Second) {
				t.Fatal("client cannot reach the VIP after preemption")
			}

			// And the graceful way: SIGTERM, priority 0, quick takeover.
			gap, takeover := b.failover(m, bk, true, 5*time.Second)
			t.Logf("graceful: gap %v, takeover %v", gap.Len.Round(time.Millisecond), takeover.Round(time.Millisecond))
		})
	}
}
