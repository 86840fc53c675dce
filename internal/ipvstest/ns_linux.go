package ipvstest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	"github.com/moby/ipvs"
	"github.com/vishvananda/netns"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// EnsureModule makes sure the ip_vs module is loaded (running modprobe if
// /proc/net/ip_vs is absent). Call it before the first ipvs.New of the
// process: moby/ipvs resolves the generic-netlink family only once.
func EnsureModule() error {
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		return nil
	}
	out, err := exec.Command("modprobe", "ip_vs").CombinedOutput()
	if _, serr := os.Stat("/proc/net/ip_vs"); serr == nil {
		return nil
	}
	return fmt.Errorf("ip_vs is not loaded and modprobe ip_vs failed: %w: %s", err, out)
}

// NewNetNS creates an unnamed network namespace and returns a handle to it;
// the calling goroutine's thread stays in its own namespace. The namespace
// goes away when the handle is closed and nothing else uses it, so crashed
// runs leave nothing behind.
func NewNetNS() (netns.NsHandle, error) {
	type result struct {
		ns  netns.NsHandle
		err error
	}
	c := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			c <- result{err: fmt.Errorf("get current netns: %w", err)}
			return
		}
		defer orig.Close()
		ns, err := netns.New() // unshare(CLONE_NEWNET) on this thread
		if err != nil {
			runtime.UnlockOSThread()
			c <- result{err: fmt.Errorf("unshare netns: %w", err)}
			return
		}
		if err := netns.Set(orig); err != nil {
			// The thread is stuck in the new namespace: keep it locked so
			// the runtime discards it when this goroutine exits.
			c <- result{ns: ns, err: fmt.Errorf("restore netns: %w", err)}
			return
		}
		runtime.UnlockOSThread()
		c <- result{ns: ns}
	}()
	r := <-c
	if r.err != nil && r.ns.IsOpen() {
		r.ns.Close()
	}
	return r.ns, r.err
}

// NetNS is NewNetNS for tests: it fails the test on error and closes the
// handle at cleanup. It skips with a hint when not root, unless CI=true.
func NetNS(t testing.TB) netns.NsHandle {
	t.Helper()
	ns, err := NewNetNS()
	if err != nil {
		netnstest.SkipOrFail(t, fmt.Errorf("new netns: %w", err))
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

// Do runs fn on a thread inside ns. Sockets fn creates belong to ns for
// their whole life; processes fn starts run in ns.
func Do(ns netns.NsHandle, fn func() error) error {
	c := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			c <- fmt.Errorf("get current netns: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			runtime.UnlockOSThread()
			c <- fmt.Errorf("enter netns: %w", err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			c <- errors.Join(ferr, fmt.Errorf("restore netns: %w", err)) // thread stays locked and dies
			return
		}
		runtime.UnlockOSThread()
		c <- ferr
	}()
	return <-c
}

// Path is a /proc path naming ns, for APIs that take one (ipvs.New).
func Path(ns netns.NsHandle) string {
	return "/proc/" + strconv.Itoa(os.Getpid()) + "/fd/" + strconv.Itoa(int(ns))
}

// Handle opens a moby/ipvs handle on ns's table, closed at cleanup.
func Handle(t testing.TB, ns netns.NsHandle) *ipvs.Handle {
	t.Helper()
	if err := EnsureModule(); err != nil {
		t.Fatal(err)
	}
	h, err := ipvs.New(Path(ns))
	if err != nil {
		t.Fatalf("ipvs.New: %v", err)
	}
	t.Cleanup(h.Close)
	return h
}

// Ipvsadm runs ipvsadm with args inside ns and returns its standard output.
func Ipvsadm(ns netns.NsHandle, args ...string) ([]byte, error) {
	var out []byte
	err := Do(ns, func() error {
		cmd := exec.Command("ipvsadm", args...)
		var stderr []byte
		o, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		out = o
		if err != nil {
			return fmt.Errorf("ipvsadm %v: %w: %s", args, err, stderr)
		}
		return nil
	})
	return out, err
}

// ReadIpvsadm lists ns's table through ipvsadm (with thresholds).
func ReadIpvsadm(ns netns.NsHandle) ([]Service, error) {
	list, err := Ipvsadm(ns, "-Ln")
	if err != nil {
		return nil, err
	}
	th, err := Ipvsadm(ns, "-Ln", "--thresholds")
	if err != nil {
		return nil, err
	}
	return Parse(list, th)
}

// ReadMoby lists h's table through moby/ipvs, in the same model.
func ReadMoby(h *ipvs.Handle) ([]Service, error) {
	svcs, err := h.GetServices()
	if err != nil {
		return nil, fmt.Errorf("get services: %w", err)
	}
	out := make([]Service, 0, len(svcs))
	for _, s := range svcs {
		m := FromMobyService(s)
		dests, err := h.GetDestinations(s)
		if err != nil {
			return nil, fmt.Errorf("get destinations of %s %s: %w", m.Proto, m.Addr, err)
		}
		for _, d := range dests {
			m.Dests = append(m.Dests, FromMobyDest(d))
		}
		out = append(out, m)
	}
	Sort(out)
	return out, nil
}

// svcFlagPersistent is IP_VS_SVC_F_PERSISTENT.
const svcFlagPersistent = 0x1

// FromMobyService converts a moby service (without destinations).
func FromMobyService(s *ipvs.Service) Service {
	m := Service{Sched: s.SchedName}
	switch {
	case s.FWMark != 0:
		m.Proto, m.Addr = "FWM", strconv.FormatUint(uint64(s.FWMark), 10)
	default:
		switch s.Protocol {
		case syscall.IPPROTO_TCP:
			m.Proto = "TCP"
		case syscall.IPPROTO_UDP:
			m.Proto = "UDP"
		case syscall.IPPROTO_SCTP:
			m.Proto = "SCTP"
		default:
			m.Proto = "proto" + strconv.Itoa(int(s.Protocol))
		}
		m.Addr = net.JoinHostPort(s.Address.String(), strconv.Itoa(int(s.Port)))
	}
	if s.Flags&svcFlagPersistent != 0 {
		m.Persistent = s.Timeout
	}
	return m
}

// FromMobyDest converts a moby destination.
func FromMobyDest(d *ipvs.Destination) Dest {
	fwd := map[uint32]string{
		ipvs.ConnectionFlagMasq:        "Masq",
		ipvs.ConnectionFlagLocalNode:   "Local",
		ipvs.ConnectionFlagTunnel:      "Tunnel",
		ipvs.ConnectionFlagDirectRoute: "Route",
	}[d.ConnectionFlags&ipvs.ConnectionFlagFwdMask]
	return Dest{
		Addr:    net.JoinHostPort(d.Address.String(), strconv.Itoa(int(d.Port))),
		Forward: fwd,
		Weight:  d.Weight,
		Upper:   d.UpperThreshold,
		Lower:   d.LowerThreshold,
	}
}
