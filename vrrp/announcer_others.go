//go:build !linux

package vrrp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

var errAnnouncerNotImplemented = fmt.Errorf("arp announcer: not implemented on this os: %w", errors.ErrUnsupported)

// PacketAnnouncer is the Linux Announcer; elsewhere it cannot be made.
type PacketAnnouncer struct{}

var _ Announcer = (*PacketAnnouncer)(nil)

// NewAnnouncer returns an error matching errors.ErrUnsupported.
func NewAnnouncer(string) (*PacketAnnouncer, error) { return nil, errAnnouncerNotImplemented }

// MAC returns nil.
func (*PacketAnnouncer) MAC() net.HardwareAddr { return nil }

// Announce returns an error matching errors.ErrUnsupported.
func (*PacketAnnouncer) Announce(netip.Addr) error { return errAnnouncerNotImplemented }

// Close returns an error matching errors.ErrUnsupported.
func (*PacketAnnouncer) Close() error { return errAnnouncerNotImplemented }
