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
func DialTransport(string, TransportOptions) (Transport, error) {
	return nil, errTransportNotImplemented
}

// IP6Transport is the Linux IPv6 VRRP socket; elsewhere it cannot be
// opened.
type IP6Transport struct{}

var _ Transport = (*IP6Transport)(nil)

// DialIPv6Transport returns an error matching errors.ErrUnsupported.
func DialIPv6Transport(string, TransportOptions) (*IP6Transport, error) {
	return nil, errTransportNotImplemented
}

// NewIP6Transport returns an error matching errors.ErrUnsupported.
func NewIP6Transport(net.PacketConn, *net.Interface, TransportOptions) (*IP6Transport, error) {
	return nil, errTransportNotImplemented
}

// Src returns the zero address.
func (*IP6Transport) Src() netip.Addr { return netip.Addr{} }

// Interface returns nil.
func (*IP6Transport) Interface() *net.Interface { return nil }

// ReadFrom returns an error matching errors.ErrUnsupported.
func (*IP6Transport) ReadFrom([]byte) (int, RecvMeta, error) {
	return 0, RecvMeta{}, errTransportNotImplemented
}

// WriteTo returns an error matching errors.ErrUnsupported.
func (*IP6Transport) WriteTo([]byte, netip.Addr) error { return errTransportNotImplemented }

// Close returns an error matching errors.ErrUnsupported.
func (*IP6Transport) Close() error { return errTransportNotImplemented }

// LinkLocalIPv6 returns an error matching errors.ErrUnsupported.
func LinkLocalIPv6(string) (netip.Addr, error) { return netip.Addr{}, errTransportNotImplemented }

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
