//go:build !linux

package vrrp

import (
	"errors"
	"fmt"

	"go.uber.org/zap"
)

var errAddrNotImplemented = fmt.Errorf("vrrp addresses: not implemented on this os: %w", errors.ErrUnsupported)

// NetlinkAddrManager is the Linux AddrManager; elsewhere it cannot be made.
type NetlinkAddrManager struct{}

var _ AddrManager = (*NetlinkAddrManager)(nil)

// NewAddrManager returns an error matching errors.ErrUnsupported.
func NewAddrManager(*zap.Logger) (*NetlinkAddrManager, error) { return nil, errAddrNotImplemented }

// Close does nothing.
func (*NetlinkAddrManager) Close() {}

// Add returns an error matching errors.ErrUnsupported.
func (*NetlinkAddrManager) Add(VIPAddr) error { return errAddrNotImplemented }

// Remove returns an error matching errors.ErrUnsupported.
func (*NetlinkAddrManager) Remove(VIPAddr) error { return errAddrNotImplemented }

// Present returns an error matching errors.ErrUnsupported.
func (*NetlinkAddrManager) Present(VIPAddr) (bool, error) { return false, errAddrNotImplemented }
