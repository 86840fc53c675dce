//go:build linux

package ipvssync

import (
	"slices"
	"sync"
	"syscall"

	"github.com/moby/ipvs"
)

// FakeKernel is an in-memory Kernel for tests. It reproduces the kernel
// behaviour measured against moby/ipvs (docs/notes/ipvs-kernel.md):
// EEXIST when a service or destination exists, ENOENT for a missing one or
// an unknown scheduler, the HASHED flag on every service read back, Masq
// read back as forwarding 0, EINVAL for an IPv6 netmask outside 1..128. It
// counts successful writes. Safe for concurrent use.
type FakeKernel struct {
	mu     sync.Mutex
	svcs   map[ServiceKey]*fakeSvc
	order  []ServiceKey // creation order, as the kernel's dump is unordered
	writes int
	cfg    ipvs.Config
	// Fail, when set, is called before each write with the op name
	// ("NewService", "UpdateDestination", ...); a non-nil result fails it.
	Fail func(op string, s *ipvs.Service, d *ipvs.Destination) error
}

type fakeSvc struct {
	s     ipvs.Service
	dests []*ipvs.Destination
}

// NewFakeKernel returns an empty fake with the kernel's default timeouts
// (900 s, 120 s, 300 s).
func NewFakeKernel() *FakeKernel {
	return &FakeKernel{
		svcs: map[ServiceKey]*fakeSvc{},
		cfg:  ipvs.Config{TimeoutTCP: 900e9, TimeoutTCPFin: 120e9, TimeoutUDP: 300e9},
	}
}

// Writes returns the number of successful writes so far.
func (f *FakeKernel) Writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

// SetConns sets the connection counters of a destination, as traffic
// would; it does not count as a write.
func (f *FakeKernel) SetConns(svc ServiceKey, d DestKey, active, inactive int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.svcs[svc]
	if !ok {
		return false
	}
	for _, x := range s.dests {
		if dk, _ := destFromIPVS(x); dk.Key() == d {
			x.ActiveConnections, x.InactiveConnections = active, inactive
			return true
		}
	}
	return false
}

var knownScheds = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf"}

func fakeKey(s *ipvs.Service) (ServiceKey, error) {
	svc, err := serviceFromIPVS(s)
	if err != nil {
		return ServiceKey{}, syscall.EINVAL
	}
	return svc.Key, nil
}

func (f *FakeKernel) check(op string, s *ipvs.Service, d *ipvs.Destination) error {
	if f.Fail != nil {
		return f.Fail(op, s, d)
	}
	return nil
}

func (f *FakeKernel) GetServices() ([]*ipvs.Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*ipvs.Service
	for _, k := range f.order {
		s := f.svcs[k].s
		s.Flags |= FlagHashed
		s.Address = slices.Clone(s.Address)
		if s.FWMark != 0 {
			s.Address, s.Protocol, s.Port = nil, 0, 0
		}
		out = append(out, &s)
	}
	return out, nil
}

func (f *FakeKernel) GetDestinations(s *ipvs.Service) ([]*ipvs.Destination, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, err := fakeKey(s)
	if err != nil {
		return nil, err
	}
	fs, ok := f.svcs[k]
	if !ok {
		return nil, syscall.ESRCH
	}
	var out []*ipvs.Destination
	for _, d := range fs.dests {
		c := *d
		c.Address = slices.Clone(d.Address)
		c.AddressFamily = uint16(k.Family)
		out = append(out, &c)
	}
	return out, nil
}

func (f *FakeKernel) validService(s *ipvs.Service) error {
	if !slices.Contains(knownScheds, s.SchedName) {
		return syscall.ENOENT
	}
	if Family(s.AddressFamily) == FamilyIPv6 && (s.Netmask < 1 || s.Netmask > 128) {
		return syscall.EINVAL
	}
	return nil
}

