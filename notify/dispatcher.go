package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/clock"
	"github.com/lbhad/lbhad/internal/script"
)

// Defaults of the Options.
const (
	DefaultScriptTimeout   = 10 * time.Second
	DefaultScriptQueueSize = 1024 // per instance, group, real server or virtual server
	DefaultEmailQueueSize  = 256
	DefaultEmailDeadline   = 2 * time.Minute // whole SMTP conversation
	defaultBackoffBase     = 200 * time.Millisecond
	defaultBackoffMax      = 10 * time.Second
)

// ErrClosed is returned by Update after Close.
var ErrClosed = errors.New("notify: dispatcher closed")

// Option changes a Dispatcher setting that the config does not carry.
type Option func(*options)

type options struct {
	clock           clock.Clock
	scriptTimeout   time.Duration
	scriptQueueSize int
	emailQueueSize  int
	emailDeadline   time.Duration
	tlsConfig       *tls.Config
	backoffBase     time.Duration
	backoffMax      time.Duration
}

// WithScriptTimeout bounds each notify script; at the deadline its whole
// process group is killed. Default DefaultScriptTimeout.
func WithScriptTimeout(d time.Duration) Option { return func(o *options) { o.scriptTimeout = d } }

// WithScriptQueueSize bounds the queue of each script target (instance,
// group, real server, virtual server). Default DefaultScriptQueueSize.
func WithScriptQueueSize(n int) Option { return func(o *options) { o.scriptQueueSize = n } }

// WithEmailQueueSize bounds the mail queue. Default DefaultEmailQueueSize.
func WithEmailQueueSize(n int) Option { return func(o *options) { o.emailQueueSize = n } }

// WithEmailDeadline bounds one whole SMTP conversation, dial included.
// Default DefaultEmailDeadline.
func WithEmailDeadline(d time.Duration) Option { return func(o *options) { o.emailDeadline = d } }

// WithTLSConfig sets the TLS settings used for STARTTLS, for example a
// private CA pool. ServerName defaults to the SMTP server's host.
func WithTLSConfig(c *tls.Config) Option { return func(o *options) { o.tlsConfig = c } }

// WithBackoff sets the webhook retry delay: base·2^n, at most max.
// Defaults 200ms and 10s.
func WithBackoff(base, max time.Duration) Option {
	return func(o *options) { o.backoffBase, o.backoffMax = base, max }
}

// WithClock sets the clock that stamps events without a Time and times
// the waits between webhook retries; nil means clock.Real().
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = clock.OrReal(c) } }

// Stats are the counters of a Dispatcher by channel name: "script" (all
// script targets together, and events sent after Close), "email", and
// "webhook:" followed by the webhook's name. One script run, one mail or
// one webhook POST (with its retries) counts once.
type Stats map[string]ChannelStats

// plan is what a config says about routing; Update swaps it whole.
type plan struct {
	host      string
	instances map[string]*config.Instance
	groups    map[string]*config.SyncGroup
	vss       map[string]*config.VirtualServer
	rss       map[[2]string]*config.RealServer
	cred      *script.Credential // nil: the daemon's own
	security  bool
	email     *config.Email
}

// vips formats the configured VIPs of the instance named, for an event
// that happens: rarely, so they are not kept as strings per instance.
func (p *plan) vips(instance string) []string {
	in := p.instances[instance]
	if in == nil {
		return nil
	}
	var out []string
	for _, v := range in.VIPs {
		out = append(out, v.Prefix.String())
	}
	return out
}

// Dispatcher is the Notifier the daemon uses: it routes each Event to the
// configured scripts, email and webhooks, each behind its own bounded
// queue. It is safe for concurrent use.
type Dispatcher struct {
	log     *zap.Logger
	opts    options
	ctx     context.Context // cancelled when Close stops waiting
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	client  *webhookClient
	targets *scriptTargets

	mu      sync.Mutex
	closed  bool
	plan    *plan
	outlets []*outlet // scripts, email, then webhooks in config order
}

