package checker

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The connector's system calls on its own sockets are made raw, without
// telling Go's scheduler that the thread is in a system call.
//
// Through syscall.Syscall, a call that runs past sysmon's 20 µs tick
// loses its P, which sysmon hands to another thread, and sysmon keeps
// waking every 20 µs while it finds such calls. On loopback a connect
// runs the whole handshake inside the call (15–25 µs on the development
// VM), so at 14,000 checks a second the checker made 10,000 context
// switches a second and sysmon alone took 6 % of its CPU.
//
// None of these calls sleeps: the sockets are non-blocking and never
// linger on close, so a call holds its P only for its own CPU time,
// which is what a goroutine running Go code does too. epoll_wait, which
// does sleep, goes through the scheduler as before.

// sysSocket opens a non-blocking, close-on-exec TCP socket.
func sysSocket(family int) (int, error) {
	fd, _, e := unix.RawSyscall(unix.SYS_SOCKET, uintptr(family), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if e != 0 {
		return -1, e
	}
	return int(fd), nil
}

// sysConnect starts a connect to to; a non-blocking socket answers
// EINPROGRESS while the handshake is under way.
func sysConnect(fd int, to netip.AddrPort) error {
	var e unix.Errno
	if ip := to.Addr().Unmap(); ip.Is4() {
		sa := unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: ip.As4()}
		putPort(&sa.Port, to.Port())
		_, _, e = unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa))
	} else {
		sa := unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: to.Addr().As16()}
		putPort(&sa.Port, to.Port())
		_, _, e = unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa))
	}
	if e != 0 {
		return e
	}
	return nil
}

// putPort stores port in network byte order, as sockaddr wants it.
func putPort(p *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

// sysEpollAdd registers fd in the epoll set ep.
func sysEpollAdd(ep, fd int, ev *unix.EpollEvent) error {
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(ep), unix.EPOLL_CTL_ADD, uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// sysClose closes one of the connector's sockets.
func sysClose(fd int) { unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0) }