func (f *FakeKernel) NewService(s *ipvs.Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("NewService", s, nil); err != nil {
		return err
	}
	k, err := fakeKey(s)
	if err != nil {
		return err
	}
	if _, ok := f.svcs[k]; ok {
		return syscall.EEXIST
	}
	if err := f.validService(s); err != nil {
		return err
	}
	c := *s
	c.Flags &^= FlagHashed
	c.Address = slices.Clone(s.Address)
	f.svcs[k] = &fakeSvc{s: c}
	f.order = append(f.order, k)
	f.writes++
	return nil
}

func (f *FakeKernel) UpdateService(s *ipvs.Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("UpdateService", s, nil); err != nil {
		return err
	}
	k, err := fakeKey(s)
	if err != nil {
		return err
	}
	fs, ok := f.svcs[k]
	if !ok {
		return syscall.ESRCH
	}
	if err := f.validService(s); err != nil {
		return err
	}
	fs.s.SchedName, fs.s.Flags, fs.s.Timeout, fs.s.Netmask = s.SchedName, s.Flags&^FlagHashed, s.Timeout, s.Netmask
	f.writes++
	return nil
}

func (f *FakeKernel) DelService(s *ipvs.Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("DelService", s, nil); err != nil {
		return err
	}
	k, err := fakeKey(s)
	if err != nil {
		return err
	}
	if _, ok := f.svcs[k]; !ok {
		return syscall.ESRCH
	}
	delete(f.svcs, k)
	f.order = slices.DeleteFunc(f.order, func(x ServiceKey) bool { return x == k })
	f.writes++
	return nil
}

func (f *FakeKernel) findDest(s *ipvs.Service, d *ipvs.Destination) (*fakeSvc, int, error) {
	k, err := fakeKey(s)
	if err != nil {
		return nil, 0, err
	}
	fs, ok := f.svcs[k]
	if !ok {
		return nil, 0, syscall.ESRCH
	}
	want, err := destFromIPVS(d)
	if err != nil {
		return nil, 0, syscall.EINVAL
	}
	for i, x := range fs.dests {
		if got, _ := destFromIPVS(x); got.Key() == want.Key() {
			return fs, i, nil
		}
	}
	return fs, -1, nil
}

func (f *FakeKernel) NewDestination(s *ipvs.Service, d *ipvs.Destination) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("NewDestination", s, d); err != nil {
		return err
	}
	fs, i, err := f.findDest(s, d)
	if err != nil {
		return err
	}
	if i >= 0 {
		return syscall.EEXIST
	}
	c := *d
	c.Address = slices.Clone(d.Address)
	c.ConnectionFlags &= ipvs.ConnectionFlagFwdMask
	c.ActiveConnections, c.InactiveConnections, c.Stats = 0, 0, ipvs.DstStats{}
	fs.dests = append(fs.dests, &c)
	f.writes++
	return nil
}

func (f *FakeKernel) UpdateDestination(s *ipvs.Service, d *ipvs.Destination) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("UpdateDestination", s, d); err != nil {
		return err
	}
	fs, i, err := f.findDest(s, d)
	if err != nil {
		return err
	}
	if i < 0 {
		return syscall.ENOENT
	}
	x := fs.dests[i]
	x.Weight, x.ConnectionFlags = d.Weight, d.ConnectionFlags&ipvs.ConnectionFlagFwdMask
	x.UpperThreshold, x.LowerThreshold = d.UpperThreshold, d.LowerThreshold
	f.writes++
	return nil
}

func (f *FakeKernel) DelDestination(s *ipvs.Service, d *ipvs.Destination) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("DelDestination", s, d); err != nil {
		return err
	}
	fs, i, err := f.findDest(s, d)
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

func (f *FakeKernel) GetConfig() (*ipvs.Config, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cfg
	return &c, nil
}

// SetConfig changes the timeouts that are non-zero, like the kernel.
func (f *FakeKernel) SetConfig(c *ipvs.Config) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("SetConfig", nil, nil); err != nil {
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
