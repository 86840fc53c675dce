package vrrp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"go.uber.org/zap"
)

// ErrVMACTaken means an interface that lbhad did not make for this
// virtual router holds a VMAC's name; it is left alone and the instance
// stays in Fault.
var ErrVMACTaken = errors.New("name held by an interface that is not this virtual router's macvlan")

// VMACKernel is what VMACManager needs from the system; NetlinkVMACs is
// the Linux one, and tests use a fake.
type VMACKernel interface {
	// ParentIndex returns the index of the named interface, 0 when it
	// does not exist.
	ParentIndex(name string) (int, error)
	// Link describes what holds name (Exists false when nothing does).
	Link(name string) (VMACLink, error)
	// Create makes v as a private-mode macvlan on parentIndex, down.
	Create(v VMAC, parentIndex int) error
	// Delete removes the named interface.
	Delete(name string) error
	// Setup sets v's and its parent's sysctls and brings v up; it
	// changes only what differs, so that calling it again is free.
	Setup(v VMAC) error
	// Restore puts back the parent sysctls that Setup changed, once
	// the parent carries no VMAC of ours any more.
	Restore(parent string) error
}

// VMACManager keeps the VMAC interfaces of the VRRP instances that use
// them: it creates them at start or when their parent appears,
// re-creates one deleted under it, and deletes them at Close. Each
// reconcile reports per VMAC whether it is ready (ours, up, configured);
// the daemon holds an instance in Fault while its VMAC is not, so that
// an interface of the same name made by someone else never carries VIPs
// or adverts.
type VMACManager struct {
	k     VMACKernel
	links LinkWatcher
	log   *zap.Logger
	// onReady is called, outside the manager's lock, when a VMAC's
	// readiness changes after Set returned (the watch's reconciles).
	onReady func(name string, ready bool)

	mu     sync.Mutex
	want   []VMAC
	owned  map[string]VMAC // made or adopted by us: deleted at Close
	ready  map[string]bool
	errs   map[string]string // last error per VMAC, to log changes only
	stop   context.CancelFunc
	closed bool
}

// NewVMACManager returns a manager over k; links (may be nil: no
// re-creation) reports link changes; onReady (may be nil) hears about
// readiness changes found by the watch.
func NewVMACManager(k VMACKernel, links LinkWatcher, log *zap.Logger, onReady func(string, bool)) *VMACManager {
	if log == nil {
		log = zap.NewNop()
	}
	return &VMACManager{k: k, links: links, log: log.With(zap.String("component", "vmac")), onReady: onReady,
		owned: map[string]VMAC{}, ready: map[string]bool{}, errs: map[string]string{}}
}

// Set makes want the VMACs to keep: it reconciles them now and watches
// their names and parents. It returns whether each wanted VMAC is
// ready, and the errors met. VMACs of ours no longer wanted stay until
// Prune, so that a reload moves the instances off them first.
func (m *VMACManager) Set(want []VMAC) (map[string]bool, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, errors.New("vmac manager closed")
	}
	m.want = slices.Clone(want)
	var errs []error
	errs = append(errs, m.reconcileLocked())
	ready := make(map[string]bool, len(want))
	for _, v := range want {
		ready[v.Name] = m.ready[v.Name]
	}
	if m.stop != nil {
		m.stop()
		m.stop = nil
	}
	if m.links != nil && len(want) > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		ch, err := m.links.Watch(ctx, watchNames(want))
		if err != nil {
			cancel()
			errs = append(errs, fmt.Errorf("watch vmac links: %w", err))
		} else {
			m.stop = cancel
			go m.follow(ch)
		}
	}
	m.mu.Unlock()
	return ready, errors.Join(errs...)
}

// Prune deletes the VMACs of ours that the last Set no longer wants.
func (m *VMACManager) Prune() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for name, v := range m.owned {
		if !slices.ContainsFunc(m.want, func(w VMAC) bool { return w.Name == name }) {
			errs = append(errs, m.removeLocked(v))
		}
	}
	return errors.Join(errs...)
}

