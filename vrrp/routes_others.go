//go:build !linux

package vrrp

var _ RouteManager = (*NetlinkAddrManager)(nil)

// AddRoute returns an error matching errors.ErrUnsupported.
func (*NetlinkAddrManager) AddRoute(VRoute) error { return errAddrNotImplemented }

// RemoveRoute returns an error matching errors.ErrUnsupported.
func (*NetlinkAddrManager) RemoveRoute(VRoute) error { return errAddrNotImplemented }

// AddRule returns an error matching errors.ErrUnsupported.
func (*NetlinkAddrManager) AddRule(VRule) error { return errAddrNotImplemented }

// RemoveRule returns an error matching errors.ErrUnsupported.
func (*NetlinkAddrManager) RemoveRule(VRule) error { return errAddrNotImplemented }
