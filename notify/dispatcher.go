package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
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
	defaultDrainTimeout    = 5 * time.Second
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

// Stats are the per-channel counters of a Dispatcher. One script run,
// one mail or one webhook POST (with its retries) counts once.
type Stats struct {
	Scripts  ChannelStats            // all script targets together; also events sent after Close
	Email    ChannelStats            // one mail per event
	Webhooks map[string]ChannelStats // by webhook name
}

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

type hook struct {
	cfg   *config.Webhook
	q     *serialQueue
	stats *counters
}

// Dispatcher is the Notifier the daemon uses: it routes each Event to the
// configured scripts, email and webhooks, each behind its own bounded
// queue. It is safe for concurrent use.
type Dispatcher struct {
	log    *zap.Logger
	opts   options
	ctx    context.Context // cancelled when Close stops waiting
	cancel context.CancelFunc
	wg     sync.WaitGroup
	client *webhookClient

	mu          sync.Mutex
	closed      bool
	plan        *plan
	scripts     map[string]*serialQueue
	scriptStats counters
	email       *serialQueue
	emailStats  counters
	hooks       map[string]*hook
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
		client:  newWebhookClient(o.clock),
		scripts: map[string]*serialQueue{}, hooks: map[string]*hook{},
	}
	d.email = newSerialQueue(ctx, &d.wg, &d.emailStats, d.log.With(zap.String("channel", "email")), o.emailQueueSize)
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
			p.rss[[2]string{vs.Name, rs.Name}] = rs
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
	keep := map[string]bool{}
	for _, w := range cfg.Global.Notification.Webhooks {
		keep[w.Name] = true
		h := d.hooks[w.Name]
		if h == nil {
			h = &hook{stats: &counters{}}
			h.q = newSerialQueue(d.ctx, &d.wg, h.stats, d.log.With(zap.String("channel", "webhook"), zap.String("webhook", w.Name)), w.QueueSize)
			d.hooks[w.Name] = h
		}
		h.cfg = w
		h.q.setMax(w.QueueSize)
	}
	for name, h := range d.hooks {
		if !keep[name] {
			h.q.close()
			delete(d.hooks, name)
		}
	}
	return nil
}

