package vrrp

import (
	"errors"
	"fmt"
)

// ErrUnknownInstance is returned by SetMaintenance for a name that is not
// in the Router's configuration.
var ErrUnknownInstance = errors.New("vrrp: unknown instance")

// SetMaintenance turns maintenance mode (see maint.go) on or off for the
// named instance, or for every instance when name is "". It may be called
// before Run, to restore a saved state: the instances then start in
// maintenance. The setting outlives Reload for instances that keep their
// name. It returns the names it applied to, in configuration order, and
// ErrUnknownInstance (wrapped, with the name) when name matches none.
func (r *Router) SetMaintenance(name string, on bool) ([]string, error) {
	r.mu.Lock()
	var names []string
	for _, n := range r.instanceNamesLocked() {
		if name == "" || n == name {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		r.mu.Unlock()
		return nil, fmt.Errorf("set maintenance of %q: %w", name, ErrUnknownInstance)
	}
	now := r.clock.Now()
	for _, n := range names {
		if on {
			r.maint[n] = true
		} else {
			delete(r.maint, n)
		}
		if in := r.byName[n]; in != nil {
			r.apply(now, in, in.m.Handle(now, Maintenance{On: on}))
		}
	}
	r.mu.Unlock()
	r.dispatch()
	r.poke()
	return names, nil
}
