//go:build linux

package ipvssync

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/moby/ipvs"
)

// Kernel is the part of *ipvs.Handle (github.com/moby/ipvs) that lbhad
// uses; FakeKernel implements it in memory for tests.
type Kernel interface {
	GetServices() ([]*ipvs.Service, error)
	GetDestinations(*ipvs.Service) ([]*ipvs.Destination, error)
	NewService(*ipvs.Service) error
	UpdateService(*ipvs.Service) error
	DelService(*ipvs.Service) error
	NewDestination(*ipvs.Service, *ipvs.Destination) error
	UpdateDestination(*ipvs.Service, *ipvs.Destination) error
	DelDestination(*ipvs.Service, *ipvs.Destination) error
	GetConfig() (*ipvs.Config, error)
	SetConfig(*ipvs.Config) error
}

// Handle is a Kernel that must be closed: what Open returns.
type Handle interface {
	Kernel
	Close()
}

// ErrUnavailable is wrapped by Open when the kernel has no usable IPVS.
var ErrUnavailable = errors.New("IPVS is not available")

// Hooks for tests of Open; the real ones look at the running kernel.
var (
	ipvsLoaded = func() bool {
		for _, p := range []string{"/proc/net/ip_vs", "/sys/module/ip_vs"} {
			if _, err := os.Stat(p); err == nil {
				return true
			}
		}
		return false
	}
	loadModule = func() error {
		path, err := exec.LookPath("modprobe")
		if err != nil {
			path = "/sbin/modprobe"
		}
		out, err := exec.Command(path, "ip_vs").CombinedOutput()
		if err != nil {
			if msg := strings.TrimSpace(string(out)); msg != "" {
				return fmt.Errorf("modprobe ip_vs: %w: %s", err, msg)
			}
			return fmt.Errorf("modprobe ip_vs: %w", err)
		}
		return nil
	}
	newHandle = func() (Handle, error) { return ipvs.New("") }
)

// Open returns an IPVS handle in the calling thread's network namespace.
//
// It first makes sure the ip_vs module is loaded (trying `modprobe ip_vs`)
// and fails with an error wrapping ErrUnavailable if it is not: moby/ipvs
// looks the IPVS generic-netlink family up once per process, in the first
// ipvs.New, and if the module is missing at that moment every later call
// fails even though New returned no error.
func Open() (Handle, error) {
	if !ipvsLoaded() {
		err := loadModule()
		if !ipvsLoaded() {
			if err == nil {
				err = errors.New("ip_vs module still absent after modprobe")
			}
			return nil, fmt.Errorf("%w: kernel has no ip_vs module loaded (CONFIG_IP_VS?): %w", ErrUnavailable, err)
		}
	}
	h, err := newHandle()
	if err != nil {
		return nil, fmt.Errorf("%w: open ipvs netlink handle: %w", ErrUnavailable, err)
	}
	// Prove the family lookup worked: a dump fails on a broken handle.
	if _, err := h.GetServices(); err != nil {
		h.Close()
		return nil, fmt.Errorf("%w: list services: %w", ErrUnavailable, err)
	}
	return h, nil
}

// SetTimeouts sets the connection timeouts like `ipvsadm --set tcp tcpfin
// udp`; a zero duration leaves that timeout unchanged. Timeouts are whole
// seconds.
func SetTimeouts(k Kernel, tcp, tcpFin, udp time.Duration) error {
	if err := k.SetConfig(&ipvs.Config{TimeoutTCP: tcp, TimeoutTCPFin: tcpFin, TimeoutUDP: udp}); err != nil {
		return fmt.Errorf("set ipvs timeouts: %w", err)
	}
	return nil
}

// Timeouts returns the current connection timeouts (`ipvsadm -L --timeout`).
func Timeouts(k Kernel) (tcp, tcpFin, udp time.Duration, err error) {
	c, err := k.GetConfig()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("get ipvs timeouts: %w", err)
	}
	return c.TimeoutTCP, c.TimeoutTCPFin, c.TimeoutUDP, nil
}

// Read returns the whole table of the kernel (one dump for the services,
// one per service for its destinations), with flags, forwarding and
// netmask normalised as described on Service and Destination.
func Read(k Kernel) (Table, error) {
	svcs, err := k.GetServices()
	if err != nil {
		return nil, fmt.Errorf("list ipvs services: %w", err)
	}
	t := make(Table, len(svcs))
	for _, s := range svcs {
		svc, err := serviceFromIPVS(s)
		if err != nil {
			return nil, err
		}
		ds, err := k.GetDestinations(s)
		if err != nil {
			return nil, fmt.Errorf("list destinations of %s: %w", svc.Key, err)
		}
		e := ServiceEntry{Service: svc, Dests: make(map[DestKey]Destination, len(ds))}
		for _, d := range ds {
			dest, err := destFromIPVS(d)
			if err != nil {
				return nil, fmt.Errorf("destination of %s: %w", svc.Key, err)
			}
			e.Dests[dest.Key()] = dest
		}
		t[svc.Key] = e
	}
	return t, nil
}

// Apply performs ops in order and stops at the first failure, returning
// how many succeeded and the error wrapped with the op, e.g. "add
// destination 192.0.2.7:80 to tcp 192.0.2.50:80: file exists".
func Apply(k Kernel, ops []Op) (applied int, err error) {
	for _, op := range ops {
		s := serviceToIPVS(op.Service)
		switch op.Kind {
		case OpAddService:
			err = k.NewService(s)
		case OpUpdateService:
			err = k.UpdateService(s)
		case OpDelService:
			err = k.DelService(s)
		case OpAddDest:
			err = k.NewDestination(s, destToIPVS(op.Dest))
		case OpUpdateDest:
			err = k.UpdateDestination(s, destToIPVS(op.Dest))
		case OpDelDest:
			err = k.DelDestination(s, destToIPVS(op.Dest))
		default:
			err = fmt.Errorf("unknown op kind %d", op.Kind)
		}
		if err != nil {
			return applied, fmt.Errorf("%s: %w", op, err)
		}
		applied++
	}
	return applied, nil
}

