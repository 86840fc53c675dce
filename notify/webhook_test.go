package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
)

type gotRequest struct {
	header http.Header
	body   []byte
}

// recorder is a webhook receiver answering with codes[i] for the i-th
// request (200 after the list ends).
type recorder struct {
	mu    sync.Mutex
	reqs  []gotRequest
	codes []int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	n := len(r.reqs)
	r.reqs = append(r.reqs, gotRequest{req.Header.Clone(), b})
	code := 200
	if n < len(r.codes) {
		code = r.codes[n]
	}
	r.mu.Unlock()
	w.WriteHeader(code)
}

func (r *recorder) requests() []gotRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]gotRequest(nil), r.reqs...)
}

func hookConfig(url string, mod func(*config.Webhook)) *config.Config {
	cfg := baseConfig()
	w := &config.Webhook{Name: "ops", URL: url, Timeout: 2 * time.Second, Retries: 3, QueueSize: 100}
	if mod != nil {
		mod(w)
	}
	cfg.Global.Notification.Webhooks = []*config.Webhook{w}
	return cfg
}

func TestWebhookPayloadSignatureHeaders(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	cfg := hookConfig(srv.URL+"/hook", func(w *config.Webhook) {
		w.Secret = "hook-secret"
		w.Headers = map[string]string{"Authorization": "Bearer t0k", "X-Team": "net"}
	})
	d, _ := newTest(t, cfg)
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	d.Notify(Event{Kind: InstanceState, Instance: "VI_1", OldState: "BACKUP", NewState: "MASTER", Priority: 150,
		VIPs: []string{"192.0.2.50/24"}, Reason: "higher priority", Time: at})
	waitStats(t, d, "delivery", func(s Stats) bool { return s["webhook:ops"].Delivered == 1 })

	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"event": "instance_state", "host": "lb1", "instance": "VI_1", "group": "",
		"old_state": "BACKUP", "new_state": "MASTER", "priority": 150.0, "vips": []any{"192.0.2.50/24"},
		"reason": "higher priority", "virtual_server": "", "real_server": "", "time": "2026-01-02T03:04:05.000000006Z"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if got, want := r.header.Get(SignatureHeader), Sign(r.body, "hook-secret"); got != want {
		t.Errorf("signature %q, want %q", got, want)
	}
	// Independently computed: HMAC-SHA256 of "x" with key "k".
	if got, want := Sign([]byte("x"), "k"), "sha256=c38edc8815c8489f64738978f44008f8596345545f0baa68ef6fcf5c53e57189"; got != want {
		t.Errorf("Sign(x, k) = %q, want %q", got, want)
	}
	for k, v := range map[string]string{"Authorization": "Bearer t0k", "X-Team": "net", "Content-Type": "application/json", "X-Lbhad-Event": "instance_state"} {
		if got := r.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func TestWebhookNoSecretNoSignature(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	d, _ := newTest(t, hookConfig(srv.URL, nil))
	d.Notify(Event{Kind: DaemonStart})
	waitStats(t, d, "delivery", func(s Stats) bool { return s["webhook:ops"].Delivered == 1 })
	if got := rec.requests()[0].header.Get(SignatureHeader); got != "" {
		t.Errorf("signature %q without a secret", got)
	}
}

func TestWebhookRetries(t *testing.T) {
	tests := []struct {
		name          string
		codes         []int
		retries       int
		wantRequests  int
		wantDelivered uint64
		wantFailed    uint64
	}{
		{name: "500 twice then 200", codes: []int{500, 500}, retries: 3, wantRequests: 3, wantDelivered: 1},
		{name: "non-2xx until retries run out", codes: []int{503, 404, 500}, retries: 2, wantRequests: 3, wantFailed: 1},
		{name: "no retries", codes: []int{500}, retries: 0, wantRequests: 1, wantFailed: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{codes: tt.codes}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			d, _ := newTest(t, hookConfig(srv.URL, func(w *config.Webhook) { w.Retries = tt.retries }), WithBackoff(5*time.Millisecond, 20*time.Millisecond))
			d.Notify(Event{Kind: RealServerDown, VirtualServer: "web", RealServer: "w1"})
			s := waitStats(t, d, "delivery", func(s Stats) bool {
				return s["webhook:ops"].Delivered+s["webhook:ops"].Failed == 1
			})
			if got := len(rec.requests()); got != tt.wantRequests {
				t.Errorf("%d requests, want %d", got, tt.wantRequests)
			}
			if w := s["webhook:ops"]; w.Delivered != tt.wantDelivered || w.Failed != tt.wantFailed {
				t.Errorf("stats %+v, want delivered %d failed %d", w, tt.wantDelivered, tt.wantFailed)
			}
		})
	}
}

func TestBackoffGrows(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		w.WriteHeader(500)
	}))
	defer srv.Close()
	d, _ := newTest(t, hookConfig(srv.URL, func(w *config.Webhook) { w.Retries = 3 }), WithBackoff(40*time.Millisecond, 100*time.Millisecond))
	d.Notify(Event{Kind: DaemonStart})
	waitStats(t, d, "failure", func(s Stats) bool { return s["webhook:ops"].Failed == 1 })
	mu.Lock()
	defer mu.Unlock()
	// Waits are 40, 80, 100 (capped) ms; sleeping never ends early, so
	// these are lower bounds and cannot flake under load.
	for i, min := range []time.Duration{40, 80, 100} {
		if gap := times[i+1].Sub(times[i]); gap < min*time.Millisecond {
			t.Errorf("wait before attempt %d was %v, want at least %v ms", i+2, gap, min)
		}
	}
}

