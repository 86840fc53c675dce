package ipvssync

import (
	"net/netip"
	"slices"
	"sync"
	"syscall"
)

// FakeKernel is an in-memory Kernel for tests, on any OS. It reproduces
// the kernel behaviour measured through moby/ipvs
// (docs/notes/ipvs-kernel.md): EEXIST when a service or destination
// exists, ENOENT for a missing destination or an unknown scheduler, the
// HASHED flag on every service read back, Masq read back as forwarding 0
// (ForwardMasq is 0), EINVAL for an IPv6 netmask outside 1..128; a missing
// service is ESRCH for GetService and the writes, and an empty
// destination dump, as the kernel's ip_vs_ctl.c answers. It counts
// successful writes and every read. Safe for concurrent use.
type FakeKernel struct {
	mu     sync.Mutex
	svcs   map[ServiceKey]*fakeSvc
	order  []ServiceKey // creation order, as the kernel's dump is unordered
	writes int
	reads  Reads
	cfg    KernelConfig
	// Fail, when set, is called before each write with the op name
	// ("NewService", "UpdateDestination", ...), the service and, for a
	// destination op, the destination; a non-nil result fails it.
	Fail func(op string, svc ServiceKey, d DestKey) error
}

type fakeSvc struct {
	s     Service
	dests []Destination
}

// NewFakeKernel returns an empty fake with the kernel's default timeouts
// (900 s, 120 s, 300 s).
func NewFakeKernel() *FakeKernel {
	return &FakeKernel{
		svcs: map[ServiceKey]*fakeSvc{},
		cfg:  KernelConfig{TimeoutTCP: 900e9, TimeoutTCPFin: 120e9, TimeoutUDP: 300e9},
	}
}

// Writes returns the number of successful writes so far.
func (f *FakeKernel) Writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

// Reads counts the read calls a FakeKernel answered, by kind: Dumps of
// the service list (GetServices), single service Gets (GetService) and
// destination dumps (GetDestinations, one per service).
type Reads struct {
	Dumps, Gets, DestDumps int
}

// Total is the number of netlink requests the reads made.
func (r Reads) Total() int { return r.Dumps + r.Gets + r.DestDumps }

// Sub is r minus an earlier count.
func (r Reads) Sub(earlier Reads) Reads {
	return Reads{r.Dumps - earlier.Dumps, r.Gets - earlier.Gets, r.DestDumps - earlier.DestDumps}
}

