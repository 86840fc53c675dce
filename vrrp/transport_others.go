//go:build !linux

package vrrp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// errTransportNotImplemented is returned by every call on non-Linux
// systems; it matches errors.ErrUnsupported.
var errTransportNotImplemented = fmt.Errorf("vrrp transport: not implemented on this os: %w", errors.ErrUnsupported)

// IPTransport is the Linux VRRP socket; elsewhere it cannot be opened.
type IPTransport struct{}

var _ Transport = (*IPTransport)(nil)

// DialTransport returns an error matching errors.ErrUnsupported.
func DialTransport(string, TransportOptions) (*IPTransport, error) {
	return nil, errTransportNotImplemented
}

// NewIPTransport returns an error matching errors.ErrUnsupported.
func NewIPTransport(net.PacketConn, *net.Interface, TransportOptions) (*IPTransport, error) {
	return nil, errTransportNotImplemented
}

// Src returns the zero address.
func (*IPTransport) Src() netip.Addr { return netip.Addr{} }

// Interface returns nil.
func (*IPTransport) Interface() *net.Interface { return nil }

// ReadFrom returns an error matching errors.ErrUnsupported.
func (*IPTransport) ReadFrom([]byte) (int, RecvMeta, error) {
	return 0, RecvMeta{}, errTransportNotImplemented
}

// WriteTo returns an error matching errors.ErrUnsupported.
func (*IPTransport) WriteTo([]byte, netip.Addr) error { return errTransportNotImplemented }

// Close returns an error matching errors.ErrUnsupported.
func (*IPTransport) Close() error { return errTransportNotImplemented }

// PrimaryIPv4 returns an error matching errors.ErrUnsupported.
func PrimaryIPv4(string) (netip.Addr, error) { return netip.Addr{}, errTransportNotImplemented }