// hangingServer accepts requests and answers none until the test ends
// or the client gives up.
func hangingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	release := make(chan struct{})
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv, &n
}

func TestWebhookQueueDropsOldestWhenFull(t *testing.T) {
	srv, _ := hangingServer(t)
	d, _ := newTest(t, hookConfig(srv.URL, func(w *config.Webhook) { w.QueueSize = 5; w.Timeout = time.Minute }))
	const n = 100
	start := time.Now()
	for i := 0; i < n; i++ {
		d.Notify(Event{Kind: InstanceState, Instance: "VI_1", Priority: i})
	}
	t.Logf("%d Notify calls with a hung webhook took %v", n, time.Since(start))
	s := d.Stats()["webhook:ops"]
	if got := s.Dropped + uint64(s.Pending) + uint64(s.InFlight) + s.Delivered + s.Failed; got != n {
		t.Errorf("dropped+pending+inflight+done = %d, want %d (%+v)", got, n, s)
	}
	if s.Pending > 5 || s.Dropped < n-6 {
		t.Errorf("stats %+v: want at most 5 pending and at least %d dropped", s, n-6)
	}

	// Close cannot drain a hung webhook: it gives up at its deadline,
	// aborts the request and counts what was left as dropped.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := d.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want deadline exceeded", err)
	}
	s = d.Stats()["webhook:ops"]
	if s.Pending != 0 || s.InFlight != 0 || s.Dropped+s.Failed != n {
		t.Errorf("after Close: %+v, want everything dropped or failed", s)
	}
	d.Notify(Event{Kind: DaemonStop}) // after Close: dropped, must not panic or block
}

