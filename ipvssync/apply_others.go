//go:build !linux

package ipvssync

import (
	"errors"
	"time"
)

// Kernel is the kernel's IPVS table; only Linux has one.
type Kernel interface{ unsupported() }

// Handle is a Kernel that must be closed.
type Handle interface {
	Kernel
	Close()
}

// ErrUnavailable is returned on systems without IPVS.
var ErrUnavailable = errors.New("IPVS is not available")

// Open fails: IPVS is Linux only.
func Open() (Handle, error) { return nil, ErrUnavailable }

// SetTimeouts fails: IPVS is Linux only.
func SetTimeouts(Kernel, time.Duration, time.Duration, time.Duration) error { return ErrUnavailable }

// Read fails: IPVS is Linux only.
func Read(Kernel) (Table, error) { return nil, ErrUnavailable }

// Apply fails: IPVS is Linux only.
func Apply(Kernel, []Op) (int, error) { return 0, ErrUnavailable }

// ActiveConns fails: IPVS is Linux only.
func ActiveConns(Kernel, ServiceKey, DestKey) (int, int, error) { return 0, 0, ErrUnavailable }

// ErrTimeout is wrapped by a Guard call that overran its deadline.
var ErrTimeout = errors.New("ipvs netlink call timed out")

// Guard is a Handle with deadlines; only Linux has one.
type Guard struct{ Handle }

// NewGuard fails: IPVS is Linux only.
func NewGuard(func() (Handle, error), time.Duration) (*Guard, error) { return nil, ErrUnavailable }
