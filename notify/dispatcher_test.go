package notify

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
)

// TestNotifyNeverWaitsForDelivery is the point of the package: with a
// webhook that never answers and an SMTP server that accepts and then
// says nothing, a burst of events must not make the caller wait.
func TestNotifyNeverWaitsForDelivery(t *testing.T) {
	srv, hits := hangingServer(t)
	smtpAddr := stallingSMTP(t)
	cfg := emailConfig(smtpAddr, nil)
	hookTimeout := 30 * time.Second
	cfg.Global.Notification.Webhooks = []*config.Webhook{{Name: "hung", URL: srv.URL, Timeout: hookTimeout, Retries: 3, QueueSize: 100}}
	d, _ := newTest(t, cfg, WithEmailQueueSize(50))

	const n = 1000
	start := time.Now()
	var slowest time.Duration
	for i := 0; i < n; i++ {
		t0 := time.Now()
		d.Notify(Event{Kind: InstanceState, Instance: "VI_1", OldState: "BACKUP", NewState: "MASTER", Priority: i})
		if el := time.Since(t0); el > slowest {
			slowest = el
		}
	}
	total := time.Since(start)
	t.Logf("%d Notify calls took %v (slowest %v) with a hung webhook and a stalled SMTP server", n, total, slowest)
	// The only bound: far below what any delivery could take.
	if total >= hookTimeout {
		t.Errorf("Notify calls took %v, as long as the webhook timeout", total)
	}
	waitStats(t, d, "the hung deliveries to start", func(s Stats) bool {
		return s["webhook:hung"].InFlight == 1 && s["email"].InFlight == 1 && hits.Load() == 1
	})
	// Each queue holds its bound; one more may have left it before the
	// burst ended. Nothing is lost without being counted.
	s := d.Stats()
	for name, c := range map[string]struct {
		st  ChannelStats
		max int
	}{"webhook": {s["webhook:hung"], 100}, "email": {s["email"], 50}} {
		st := c.st
		if st.Dropped+uint64(st.Pending+st.InFlight) != n || st.Pending > c.max || st.Dropped < uint64(n-c.max-1) {
			t.Errorf("%s %+v: want at most %d pending and every other event counted as dropped", name, st, c.max)
		}
	}
	if hits.Load() != 1 {
		t.Errorf("webhook saw %d requests, want 1 in flight", hits.Load())
	}
}

func TestCloseDrainsQueued(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	d, _ := newTest(t, hookConfig(srv.URL, nil))
	for i := 0; i < 20; i++ {
		d.Notify(Event{Kind: InstanceState, Instance: "VI_1", Priority: i})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if got := len(rec.requests()); got != 20 {
		t.Errorf("%d delivered before Close returned, want 20", got)
	}
	if err := d.Update(baseConfig()); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close = %v, want ErrClosed", err)
	}
	d.Notify(Event{Kind: DaemonStop})
	if s := d.Stats(); s["webhook:ops"].Dropped != 0 || s["script"].Dropped != 1 {
		t.Errorf("after Close: %+v, want the late event counted as dropped", s)
	}
}

func TestHostAndTimeFilledIn(t *testing.T) {
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	d, _ := newTest(t, hookConfig(srv.URL, nil), WithClock(clock.NewFake(at)))
	d.Notify(Event{Kind: DaemonStart})
	d.Notify(Event{Kind: DaemonReload, Host: "other", Time: at.Add(time.Hour)})
	waitStats(t, d, "delivery", func(s Stats) bool { return s["webhook:ops"].Delivered == 2 })
	reqs := rec.requests()
	for i, want := range [][]string{
		{`"host":"lb1"`, `"time":"2030-01-01T00:00:00Z"`},
		{`"host":"other"`, `"time":"2030-01-01T01:00:00Z"`},
	} {
		for _, w := range want {
			if !strings.Contains(string(reqs[i].body), w) {
				t.Errorf("body %s lacks %s", reqs[i].body, w)
			}
		}
	}
}
