package checker

import (
	"net"
	"net/netip"
	"testing"
)

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// acceptingListener is a loopback TCP listener that accepts and closes
// every connection until the test ends.
func acceptingListener(tb testing.TB) netip.AddrPort {
	tb.Helper()
	return acceptingListenerOn(tb, "127.0.0.1:0")
}

// acceptingListenerOn is acceptingListener at addr ("[::1]:0" for IPv6).
func acceptingListenerOn(tb testing.TB, addr string) netip.AddrPort {
	tb.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return mustAddrPort(ln.Addr().String())
}
