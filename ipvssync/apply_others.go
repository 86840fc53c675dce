//go:build !linux

package ipvssync

import (
	"errors"
	"time"
)

// Open fails: IPVS is Linux only.
func Open() (Handle, error) { return nil, ErrUnavailable }

// KernelInfo fails: IPVS is Linux only.
func KernelInfo() (version string, size int, err error) { return "", 0, ErrUnavailable }

// ErrTimeout is wrapped by a Guard call that overran its deadline.
var ErrTimeout = errors.New("ipvs netlink call timed out")

// Guard is a Handle with deadlines; only Linux has one.
type Guard struct{ Handle }

// NewGuard fails: IPVS is Linux only.
func NewGuard(func() (Handle, error), time.Duration) (*Guard, error) { return nil, ErrUnavailable }

// OpenAt fails: IPVS is Linux only.
func OpenAt(string) (Handle, error) { return nil, ErrUnavailable }
