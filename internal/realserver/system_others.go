//go:build !linux

package realserver

import "errors"

// errNotLinux: the real-server setup is Linux's (IPVS is).
var errNotLinux = errors.New("realserver: only implemented on Linux")

// Read is not implemented off Linux.
func Read() (State, error) { return State{}, errNotLinux }

// Apply is not implemented off Linux.
func Apply([]Step) error { return errNotLinux }
