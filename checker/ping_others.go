//go:build !linux

package checker

import (
	"errors"
	"net/netip"
	"time"
)

type pingConn struct{}

func openPing(netip.Addr, netip.Addr) (*pingConn, error) {
	return nil, errors.New("ping_check is implemented on Linux only")
}

func (*pingConn) Close() error                         { return nil }
func (*pingConn) SetDeadline(time.Time) error          { return nil }
func (*pingConn) send([]byte) error                    { return nil }
func (*pingConn) recv([]byte) (int, netip.Addr, error) { return 0, netip.Addr{}, nil }