// Notify routes e to every channel that wants it and returns at once: it
// only queues. Events after Close are dropped and counted in
// Stats().Scripts.Dropped.
func (d *Dispatcher) Notify(e Event) {
	if e.Time.IsZero() {
		e.Time = d.opts.clock.Now()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.plan
	if e.Host == "" {
		e.Host = p.host
	}
	if d.closed {
		d.scriptStats.dropped.Add(1)
		return
	}
	d.queueScripts(p, e)
	if p.email != nil && wantsEmail(p, e) {
		em, tc, deadline := p.email, d.opts.tlsConfig, d.opts.emailDeadline
		d.email.push(func(ctx context.Context) error { return sendMail(ctx, em, tc, deadline, e) })
	}
	for _, h := range d.hooks {
		w, c, base, max := h.cfg, d.client, d.opts.backoffBase, d.opts.backoffMax
		h.q.push(func(ctx context.Context) error { return c.deliver(ctx, w, e, base, max) })
	}
}

// wantsEmail applies smtp_alert: instances and groups opt in; real-server
// and quorum changes are mailed whenever email is configured, as
// keepalived's checkers do; daemon events are not mailed.
func wantsEmail(p *plan, e Event) bool {
	switch e.Kind {
	case InstanceState:
		in := p.instances[e.Instance]
		return in != nil && in.SMTPAlert
	case GroupState:
		g := p.groups[e.Group]
		return g != nil && g.SMTPAlert
	case RealServerUp, RealServerDown, QuorumLost, QuorumRegained:
		return true
	}
	return false
}

// queueScripts queues the scripts e calls for, in keepalived's order: the
// state's own script, then the generic notify with its four arguments.
func (d *Dispatcher) queueScripts(p *plan, e Event) {
	var key string
	var cmds []string
	var generic []string // extra arguments of the generic notify
	switch e.Kind {
	case InstanceState:
		in := p.instances[e.Instance]
		if in == nil {
			return
		}
		key = "instance\x00" + e.Instance
		cmds, generic = stateScripts(in.Notify, e.NewState, "INSTANCE", e.Instance, e.Priority)
	case GroupState:
		g := p.groups[e.Group]
		if g == nil {
			return
		}
		key = "group\x00" + e.Group
		// keepalived 2.2.7 passes priority 0 for groups (measured).
		cmds, generic = stateScripts(g.Notify, e.NewState, "GROUP", e.Group, 0)
	case RealServerUp, RealServerDown:
		rs := p.rss[[2]string{e.VirtualServer, e.RealServer}]
		if rs == nil {
			return
		}
		key = "rs\x00" + e.VirtualServer + "\x00" + e.RealServer
		if e.Kind == RealServerUp {
			cmds = []string{rs.NotifyUp}
		} else {
			cmds = []string{rs.NotifyDown}
		}
	case QuorumLost, QuorumRegained:
		vs := p.vss[e.VirtualServer]
		if vs == nil {
			return
		}
		key = "vs\x00" + e.VirtualServer
		if e.Kind == QuorumRegained {
			cmds = []string{vs.QuorumUp}
		} else {
			cmds = []string{vs.QuorumDown}
		}
	default:
		return
	}
	var q *serialQueue
	for i, c := range cmds {
		if c == "" {
			continue
		}
		var extra []string
		if i == len(cmds)-1 {
			extra = generic
		}
		if q == nil {
			if q = d.scripts[key]; q == nil {
				q = newSerialQueue(d.ctx, &d.wg, &d.scriptStats, d.log.With(zap.String("channel", "script")), d.opts.scriptQueueSize)
				d.scripts[key] = q
			}
		}
		cmd, security, cred, timeout := c, p.security, p.cred, d.opts.scriptTimeout
		q.push(func(ctx context.Context) error { return runNotifyScript(ctx, cmd, extra, security, cred, timeout) })
	}
}

// stateScripts returns the command lines for a transition to state: the
// state's script (possibly empty) followed by the generic one, and the
// arguments keepalived appends to the generic one.
func stateScripts(n config.NotifyScripts, state, typ, name string, prio int) (cmds, generic []string) {
	var specific string
	switch strings.ToUpper(state) {
	case StateMaster:
		specific = n.Master
	case StateBackup:
		specific = n.Backup
	case StateFault:
		specific = n.Fault
	case StateStop:
		specific = n.Stop
	default:
		return nil, nil // INIT and the like call nothing, as in keepalived
	}
	return []string{specific, n.Generic}, []string{typ, name, strings.ToUpper(state), strconv.Itoa(prio)}
}

// Stats returns the counters of every channel.
func (d *Dispatcher) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := Stats{Scripts: d.scriptStats.snapshot(), Email: d.emailStats.snapshot(), Webhooks: map[string]ChannelStats{}}
	for _, q := range d.scripts {
		p, f := q.load()
		s.Scripts.Pending += p
		s.Scripts.InFlight += f
	}
	s.Email.Pending, s.Email.InFlight = d.email.load()
	for name, h := range d.hooks {
		cs := h.stats.snapshot()
		cs.Pending, cs.InFlight = h.q.load()
		s.Webhooks[name] = cs
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
		for _, q := range d.scripts {
			q.close()
		}
		d.email.close()
		for _, h := range d.hooks {
			h.q.close()
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

// Run blocks until ctx is done, then closes the Dispatcher, allowing
// queued deliveries five seconds. Use it where a component is a
// function run until cancelled; the daemon, which sends a last
// DaemonStop after cancellation, calls Close itself instead.
func (d *Dispatcher) Run(ctx context.Context) error {
	<-ctx.Done()
	cctx, cancel := context.WithTimeout(context.Background(), defaultDrainTimeout)
	defer cancel()
	return d.Close(cctx)
}

// Name, Apply and Stop let internal/daemon run the Dispatcher as one of
// its components.
func (d *Dispatcher) Name() string { return "notify" }

// Apply is Update; ctx is unused because Update does no I/O.
func (d *Dispatcher) Apply(_ context.Context, cfg *config.Config) error { return d.Update(cfg) }

// Stop is Close.
func (d *Dispatcher) Stop(ctx context.Context) error { return d.Close(ctx) }