// ActiveConns returns the active and inactive connection counts of one
// destination, for drain decisions.
func ActiveConns(k Kernel, svc ServiceKey, d DestKey) (active, inactive int, err error) {
	ds, err := k.GetDestinations(serviceToIPVS(Service{Key: svc}))
	if err != nil {
		return 0, 0, fmt.Errorf("list destinations of %s: %w", svc, err)
	}
	for _, x := range ds {
		dest, err := destFromIPVS(x)
		if err == nil && dest.Key() == d {
			return dest.ActiveConns, dest.InactConns, nil
		}
	}
	return 0, 0, fmt.Errorf("destination %s of %s: %w", d, svc, os.ErrNotExist)
}

func ipFromNet(ip net.IP) (netip.Addr, error) {
	if ip == nil {
		return netip.Addr{}, nil
	}
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}, fmt.Errorf("bad address %v", []byte(ip))
	}
	return a.Unmap(), nil
}

func serviceFromIPVS(s *ipvs.Service) (Service, error) {
	fam := Family(s.AddressFamily)
	k := ServiceKey{Family: fam, FWMark: s.FWMark}
	if s.FWMark == 0 {
		a, err := ipFromNet(s.Address)
		if err != nil {
			return Service{}, fmt.Errorf("service address: %w", err)
		}
		k.Proto, k.Addr, k.Port = Proto(s.Protocol), a, s.Port
	}
	svc := Service{
		Key:       k,
		Scheduler: s.SchedName,
		Flags:     s.Flags &^ FlagHashed,
		Timeout:   s.Timeout,
		Netmask:   netmaskFromKernel(fam, s.Netmask),
		Stats:     statsFrom(ipvs.SvcStats(s.Stats)),
	}
	return svc, nil
}

// The kernel keeps an IPv4 persistence netmask as a big-endian 32-bit
// mask, which moby/ipvs carries in host byte order; an IPv6 one is a prefix
// length.
func netmaskFromKernel(f Family, m uint32) int {
	if f == FamilyIPv6 {
		return int(m)
	}
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], m)
	return maskBits(netip.AddrFrom4(b))
}

func netmaskToKernel(f Family, bits int) uint32 {
	if bits <= 0 || bits > fullBits(f) {
		bits = fullBits(f)
	}
	if f == FamilyIPv6 {
		return uint32(bits)
	}
	var m uint32 = ^uint32(0) << (32 - bits)
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], m)
	return binary.NativeEndian.Uint32(b[:])
}

func serviceToIPVS(s Service) *ipvs.Service {
	out := &ipvs.Service{
		AddressFamily: uint16(s.Key.Family),
		FWMark:        s.Key.FWMark,
		SchedName:     s.Scheduler,
		Flags:         s.Flags &^ FlagHashed,
		Timeout:       s.Timeout,
		Netmask:       netmaskToKernel(s.Key.Family, s.Netmask),
	}
	if out.AddressFamily == 0 {
		out.AddressFamily = uint16(FamilyIPv4)
	}
	if s.Key.FWMark == 0 {
		out.Protocol = uint16(s.Key.Proto)
		out.Address = net.IP(s.Key.Addr.AsSlice())
		out.Port = s.Key.Port
	}
	return out
}

func destFromIPVS(d *ipvs.Destination) (Destination, error) {
	a, err := ipFromNet(d.Address)
	if err != nil {
		return Destination{}, err
	}
	return Destination{
		Addr:        a,
		Port:        d.Port,
		Weight:      d.Weight,
		Forward:     Forward(d.ConnectionFlags & ipvs.ConnectionFlagFwdMask),
		Upper:       d.UpperThreshold,
		Lower:       d.LowerThreshold,
		ActiveConns: d.ActiveConnections,
		InactConns:  d.InactiveConnections,
		Stats:       statsFrom(ipvs.SvcStats(d.Stats)),
	}, nil
}

func destToIPVS(d Destination) *ipvs.Destination {
	return &ipvs.Destination{
		Address:         net.IP(d.Addr.AsSlice()),
		Port:            d.Port,
		Weight:          d.Weight,
		ConnectionFlags: uint32(d.Forward) & ipvs.ConnectionFlagFwdMask,
		AddressFamily:   uint16(familyOf(d.Addr)),
		UpperThreshold:  d.Upper,
		LowerThreshold:  d.Lower,
	}
}

func statsFrom(s ipvs.SvcStats) Stats {
	return Stats{
		Conns: uint64(s.Connections), PacketsIn: uint64(s.PacketsIn), PacketsOut: uint64(s.PacketsOut),
		BytesIn: s.BytesIn, BytesOut: s.BytesOut,
		CPS: uint64(s.CPS), PPSIn: uint64(s.PPSIn), PPSOut: uint64(s.PPSOut),
		BPSIn: uint64(s.BPSIn), BPSOut: uint64(s.BPSOut),
	}
}

// KernelInfo returns the IPVS version and connection table size from the
// first line of /proc/net/ip_vs, for the header of FormatList.
func KernelInfo() (version string, size int, err error) {
	b, err := os.ReadFile("/proc/net/ip_vs")
	if err != nil {
		return "", 0, fmt.Errorf("read ipvs version: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if _, err := fmt.Sscanf(line, "IP Virtual Server version %s (size=%d)", &version, &size); err != nil {
		return "", 0, fmt.Errorf("parse ipvs version %q: %w", line, err)
	}
	return version, size, nil
}
