package ipvstest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"github.com/moby/ipvs"

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

// Handle opens a moby/ipvs handle on ns's table, closed at cleanup.
func Handle(t testing.TB, ns *netnstest.Netns) *ipvs.Handle {
	t.Helper()
	if err := EnsureModule(); err != nil {
		t.Fatal(err)
	}
	h, err := ipvs.New(ns.Path())
	if err != nil {
		t.Fatalf("ipvs.New: %v", err)
	}
	t.Cleanup(h.Close)
	return h
}

// Ipvsadm runs ipvsadm with args inside ns and returns its standard output.
func Ipvsadm(ns *netnstest.Netns, args ...string) ([]byte, error) {
	var out []byte
	err := ns.Run(func() error {
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
func ReadIpvsadm(ns *netnstest.Netns) ([]Service, error) {
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