// watchNames are the VMACs and their parents.
func watchNames(want []VMAC) []string {
	var names []string
	for _, v := range want {
		for _, n := range []string{v.Name, v.Parent} {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

// follow reconciles on every link change until the watch ends.
func (m *VMACManager) follow(ch <-chan LinkEvent) {
	for range ch {
		m.Reconcile()
	}
}

// Reconcile brings every wanted VMAC back to what it should be and
// reports readiness changes to onReady. The watch calls it on each link
// change; it is exported for tests and for callers with other triggers.
func (m *VMACManager) Reconcile() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	before := copyReady(m.ready)
	_ = m.reconcileLocked() // each VMAC's error is logged there, once
	var changed []VMAC
	for _, v := range m.want {
		if before[v.Name] != m.ready[v.Name] {
			changed = append(changed, v)
		}
	}
	ready := copyReady(m.ready)
	m.mu.Unlock()
	if m.onReady != nil {
		for _, v := range changed {
			m.onReady(v.Name, ready[v.Name])
		}
	}
}

func copyReady(in map[string]bool) map[string]bool {
	out := make(map[string]bool, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func (m *VMACManager) reconcileLocked() error {
	var errs []error
	for _, v := range m.want {
		step, err := m.reconcileOne(v)
		m.ready[v.Name] = err == nil && step != VMACWait
		msg := ""
		if err != nil {
			msg = err.Error()
			errs = append(errs, err)
		}
		if msg != m.errs[v.Name] {
			if err != nil {
				m.log.Error("vmac not ready", zap.String("vmac", v.Name), zap.String("parent", v.Parent), zap.Error(err))
			} else {
				m.log.Info("vmac ready again", zap.String("vmac", v.Name), zap.String("parent", v.Parent))
			}
			m.errs[v.Name] = msg
		}
	}
	return errors.Join(errs...)
}

// reconcileOne applies PlanVMAC's step for v.
func (m *VMACManager) reconcileOne(v VMAC) (VMACStep, error) {
	pidx, err := m.k.ParentIndex(v.Parent)
	if err != nil {
		return VMACWait, fmt.Errorf("vmac %s: parent %s: %w", v.Name, v.Parent, err)
	}
	have, err := m.k.Link(v.Name)
	if err != nil {
		return VMACWait, fmt.Errorf("vmac %s: %w", v.Name, err)
	}
	step := PlanVMAC(v, pidx, have)
	switch step {
	case VMACWait:
		return step, nil
	case VMACRefuse:
		return step, fmt.Errorf("vmac %s on %s: %w", v.Name, v.Parent, ErrVMACTaken)
	case VMACReplace:
		m.log.Warn("replacing a macvlan that does not match", zap.String("vmac", v.Name), zap.String("parent", v.Parent))
		if err := m.k.Delete(v.Name); err != nil {
			return step, fmt.Errorf("vmac %s: delete: %w", v.Name, err)
		}
		fallthrough
	case VMACCreate:
		if err := m.k.Create(v, pidx); err != nil {
			return step, fmt.Errorf("vmac %s on %s: create: %w", v.Name, v.Parent, err)
		}
		m.log.Info("vmac created", zap.String("vmac", v.Name), zap.String("parent", v.Parent), zap.Stringer("mac", v.MAC))
	}
	m.owned[v.Name] = v
	if err := m.k.Setup(v); err != nil {
		return step, fmt.Errorf("vmac %s: set up: %w", v.Name, err)
	}
	return step, nil
}

// removeLocked deletes one of our VMACs (if it is still ours) and puts
// its parent's sysctls back when no other VMAC of ours uses it.
func (m *VMACManager) removeLocked(v VMAC) error {
	delete(m.owned, v.Name)
	delete(m.ready, v.Name)
	delete(m.errs, v.Name)
	var errs []error
	pidx, _ := m.k.ParentIndex(v.Parent)
	if have, err := m.k.Link(v.Name); err == nil && have.Exists {
		if s := PlanVMAC(v, pidx, have); s == VMACKeep || s == VMACReplace || (pidx == 0 && have.Macvlan && bytes.Equal(have.MAC, v.MAC)) {
			if err := m.k.Delete(v.Name); err != nil {
				errs = append(errs, fmt.Errorf("vmac %s: delete: %w", v.Name, err))
			}
		}
	}
	inUse := false
	for _, o := range m.owned {
		inUse = inUse || o.Parent == v.Parent
	}
	if !inUse && pidx != 0 {
		if err := m.k.Restore(v.Parent); err != nil {
			errs = append(errs, fmt.Errorf("vmac %s: restore %s: %w", v.Name, v.Parent, err))
		}
	}
	return errors.Join(errs...)
}

// Close stops the watch and deletes every VMAC of ours, after the
// router has stopped (its last adverts and VIPs went out through them).
func (m *VMACManager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	if m.stop != nil {
		m.stop()
		m.stop = nil
	}
	var errs []error
	for _, v := range m.owned {
		errs = append(errs, m.removeLocked(v))
	}
	return errors.Join(errs...)
}
