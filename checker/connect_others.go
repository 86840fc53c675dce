//go:build !linux

package checker

import (
	"net/netip"
	"time"
)

// connector is Linux's epoll connect loop (connect_linux.go); elsewhere
// there is none and every tcp_check dials with net.Dialer.
type connector struct{}

func newConnector() *connector { return nil }

func (c *connector) start(netip.AddrPort, netip.Addr, time.Duration, func(Result)) {}
func (c *connector) stop()                                                         {}
func (c *connector) wait()                                                         {}