// New returns a Dispatcher for cfg. Deliveries run on goroutines started
// on demand, so events may be sent right away. It returns an error when
// the script user cannot be looked up.
func New(cfg *config.Config, log *zap.Logger, opts ...Option) (*Dispatcher, error) {
	if log == nil {
		log = zap.NewNop()
	}
	o := options{
		clock: clock.Real(), scriptTimeout: DefaultScriptTimeout, scriptQueueSize: DefaultScriptQueueSize,
		emailQueueSize: DefaultEmailQueueSize, emailDeadline: DefaultEmailDeadline,
		backoffBase: defaultBackoffBase, backoffMax: defaultBackoffMax,
	}
	for _, f := range opts {
		f(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Dispatcher{
		log: log.With(zap.String("component", "notify")), opts: o, ctx: ctx, cancel: cancel,
		client: newWebhookClient(o.clock),
	}
	d.targets = &scriptTargets{ctx: ctx, wg: &d.wg, log: d.log.With(zap.String("channel", "script")),
		size: o.scriptQueueSize, queues: map[string]*serialQueue{}}
	if err := d.Update(cfg); err != nil {
		cancel()
		return nil, err
	}
	return d, nil
}

func buildPlan(cfg *config.Config) (*plan, error) {
	p := &plan{
		host: cfg.Global.RouterID, security: cfg.Global.EnableScriptSecurity, email: cfg.Global.Notification.Email,
		instances: map[string]*config.Instance{}, groups: map[string]*config.SyncGroup{},
		vss: map[string]*config.VirtualServer{}, rss: map[[2]string]*config.RealServer{},
	}
	if p.host == "" {
		p.host, _ = os.Hostname()
	}
	for _, in := range cfg.Instances {
		p.instances[in.Name] = in
	}
	for _, g := range cfg.SyncGroups {
		p.groups[g.Name] = g
	}
	for _, vs := range cfg.VirtualServers {
		p.vss[vs.Name] = vs
		for _, rs := range vs.RealServers {
			// Only those with a script to run: the scripts channel
			// looks a real server up for nothing else, and a map of
			// every one was 0.8 MB at 10,000 real servers.
			if rs.NotifyUp != "" || rs.NotifyDown != "" {
				p.rss[[2]string{vs.Name, rs.Name}] = rs
			}
		}
	}
	if u := cfg.Global.ScriptUser; u != "" {
		c, err := script.LookupUserUnlessSelf(u)
		if err != nil {
			return nil, err
		}
		p.cred = c
	}
	return p, nil
}

// Update moves the Dispatcher to cfg, as on reload: later events follow
// the new scripts, email settings and webhooks; deliveries already queued
// keep the settings they were queued with. Webhooks are matched by name,
// so a kept webhook keeps its queue and counters; a removed one delivers
// what it has queued and goes. On error (the script user cannot be looked
// up, or ErrClosed) nothing changes.
func (d *Dispatcher) Update(cfg *config.Config) error {
	p, err := buildPlan(cfg)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	d.plan = p
	old := map[string]*outlet{}
	for _, o := range d.outlets {
		old[o.name] = o
	}
	// reuse keeps an outlet's queue and counters across reloads; the
	// channel value is always the new one.
	reuse := func(name string, ch channel, log *zap.Logger, size int) *outlet {
		o := old[name]
		delete(old, name)
		if o == nil {
			o = &outlet{name: name, stats: &counters{}}
			o.q = newSerialQueue(d.ctx, &d.wg, o.stats, log, size)
		} else {
			o.q.setMax(size)
		}
		o.ch = ch
		return o
	}
	scripts := &outlet{name: "script", ch: scriptChannel{p: p, timeout: d.opts.scriptTimeout, t: d.targets}, stats: &d.targets.stats}
	delete(old, scripts.name)
	outlets := []*outlet{scripts,
		reuse("email", mailChannel{p: p, tls: d.opts.tlsConfig, deadline: d.opts.emailDeadline},
			d.log.With(zap.String("channel", "email")), d.opts.emailQueueSize)}
	for _, w := range cfg.Global.Notification.Webhooks {
		ch := webhookChannel{cfg: w, client: d.client, base: d.opts.backoffBase, max: d.opts.backoffMax}
		outlets = append(outlets, reuse("webhook:"+w.Name, ch,
			d.log.With(zap.String("channel", "webhook"), zap.String("webhook", w.Name)), w.QueueSize))
	}
	for _, o := range old { // removed webhooks deliver what they hold and go
		o.q.close()
	}
	d.outlets = outlets
	return nil
}

// Notify routes e to every channel that wants it and returns at once: it
// only queues. Events after Close are dropped and counted in
// Stats()["script"].Dropped.
func (d *Dispatcher) Notify(e Event) {
	if e.Time.IsZero() {
		e.Time = d.opts.clock.Now()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if e.Host == "" {
		e.Host = d.plan.host
	}
	if e.Kind == InstanceState && e.VIPs == nil {
		e.VIPs = d.plan.vips(e.Instance)
	}
	if d.closed {
		d.targets.stats.dropped.Add(1)
		return
	}
	for _, o := range d.outlets {
		o.send(e)
	}
}

// Stats returns the counters of every channel.
func (d *Dispatcher) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := Stats{}
	for _, o := range d.outlets {
		cs := o.stats.snapshot()
		if o.q != nil {
			cs.Pending, cs.InFlight = o.q.load()
		} else {
			cs.Pending, cs.InFlight = d.targets.load()
		}
		s[o.name] = cs
	}
	return s
}

// Close stops accepting events and waits until everything queued is
// delivered or ctx is done; then it cancels what is in flight (killing
// scripts, aborting connections), drops the rest, counts it, and returns
// an error wrapping ctx.Err().
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		d.targets.close()
		for _, o := range d.outlets {
			if o.q != nil {
				o.q.close()
			}
		}
	}
	d.mu.Unlock()

	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		d.cancel()
		return nil
	case <-ctx.Done():
		d.cancel()
		<-done // every delivery honours d.ctx, so this is quick
		return fmt.Errorf("drain notifications: %w", ctx.Err())
	}
}
