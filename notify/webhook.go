package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body,
// keyed with the webhook's secret, when one is configured.
const SignatureHeader = "X-Lbhad-Signature"

// Sign returns the SignatureHeader value for body and secret, for
// receivers that want to check it the same way.
func Sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

type webhookClient struct {
	c     *http.Client
	clock clock.Clock // times the waits between retries
}

func newWebhookClient(clk clock.Clock) *webhookClient {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 2
	// Redirects are not followed: a POST that moved is a config error
	// worth seeing, not something to chase with the signature attached.
	return &webhookClient{c: &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, clock: clock.OrReal(clk)}
}

// errStatus is a non-2xx answer.
type errStatus int

func (e errStatus) Error() string { return fmt.Sprintf("http status %d", int(e)) }

// deliver POSTs e to w, retrying w.Retries times after base·2^n (capped
// at max). Errors name the webhook, never its URL (which may carry a
// token) nor its secret.
func (c *webhookClient) deliver(ctx context.Context, w *config.Webhook, e Event, base, max time.Duration) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("webhook %s: encode event: %w", w.Name, err)
	}
	var sig string
	if w.Secret != "" {
		sig = Sign(body, w.Secret)
	}
	var last error
	for attempt := 0; attempt <= w.Retries; attempt++ {
		if attempt > 0 {
			d := base << (attempt - 1)
			if d > max || d <= 0 {
				d = max
			}
			t := c.clock.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("webhook %s: gave up after %d attempts: %w (last: %w)", w.Name, attempt, ctx.Err(), last)
			case <-t.C():
			}
		}
		if last = c.post(ctx, w, body, sig, e); last == nil {
			return nil
		}
	}
	return fmt.Errorf("webhook %s: failed after %d attempts: %w", w.Name, w.Retries+1, last)
}

func (c *webhookClient) post(ctx context.Context, w *config.Webhook, body []byte, sig string, e Event) error {
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("invalid url") // the parse error would quote it
	}
	for k, v := range w.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "lbhad-notify")
	req.Header.Set("X-Lbhad-Event", e.Kind.String())
	if sig != "" {
		req.Header.Set(SignatureHeader, sig)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL: it may hold a token
		}
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return errStatus(resp.StatusCode)
	}
	return nil
}
