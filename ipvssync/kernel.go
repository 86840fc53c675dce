package ipvssync

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// Kernel is the kernel's IPVS table as Apply and Read see it, in this
// package's own types: the Linux adapter (Open, FromMoby) converts to and
// from github.com/moby/ipvs, and FakeKernel models it in memory, so
// everything above the adapter builds and tests on any OS.
//
// What crosses the interface is what the kernel takes and reports, not yet
// normalised: services read back carry FlagHashed, a service's Netmask is
// a prefix length (the adapter encodes an IPv4 one as the kernel's mask)
// and is validated by the kernel, a firewall-mark service's key has no
// protocol, address or port. Errors are the kernel's errno values
// (syscall.Errno), e.g. EEXIST for an existing service or destination.
//
// GetService reads one service by its key; a missing one is ESRCH, as the
// kernel answers IPVS_CMD_GET_SERVICE (docs/notes/moby-ipvs.md). With
// GetDestinations it is the read of one service that an incremental Sync
// makes instead of the whole table.
type Kernel interface {
	GetServices() ([]Service, error)
	GetService(ServiceKey) (Service, error)
	GetDestinations(ServiceKey) ([]Destination, error)
	NewService(Service) error
	UpdateService(Service) error
	DelService(ServiceKey) error
	NewDestination(ServiceKey, Destination) error
	UpdateDestination(ServiceKey, Destination) error
	DelDestination(ServiceKey, DestKey) error
	GetConfig() (KernelConfig, error)
	SetConfig(KernelConfig) error
}

// KernelConfig holds the connection timeouts of `ipvsadm --set`; they are
// whole seconds in the kernel, and a zero one is left unchanged by
// SetConfig.
type KernelConfig struct {
	TimeoutTCP, TimeoutTCPFin, TimeoutUDP time.Duration
}

// Handle is a Kernel that must be closed: what Open returns.
type Handle interface {
	Kernel
	Close()
}

// ErrUnavailable is wrapped by Open when the kernel has no usable IPVS
// (and always on systems other than Linux).
var ErrUnavailable = errors.New("IPVS is not available")

// SetTimeouts sets the connection timeouts like `ipvsadm --set tcp tcpfin
// udp`; a zero duration leaves that timeout unchanged. Timeouts are whole
// seconds.
func SetTimeouts(k Kernel, tcp, tcpFin, udp time.Duration) error {
	if err := k.SetConfig(KernelConfig{TimeoutTCP: tcp, TimeoutTCPFin: tcpFin, TimeoutUDP: udp}); err != nil {
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
// one per service for its destinations), with the hashed flag masked.
func Read(k Kernel) (Table, error) {
	svcs, err := k.GetServices()
	if err != nil {
		return nil, fmt.Errorf("list ipvs services: %w", err)
	}
	t := make(Table, len(svcs))
	for _, svc := range svcs {
		ds, err := k.GetDestinations(svc.Key)
		if err != nil {
			return nil, fmt.Errorf("list destinations of %s: %w", svc.Key, err)
		}
		t[svc.Key] = entryOf(svc, ds)
	}
	return t, nil
}

// entryOf is the table entry of a service read back with its
// destinations, the hashed flag masked.
func entryOf(svc Service, ds []Destination) ServiceEntry {
	svc.Flags &^= FlagHashed
	e := ServiceEntry{Service: svc, Dests: make(map[DestKey]Destination, len(ds))}
	for _, d := range ds {
		e.Dests[d.Key()] = d
	}
	return e
}

// ReadServices returns the part of the kernel's table made of the
// services keys names: for each, one service get and, when it exists, one
// destination dump. A service the kernel does not have (ESRCH) is absent
// from the result. The hashed flag is masked, as in Read.
func ReadServices(k Kernel, keys []ServiceKey) (Table, error) {
	t := make(Table, len(keys))
	for _, key := range keys {
		svc, err := k.GetService(key)
		if errors.Is(err, syscall.ESRCH) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("get ipvs service %s: %w", key, err)
		}
		ds, err := k.GetDestinations(svc.Key)
		if err != nil {
			return nil, fmt.Errorf("list destinations of %s: %w", svc.Key, err)
		}
		t[svc.Key] = entryOf(svc, ds)
	}
	return t, nil
}

// Apply performs ops in order and stops at the first failure, returning
// how many succeeded and the error wrapped with the op, e.g. "add
// destination 192.0.2.7:80 to tcp 192.0.2.50:80: file exists". On a
// handle from Open, ops go to the kernel in batches (several requests per
// netlink send, one acknowledgement each); there an op after a failing
// one in the same batch may have been done too, and the error says how
// many others failed (see applyOps).
func Apply(k Kernel, ops []Op) (applied int, err error) {
	return applyOps(k, ops, nil)
}

// toKernel is s as written to the kernel: without the hashed flag, which
// only the kernel sets, and with an unset or impossible netmask made the
// full one (per client address), which the kernel also accepts for a
// service that is not persistent.
func toKernel(s Service) Service {
	s.Flags &^= FlagHashed
	if s.Key.Family == 0 {
		s.Key.Family = FamilyIPv4
	}
	if s.Netmask <= 0 || s.Netmask > fullBits(s.Key.Family) {
		s.Netmask = fullBits(s.Key.Family)
	}
	s.Stats = Stats{}
	return s
}

// ActiveConns returns the active and inactive connection counts of one
// destination, for drain decisions. A missing destination is an error
// wrapping os.ErrNotExist.
func ActiveConns(k Kernel, svc ServiceKey, d DestKey) (active, inactive int, err error) {
	ds, err := k.GetDestinations(svc)
	if err != nil {
		return 0, 0, fmt.Errorf("list destinations of %s: %w", svc, err)
	}
	for _, x := range ds {
		if x.Key() == d {
			return x.ActiveConns, x.InactConns, nil
		}
	}
	return 0, 0, fmt.Errorf("destination %s of %s: %w", d, svc, os.ErrNotExist)
}
