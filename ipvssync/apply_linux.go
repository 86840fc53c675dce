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

	"github.com/moby/ipvs"
)

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
	newHandle = func() (Handle, error) { return openAt("") }
)

// openAt opens moby/ipvs and the hand-built destination messages' socket
// (tunnel attributes) on the IPVS table of the network namespace at
// nsPath ("" = the caller's).
func openAt(nsPath string) (Handle, error) {
	h, err := ipvs.New(nsPath)
	if err != nil {
		return nil, err
	}
	gen, err := OpenSyncDaemons(nsPath)
	if err != nil {
		h.Close()
		return nil, err
	}
	return mobyKernel{h: h, gen: gen}, nil
}

// OpenAt is Open for the network namespace at nsPath, for tools and
// tests that drive another namespace's table; unlike Open it does not
// load the module.
func OpenAt(nsPath string) (Handle, error) {
	h, err := openAt(nsPath)
	if err != nil {
		return nil, fmt.Errorf("%w: open ipvs netlink handle in %s: %w", ErrUnavailable, nsPath, err)
	}
	return h, nil
}

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
	return withBatches(h), nil
}

// mobyKernel is the Kernel over a moby/ipvs handle: the one place that
// converts between ipvssync's types and moby/ipvs's. gen, when set, is a
// second generic-netlink socket on the same table for what moby/ipvs
// cannot say: the tunnel type, port and flags of TUN destinations
// (tunnel_linux.go).
type mobyKernel struct {
	h   *ipvs.Handle
	gen *SyncDaemons
}

// FromMoby returns the Kernel (and Handle) over h, for callers that open
// their own moby/ipvs handle, e.g. in another network namespace. It has
// no socket for the tunnel attributes: TUN destinations read back as
// IPIP and writing a GUE or GRE one fails (use OpenAt for those).
func FromMoby(h *ipvs.Handle) Handle { return mobyKernel{h: h} }

func (m mobyKernel) Close() {
	m.h.Close()
	if m.gen != nil {
		m.gen.Close()
	}
}

func (m mobyKernel) GetServices() ([]Service, error) {
	svcs, err := m.h.GetServices()
	if err != nil {
		return nil, err
	}
	out := make([]Service, 0, len(svcs))
	for _, s := range svcs {
		svc, err := serviceFromIPVS(s)
		if err != nil {
			return nil, err
		}
		out = append(out, svc)
	}
	return out, nil
}

func (m mobyKernel) GetService(k ServiceKey) (Service, error) {
	s, err := m.h.GetService(serviceToIPVS(Service{Key: k}))
	if err != nil {
		return Service{}, err
	}
	return serviceFromIPVS(s)
}

func (m mobyKernel) GetDestinations(k ServiceKey) ([]Destination, error) {
	ds, err := m.h.GetDestinations(serviceToIPVS(Service{Key: k}))
	if err != nil {
		return nil, err
	}
	out := make([]Destination, 0, len(ds))
	for _, d := range ds {
		dest, err := destFromIPVS(d)
		if err != nil {
			return nil, fmt.Errorf("destination of %s: %w", k, err)
		}
		out = append(out, dest)
	}
	if err := m.readTunnels(k, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (m mobyKernel) NewService(s Service) error    { return m.h.NewService(serviceToIPVS(s)) }
func (m mobyKernel) UpdateService(s Service) error { return m.h.UpdateService(serviceToIPVS(s)) }
func (m mobyKernel) DelService(k ServiceKey) error {
	return m.h.DelService(serviceToIPVS(Service{Key: k}))
}

func (m mobyKernel) NewDestination(k ServiceKey, d Destination) error {
	if d.Forward == ForwardTunnel {
		return m.writeTunnel(false, k, d)
	}
	return m.h.NewDestination(serviceToIPVS(Service{Key: k}), destToIPVS(d))
}

func (m mobyKernel) UpdateDestination(k ServiceKey, d Destination) error {
	if d.Forward == ForwardTunnel {
		return m.writeTunnel(true, k, d)
	}
	return m.h.UpdateDestination(serviceToIPVS(Service{Key: k}), destToIPVS(d))
}

func (m mobyKernel) DelDestination(k ServiceKey, d DestKey) error {
	return m.h.DelDestination(serviceToIPVS(Service{Key: k}), destToIPVS(Destination{Addr: d.Addr, Port: d.Port}))
}

func (m mobyKernel) GetConfig() (KernelConfig, error) {
	c, err := m.h.GetConfig()
	if err != nil {
		return KernelConfig{}, err
	}
	return KernelConfig{TimeoutTCP: c.TimeoutTCP, TimeoutTCPFin: c.TimeoutTCPFin, TimeoutUDP: c.TimeoutUDP}, nil
}

func (m mobyKernel) SetConfig(c KernelConfig) error {
	return m.h.SetConfig(&ipvs.Config{TimeoutTCP: c.TimeoutTCP, TimeoutTCPFin: c.TimeoutTCPFin, TimeoutUDP: c.TimeoutUDP})
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
		Flags:     s.Flags,
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
