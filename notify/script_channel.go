package notify

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
)

// scriptChannel runs the notify scripts of instances, groups, real
// servers and virtual servers. Unlike mail and webhooks it has one serial
// queue per target rather than one for the channel, so one target's
// scripts run in event order while different targets run side by side
// (bounded by internal/script's process limit), and each script run is
// a delivery of its own. So its Deliver only queues those runs and
// returns at once; the outlet gives it no queue.
type scriptChannel struct {
	p       *plan
	timeout time.Duration
	t       *scriptTargets
}

// scriptTargets are the per-target queues and the channel's counters;
// they live across reloads.
type scriptTargets struct {
	ctx   context.Context
	wg    *sync.WaitGroup
	log   *zap.Logger
	size  int // bound of each target's queue
	stats counters

	mu     sync.Mutex
	queues map[string]*serialQueue // by target
	closed bool
}

func (c scriptChannel) Wants(e Event) bool {
	_, cmds, _ := c.scripts(e)
	for _, cmd := range cmds {
		if cmd != "" {
			return true
		}
	}
	return false
}

// Deliver queues the scripts e calls for on e's target, in keepalived's
// order: the state's own script, then the generic notify with its four
// arguments. It returns nil; the runs are counted as they finish.
func (c scriptChannel) Deliver(_ context.Context, e Event) error {
	key, cmds, generic := c.scripts(e)
	var q *serialQueue
	for i, cmd := range cmds {
		if cmd == "" {
			continue
		}
		var extra []string
		if i == len(cmds)-1 {
			extra = generic
		}
		if q == nil {
			q = c.t.queue(key)
		}
		cmd, security, cred, timeout := cmd, c.p.security, c.p.cred, c.timeout
		q.push(func(ctx context.Context) error { return runNotifyScript(ctx, cmd, extra, security, cred, timeout) })
	}
	return nil
}

// scripts returns e's target, the command lines e calls for (some
// possibly empty) and the arguments of the last, generic one.
func (c scriptChannel) scripts(e Event) (key string, cmds, generic []string) {
	p := c.p
	switch e.Kind {
	case InstanceState:
		if in := p.instances[e.Instance]; in != nil {
			cmds, generic = stateScripts(in.Notify, e.NewState, "INSTANCE", e.Instance, e.Priority)
			return "instance\x00" + e.Instance, cmds, generic
		}
	case GroupState:
		if g := p.groups[e.Group]; g != nil {
			// keepalived 2.2.7 passes priority 0 for groups (measured).
			cmds, generic = stateScripts(g.Notify, e.NewState, "GROUP", e.Group, 0)
			return "group\x00" + e.Group, cmds, generic
		}
	case RealServerUp, RealServerDown:
		if rs := p.rss[[2]string{e.VirtualServer, e.RealServer}]; rs != nil {
			cmd := rs.NotifyDown
			if e.Kind == RealServerUp {
				cmd = rs.NotifyUp
			}
			return "rs\x00" + e.VirtualServer + "\x00" + e.RealServer, []string{cmd}, nil
		}
	case QuorumLost, QuorumRegained:
		if vs := p.vss[e.VirtualServer]; vs != nil {
			cmd := vs.QuorumDown
			if e.Kind == QuorumRegained {
				cmd = vs.QuorumUp
			}
			return "vs\x00" + e.VirtualServer, []string{cmd}, nil
		}
	}
	return "", nil, nil
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

// queue returns key's queue, making it on first use. After close it
// returns a closed queue, which counts what it refuses.
func (t *scriptTargets) queue(key string) *serialQueue {
	t.mu.Lock()
	defer t.mu.Unlock()
	q := t.queues[key]
	if q == nil {
		q = newSerialQueue(t.ctx, t.wg, &t.stats, t.log, t.size)
		if t.closed {
			q.close()
		} else {
			t.queues[key] = q
		}
	}
	return q
}

// close refuses later runs; queued ones still run.
func (t *scriptTargets) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	for _, q := range t.queues {
		q.close()
	}
}

// load sums the queued and in-flight runs of every target.
func (t *scriptTargets) load() (pending, inflight int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, q := range t.queues {
		p, f := q.load()
		pending += p
		inflight += f
	}
	return pending, inflight
}
