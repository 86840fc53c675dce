//go:build linux

package checkerbench

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// cpuTime is the user plus system CPU time this process has used, all
// threads included (getrusage RUSAGE_SELF).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ReexecInNetns runs the running program again with args in a fresh
// network namespace, with this process's stdio, and waits for it; the
// copy runs the benchmark with Config.FreshNetns. The hundreds of
// thousands of TIME_WAIT sockets a run leaves behind, the listeners and
// the sysctls so stay out of the host's (shared) namespace; the backends
// inherit the namespace. NoNetns(err) reports that the namespace could
// not be made (no privilege), so the caller may run in the host's.
func ReexecInNetns(args []string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	cmd := exec.Command(exe, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}

// NoNetns reports whether err, from ReexecInNetns, means the namespace
// could not be made rather than that the benchmark failed in it.
func NoNetns(err error) bool {
	if _, exited := err.(*exec.ExitError); exited {
		return false
	}
	return errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL)
}

// setupNetns brings up lo in the namespace this process was started in:
// a new namespace has it down, and 127.0.0.0/8 is unreachable until then.
func setupNetns() error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("find lo: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	// Nothing else listens here, and a larger backlog keeps accept bursts
	// from dropping SYNs; both are per namespace.
	_ = os.WriteFile("/proc/sys/net/core/somaxconn", []byte("65535"), 0o644)
	_ = os.WriteFile("/proc/sys/net/ipv4/tcp_max_syn_backlog", []byte("65535"), 0o644)
	return nil
}

// rawConnect is the floor a TCP check can reach: socket(2), a blocking
// connect(2) (on loopback the handshake completes inside the call) and
// close(2), with nothing of Go's netpoller in between.
func rawConnect(a netip.AddrPort) error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer syscall.Close(fd)
	sa := &syscall.SockaddrInet4{Port: int(a.Port()), Addr: a.Addr().As4()}
	if err := syscall.Connect(fd, sa); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	return nil
}

// serveAcceptClose accepts and closes every connection to lns from one
// epoll loop on raw descriptors, which costs the backend a fraction of
// what an Accept per listener through Go's poller did (86 % of a core
// at 15,000 connections a second): at 20,000 checks a second the two
// vCPUs of the development VM could not hold both the backends and the
// checker. The listeners stay open, and Go's poller never waits on
// them, since nothing calls Accept.
func serveAcceptClose(lns []net.Listener) error {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return fmt.Errorf("epoll_create1: %w", err)
	}
	for _, ln := range lns {
		rc, err := ln.(*net.TCPListener).SyscallConn()
		if err != nil {
			return err
		}
		var cerr error
		if err := rc.Control(func(fd uintptr) {
			cerr = unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, int(fd), &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)})
		}); err != nil {
			return err
		}
		if cerr != nil {
			return fmt.Errorf("epoll_ctl: %w", cerr)
		}
	}
	go func() {
		runtime.LockOSThread()
		events := make([]unix.EpollEvent, 256)
		for {
			n, err := unix.EpollWait(ep, events, -1)
			if err != nil {
				if errors.Is(err, unix.EINTR) {
					continue
				}
				return
			}
			for _, e := range events[:n] {
				for {
					fd, _, err := unix.Accept4(int(e.Fd), unix.SOCK_CLOEXEC)
					if err != nil {
						break // EAGAIN: this listener is drained
					}
					unix.Close(fd)
				}
			}
			runtime.KeepAlive(lns)
		}
	}()
	return nil
}
