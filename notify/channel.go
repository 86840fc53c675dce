package notify

import (
	"context"
	"crypto/tls"
	"time"

	"github.com/lbhad/lbhad/config"
)

// channel is one way of telling someone about an Event: scripts, mail or
// one webhook. A channel value is immutable: Update builds new values
// from the new config, and a queued delivery keeps the value it was
// queued with, so a reload never changes a delivery already queued.
// A new kind of channel is one more implementation and one more outlet
// built in Dispatcher.Update.
type channel interface {
	// Wants reports whether the channel has anything to do for e.
	Wants(e Event) bool
	// Deliver tells the channel's audience about e, retries included.
	Deliver(ctx context.Context, e Event) error
}

// outlet is a channel under its name, with its queue and counters, which
// live across reloads while the channel value is replaced.
type outlet struct {
	name  string // key of Stats and of the metrics' channel label
	ch    channel
	q     *serialQueue // nil: ch queues for itself (the script channel)
	stats *counters
}

// send queues e on o, or hands it to a self-queueing channel, which
// returns at once.
func (o *outlet) send(e Event) {
	if !o.ch.Wants(e) {
		return
	}
	if o.q == nil {
		_ = o.ch.Deliver(context.Background(), e) // only queues; counts its own failures
		return
	}
	ch := o.ch
	o.q.push(func(ctx context.Context) error { return ch.Deliver(ctx, e) })
}

// mailChannel sends one mail per event that smtp_alert asks for.
type mailChannel struct {
	p        *plan
	tls      *tls.Config
	deadline time.Duration // whole SMTP conversation
}

// Wants applies smtp_alert: instances and groups opt in; real-server and
// quorum changes are mailed whenever email is configured, as
// keepalived's checkers do; daemon events are not mailed.
func (c mailChannel) Wants(e Event) bool {
	if c.p.email == nil {
		return false
	}
	switch e.Kind {
	case InstanceState:
		in := c.p.instances[e.Instance]
		return in != nil && in.SMTPAlert
	case GroupState:
		g := c.p.groups[e.Group]
		return g != nil && g.SMTPAlert
	case RealServerUp, RealServerDown, QuorumLost, QuorumRegained:
		return true
	}
	return false
}

func (c mailChannel) Deliver(ctx context.Context, e Event) error {
	return sendMail(ctx, c.p.email, c.tls, c.deadline, e)
}

// webhookChannel POSTs every event to one webhook, retrying with backoff.
type webhookChannel struct {
	cfg       *config.Webhook
	client    *webhookClient
	base, max time.Duration
}

func (c webhookChannel) Wants(Event) bool { return true }

func (c webhookChannel) Deliver(ctx context.Context, e Event) error {
	return c.client.deliver(ctx, c.cfg, e, c.base, c.max)
}
