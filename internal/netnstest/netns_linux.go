//go:build linux

package netnstest

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/vishvananda/netns"
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

// New creates a fresh network namespace with lo up and returns a handle
// on it. The work happens on a throw-away OS thread, so the caller's
// thread stays where it was and New may be called from any goroutine,
// also outside tests (benchmarks). The namespace goes away when the
// handle is closed and nothing else uses it, so a crashed run leaves
// nothing behind. Without privilege the error matches os.ErrPermission.
func New() (*Netns, error) {
	type result struct {
		n   *Netns
		err error
	}
	c := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		here, err := current()
		if err != nil {
			runtime.UnlockOSThread()
			c <- result{err: err}
			return
		}
		defer unix.Close(here.fd)
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			c <- result{err: fmt.Errorf("unshare(CLONE_NEWNET): %w", err)}
			return
		}
		n, err := current()
		if err == nil {
			if err = loUp(); err != nil {
				unix.Close(n.fd)
				n = nil
			}
		}
		if serr := unix.Setns(here.fd, unix.CLONE_NEWNET); serr != nil {
			// The thread is stuck in the new namespace: it stays
			// locked, so the runtime discards it when this goroutine
			// exits.
			if n != nil {
				unix.Close(n.fd)
			}
			c <- result{err: fmt.Errorf("return to previous netns: %w", serr)}
			return
		}
		runtime.UnlockOSThread()
		c <- result{n: n, err: err}
	}()
	r := <-c
	return r.n, r.err
}

// Open returns a handle on the existing namespace at path, such as a
// named one under /run/netns made by `ip netns add`, so that the named
// namespaces of internal/lab are entered the same way as fresh ones.
func Open(path string) (*Netns, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open netns %s: %w", path, err)
	}
	return &Netns{fd: fd}, nil
}

// NewNetns is New for tests: it skips or fails t as SkipOrFail says
// and closes the handle at the end of the test. The calling thread's
// namespace does not change, inside InNewNetns or not.
func NewNetns(t testing.TB) *Netns {
	t.Helper()
	n, err := New()
	if err != nil {
		SkipOrFail(t, err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// Close releases the handle; the namespace lives on while anything else
// (a socket, a process, a thread) still uses it.
func (n *Netns) Close() error { return unix.Close(n.fd) }

// Path is a /proc path naming n, for APIs that take one (ipvs.New).
func (n *Netns) Path() string {
	return "/proc/" + strconv.Itoa(os.Getpid()) + "/fd/" + strconv.Itoa(n.fd)
}

// Handle returns n as the handle type of github.com/vishvananda/netns,
// for netlink.NewHandleAt and netlink.NsFd. It stays owned by n.
func (n *Netns) Handle() netns.NsHandle { return netns.NsHandle(n.fd) }

// Run runs fn on a throw-away OS thread switched into n, from any
// goroutine, and returns fn's error. Sockets fn creates belong to n for
// their whole life; processes fn starts run in n. Unlike Do, the
// calling thread never changes namespace.
func (n *Netns) Run(fn func() error) error {
	c := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		here, err := current()
		if err != nil {
			runtime.UnlockOSThread()
			c <- err
			return
		}
		defer unix.Close(here.fd)
		if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			c <- fmt.Errorf("enter netns: %w", err)
			return
		}
		ferr := fn()
		if err := unix.Setns(here.fd, unix.CLONE_NEWNET); err != nil {
			// The thread stays locked and dies with this goroutine.
			c <- errors.Join(ferr, fmt.Errorf("leave netns: %w", err))
			return
		}
		runtime.UnlockOSThread()
		c <- ferr
	}()
	return <-c
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