// Reads returns the read calls answered so far.
func (f *FakeKernel) Reads() Reads {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// SetConns sets the connection counters of a destination, as traffic
// would; it does not count as a write. It reports whether the
// destination exists.
func (f *FakeKernel) SetConns(svc ServiceKey, d DestKey, active, inactive int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.svcs[fakeKey(svc)]
	if !ok {
		return false
	}
	for i := range s.dests {
		if s.dests[i].Key() == d {
			s.dests[i].ActiveConns, s.dests[i].InactConns = active, inactive
			return true
		}
	}
	return false
}

// forwardMask is the kernel's IP_VS_CONN_F_FWD_MASK: the bits of a
// destination's connection flags that it keeps as the forwarding method.
const forwardMask Forward = 0x7

var knownScheds = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf"}

// fakeKey is k as the kernel identifies a service: a firewall-mark
// service by family and mark alone, an address family of 0 as IPv4.
func fakeKey(k ServiceKey) ServiceKey {
	if k.Family == 0 {
		k.Family = FamilyIPv4
	}
	if k.FWMark != 0 {
		k.Proto, k.Addr, k.Port = 0, netip.Addr{}, 0
	}
	k.Addr = k.Addr.Unmap()
	return k
}

func (f *FakeKernel) check(op string, svc ServiceKey, d DestKey) error {
	if f.Fail != nil {
		return f.Fail(op, svc, d)
	}
	return nil
}

func (f *FakeKernel) GetServices() ([]Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads.Dumps++
	out := make([]Service, 0, len(f.order))
	for _, k := range f.order {
		s := f.svcs[k].s
		s.Flags |= FlagHashed
		out = append(out, s)
	}
	return out, nil
}

// GetService returns one service, with the hashed flag the kernel adds.
func (f *FakeKernel) GetService(svc ServiceKey) (Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads.Gets++
	fs, ok := f.svcs[fakeKey(svc)]
	if !ok {
		return Service{}, syscall.ESRCH
	}
	s := fs.s
	s.Flags |= FlagHashed
	return s, nil
}

// GetDestinations of a missing service is an empty list, not an error:
// the kernel's destination dump ends without a message when it finds no
// service.
func (f *FakeKernel) GetDestinations(svc ServiceKey) ([]Destination, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads.DestDumps++
	fs, ok := f.svcs[fakeKey(svc)]
	if !ok {
		return nil, nil
	}
	return slices.Clone(fs.dests), nil
}

func validService(s Service) error {
	if !slices.Contains(knownScheds, s.Scheduler) {
		return syscall.ENOENT
	}
	if s.Key.Family == FamilyIPv6 && (s.Netmask < 1 || s.Netmask > 128) {
		return syscall.EINVAL
	}
	return nil
}

func (f *FakeKernel) NewService(s Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("NewService", s.Key, DestKey{}); err != nil {
		return err
	}
	k := fakeKey(s.Key)
	if _, ok := f.svcs[k]; ok {
		return syscall.EEXIST
	}
	if err := validService(s); err != nil {
		return err
	}
	s.Key, s.Flags, s.Stats = k, s.Flags&^FlagHashed, Stats{}
	f.svcs[k] = &fakeSvc{s: s}
	f.order = append(f.order, k)
	f.writes++
	return nil
}

func (f *FakeKernel) UpdateService(s Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("UpdateService", s.Key, DestKey{}); err != nil {
		return err
	}
	fs, ok := f.svcs[fakeKey(s.Key)]
	if !ok {
		return syscall.ESRCH
	}
	if err := validService(s); err != nil {
		return err
	}
	fs.s.Scheduler, fs.s.Flags, fs.s.Timeout, fs.s.Netmask = s.Scheduler, s.Flags&^FlagHashed, s.Timeout, s.Netmask
	f.writes++
	return nil
}

func (f *FakeKernel) DelService(svc ServiceKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("DelService", svc, DestKey{}); err != nil {
		return err
	}
	k := fakeKey(svc)
	if _, ok := f.svcs[k]; !ok {
		return syscall.ESRCH
	}
	delete(f.svcs, k)
	f.order = slices.DeleteFunc(f.order, func(x ServiceKey) bool { return x == k })
	f.writes++
	return nil
}

// findDest returns the service and the index of destination d in it, -1
// when absent.
func (f *FakeKernel) findDest(svc ServiceKey, d DestKey) (*fakeSvc, int, error) {
	fs, ok := f.svcs[fakeKey(svc)]
	if !ok {
		return nil, 0, syscall.ESRCH
	}
	d.Addr = d.Addr.Unmap()
	return fs, slices.IndexFunc(fs.dests, func(x Destination) bool { return x.Key() == d }), nil
}

// badTunnel is the kernel's check in ip_vs_add_dest and ip_vs_edit_dest:
// a GUE tunnel needs a port.
func badTunnel(d Destination) bool {
	return d.Forward&forwardMask == ForwardTunnel && d.TunType == TunnelGUE && d.TunPort == 0
}

func (f *FakeKernel) NewDestination(svc ServiceKey, d Destination) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("NewDestination", svc, d.Key()); err != nil {
		return err
	}
	fs, i, err := f.findDest(svc, d.Key())
	if err != nil {
		return err
	}
	if i >= 0 {
		return syscall.EEXIST
	}
	if badTunnel(d) {
		return syscall.EINVAL
	}
	d.Addr = d.Addr.Unmap()
	d.Forward &= forwardMask
	d.ActiveConns, d.InactConns, d.Stats = 0, 0, Stats{}
	fs.dests = append(fs.dests, d)
	f.writes++
	return nil
}

func (f *FakeKernel) UpdateDestination(svc ServiceKey, d Destination) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("UpdateDestination", svc, d.Key()); err != nil {
		return err
	}
	fs, i, err := f.findDest(svc, d.Key())
	if err != nil {
		return err
	}
	if i < 0 {
		return syscall.ENOENT
	}
	if badTunnel(d) {
		return syscall.EINVAL
	}
	x := &fs.dests[i]
	x.Weight, x.Forward = d.Weight, d.Forward&forwardMask
	x.Upper, x.Lower = d.Upper, d.Lower
	x.TunType, x.TunPort, x.TunFlags = d.TunType, d.TunPort, d.TunFlags
	f.writes++
	return nil
}

func (f *FakeKernel) DelDestination(svc ServiceKey, d DestKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("DelDestination", svc, d); err != nil {
		return err
	}
	fs, i, err := f.findDest(svc, d)
	if err != nil {
		return err
	}
	if i < 0 {
		return syscall.ENOENT
	}
	fs.dests = slices.Delete(fs.dests, i, i+1)
	f.writes++
	return nil
}

func (f *FakeKernel) GetConfig() (KernelConfig, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cfg, nil
}

// SetConfig changes the timeouts that are non-zero, like the kernel.
func (f *FakeKernel) SetConfig(c KernelConfig) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("SetConfig", ServiceKey{}, DestKey{}); err != nil {
		return err
	}
	if c.TimeoutTCP >= 1e9 {
		f.cfg.TimeoutTCP = c.TimeoutTCP
	}
	if c.TimeoutTCPFin >= 1e9 {
		f.cfg.TimeoutTCPFin = c.TimeoutTCPFin
	}
	if c.TimeoutUDP >= 1e9 {
		f.cfg.TimeoutUDP = c.TimeoutUDP
	}
	f.writes++
	return nil
}
