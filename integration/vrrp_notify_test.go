//go:build integration

package integration

import (
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

// stallServer accepts TCP connections inside ns and never answers: a
// webhook receiver that hangs, or an SMTP server that never greets. It
// counts the connections, which proves the daemon did try to deliver.
func stallServer(t *testing.T, ns string) (port int, conns *atomic.Int64) {
	t.Helper()
	var ln net.Listener
	if err := lab.InNS(ns, func() error {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	conns = new(atomic.Int64)
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			held = append(held, c) // held open, never read or written
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port, conns
}

// Notifications never block failover (notify issue): both directors send
// webhooks to a receiver that never answers and mail to an SMTP server
// that never greets. The master is killed; the backup still takes over
// within the protocol bound and then advertises every advert_int.
func TestVRRPFailoverWithStalledNotifications(t *testing.T) {
	b := newBed(t)
	in := func(n *lab.Node, prio uint8) lab.Instance {
		web, webConns := stallServer(t, n.NS)
		smtp, smtpConns := stallServer(t, n.NS)
		t.Cleanup(func() {
			t.Logf("%s: %d webhook and %d SMTP connections held unanswered", n.Name, webConns.Load(), smtpConns.Load())
		})
		return lab.Instance{Priority: prio, AuthPass: "pw12",
			LBHADGlobal: fmt.Sprintf(`  notification {
    email {
      server          = "127.0.0.1:%d"
      from            = "lbhad@example.com"
      to              = ["ops@example.com"]
      connect_timeout = "30s"
    }
    webhook "hung" {
      url     = "http://127.0.0.1:%d/hook"
      timeout = "30s"
    }
  }
`, smtp, web),
			LBHADInstance: "  smtp_alert = true\n"}
	}
	d1 := b.start("lbhad", b.l.D1, in(b.l.D1, 150))
	d2 := b.start("lbhad", b.l.D2, in(b.l.D2, 100))
	b.waitOwner(b.l.D1, 15*time.Second, 2*time.Second, "both started")

	// Master_Down_Interval for priority 100 is 3.61 s; 7 s allows for a
	// busy machine without letting a delivery hang (30 s) pass.
	gap, takeover := b.failover(d1, d2, false, 7*time.Second)
	t.Logf("takeover %v, client gap %v, with every notification hanging", takeover.Round(time.Millisecond), gap.Len.Round(time.Millisecond))

	// The new master keeps its advert interval while deliveries hang.
	since := time.Now()
	time.Sleep(5500 * time.Millisecond)
	ads := b.cap.Adverts(vrid, b.l.D2.MAC, since)
	if len(ads) < 4 {
		t.Fatalf("new master sent %d adverts in 5.5 s, want about 5", len(ads))
	}
	for i := 1; i < len(ads); i++ {
		if d := ads[i].Time.Sub(ads[i-1].Time); d > 1500*time.Millisecond {
			t.Errorf("advert interval %v between adverts %d and %d, want about 1 s", d, i-1, i)
		}
	}
}
