//go:build linux

package netnstest

import (
	"fmt"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// Netns is a handle on a network namespace, kept alive by an open fd.
type Netns struct{ fd int }

// FD returns the namespace file descriptor, e.g. for
// netlink.LinkSetNsFd.
func (n *Netns) FD() int { return n.fd }

// current opens the calling thread's network namespace.
func current() (*Netns, error) {
	fd, err := unix.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open current netns: %w", err)
	}
	return &Netns{fd: fd}, nil
}

// InNewNetns runs fn on the test goroutine, locked to its OS thread,
// inside a fresh network namespace with lo up, then returns the thread
// to its original namespace. Sockets fn creates stay in the new
// namespace and may be read from other goroutines; but goroutines fn
// starts run on other threads, in the original namespace, so they must
// not create sockets or call package-level netlink functions.
//
// If the original namespace cannot be restored the thread stays locked
// and so is discarded when the test goroutine exits.
func InNewNetns(t testing.TB, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	orig, err := current()
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		// Still in the original namespace: nothing to restore.
		unix.Close(orig.fd)
		runtime.UnlockOSThread()
		SkipOrFail(t, fmt.Errorf("unshare(CLONE_NEWNET): %w", err))
	}
	defer func() {
		err := unix.Setns(orig.fd, unix.CLONE_NEWNET)
		unix.Close(orig.fd)
		if err != nil {
			t.Errorf("restore original netns: %v", err)
			return // leave the thread locked so the runtime discards it
		}
		runtime.UnlockOSThread()
	}()
	if err := loUp(); err != nil {
		t.Fatal(err)
	}
	fn()
}

// NewNetns creates another fresh namespace (lo up) without leaving the
// calling thread in it. Call it inside InNewNetns; the handle is closed
// at the end of the test.
func NewNetns(t testing.TB) *Netns {
	t.Helper()
	here, err := current()
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(here.fd)
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		SkipOrFail(t, fmt.Errorf("unshare(CLONE_NEWNET): %w", err))
	}
	n, err := current()
	if err == nil {
		err = loUp()
	}
	if serr := unix.Setns(here.fd, unix.CLONE_NEWNET); serr != nil {
		// The thread is stuck in the wrong namespace; InNewNetns will
		// fail to restore it too and discard the thread.
		t.Fatalf("return to previous netns: %v", serr)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(n.fd) })
	return n
}

// Do runs fn with the calling thread (which must be locked, as inside
// InNewNetns) switched into n, then switches back.
func (n *Netns) Do(t testing.TB, fn func()) {
	t.Helper()
	here, err := current()
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(here.fd)
	if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
		t.Fatalf("enter netns: %v", err)
	}
	defer func() {
		if err := unix.Setns(here.fd, unix.CLONE_NEWNET); err != nil {
			t.Errorf("leave netns: %v", err)
		}
	}()
	fn()
}

// loUp brings the loopback interface of the current namespace up with
// an ioctl, so this package needs nothing beyond x/sys.
func loUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: get flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: set flags: %w", err)
	}
	return nil
}