func TestWebhookErrorsHideURLAndSecret(t *testing.T) {
	// Nothing listens on the port of a closed server.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hooks/T0KEN-in-path?key=qs-s3cret"
	srv.Close()
	d, logs := newTest(t, hookConfig(url, func(w *config.Webhook) { w.Secret = "sig-s3cret"; w.Retries = 1 }),
		WithBackoff(time.Millisecond, time.Millisecond))
	d.Notify(Event{Kind: DaemonStart})
	waitStats(t, d, "failure", func(s Stats) bool { return s["webhook:ops"].Failed == 1 })
	if logs.Len() == 0 {
		t.Fatal("failure not logged")
	}
	for _, e := range logs.All() {
		text := e.Message
		for k, v := range e.ContextMap() {
			text += " " + k + "=" + toString(v)
		}
		for _, secret := range []string{"T0KEN", "qs-s3cret", "sig-s3cret"} {
			if strings.Contains(text, secret) {
				t.Errorf("log line leaks %q: %s", secret, text)
			}
		}
		if !strings.Contains(text, "webhook ops") {
			t.Errorf("log line does not name the webhook: %s", text)
		}
	}
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestUpdateWebhooks(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	d, _ := newTest(t, hookConfig(srv.URL+"/a", nil))
	d.Notify(Event{Kind: DaemonStart})
	waitStats(t, d, "first", func(s Stats) bool { return s["webhook:ops"].Delivered == 1 })

	// Same name, new URL: counters carry on. A second webhook appears.
	cfg := hookConfig(srv.URL+"/b", nil)
	cfg.Global.Notification.Webhooks = append(cfg.Global.Notification.Webhooks,
		&config.Webhook{Name: "chat", URL: srv.URL + "/c", Timeout: time.Second, QueueSize: 10})
	if err := d.Update(cfg); err != nil {
		t.Fatal(err)
	}
	d.Notify(Event{Kind: DaemonReload})
	waitStats(t, d, "after reload", func(s Stats) bool {
		return s["webhook:ops"].Delivered == 2 && s["webhook:chat"].Delivered == 1
	})
	// Removed webhooks stop receiving.
	if err := d.Update(baseConfig()); err != nil {
		t.Fatal(err)
	}
	d.Notify(Event{Kind: DaemonReload})
	s := d.Stats()
	var names []string
	for name := range s {
		names = append(names, name)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"email", "script"}, names); diff != "" {
		t.Errorf("channels after removal (-want +got):\n%s", diff)
	}
	var paths []string
	for _, r := range rec.requests() {
		var p map[string]any
		_ = json.Unmarshal(r.body, &p)
		paths = append(paths, p["event"].(string))
	}
	if diff := cmp.Diff([]string{"daemon_start", "daemon_reload", "daemon_reload"}, paths); diff != "" {
		t.Errorf("events received (-want +got):\n%s", diff)
	}
}

// TestWebhookRetryWaitsOnClock holds the wait between retries to the
// injected clock: with an hour's backoff the second POST comes only when
// the fake clock is moved to the deadline it armed, never on the wall
// clock.
func TestWebhookRetryWaitsOnClock(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fake := clock.NewFake(t0)
	rec := &recorder{codes: []int{500}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	d, _ := newTest(t, hookConfig(srv.URL, func(w *config.Webhook) { w.Retries = 1 }),
		WithBackoff(time.Hour, 2*time.Hour), WithClock(fake))
	d.Notify(Event{Kind: RealServerDown, VirtualServer: "web", RealServer: "w1"})
	var at time.Time
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		var armed bool
		if at, armed = fake.Next(); armed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no retry timer armed on the injected clock")
		}
	}
	if want := t0.Add(time.Hour); !at.Equal(want) {
		t.Errorf("retry armed for %v, want %v", at, want)
	}
	if got := len(rec.requests()); got != 1 {
		t.Fatalf("%d requests before the clock moved, want 1", got)
	}
	fake.Set(at)
	s := waitStats(t, d, "delivery", func(s Stats) bool {
		return s["webhook:ops"].Delivered+s["webhook:ops"].Failed == 1
	})
	if got := len(rec.requests()); got != 2 {
		t.Errorf("%d requests, want 2", got)
	}
	if w := s["webhook:ops"]; w.Delivered != 1 {
		t.Errorf("stats %+v, want the retry delivered", w)
	}
}
