//go:build unix

// Package porttest gives tests a loopback TCP port that refuses
// connections for as long as the test runs.
package porttest

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// Closed returns a loopback TCP port nothing listens on, held by a socket
// bound to it without listening until t ends. A connect to it is
// refused. No other socket can take it meanwhile: neither a listener
// another test opens on port 0 nor a client's source port. Closing a
// listener to get a "closed" port left the number free for either,
// after which the port could be open or answered by another test.
func Closed(t testing.TB) netip.AddrPort {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("closed port: socket: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	unix.CloseOnExec(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("closed port: bind: %v", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatalf("closed port: getsockname: %v", err)
	}
	in4, ok := sa.(*unix.SockaddrInet4)
	if !ok {
		t.Fatalf("closed port: bound to %T", sa)
	}
	return netip.AddrPortFrom(netip.AddrFrom4(in4.Addr), uint16(in4.Port))
}
