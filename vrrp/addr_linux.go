package vrrp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// NetlinkAddrManager is the Linux AddrManager. It adds and removes
// exactly the address it is given (local address, prefix length and,
// if set, label), so it never disturbs the interface's own addresses.
type NetlinkAddrManager struct {
	h   *netlink.Handle
	log *zap.Logger

	// added remembers the ifindex each VIP was added on, so that Remove
	// still finds it after its device was renamed away (the name gone,
	// the device and the address still there and reachable).
	mu    sync.Mutex
	added map[addedKey]int

	// igmp6 is /proc/net/igmp6 of the manager's namespace (nil if it
	// could not be opened), read to see an IPv6 VIP's solicited-node
	// group joined (see addr6.go).
	igmp6Mu sync.Mutex
	igmp6   *os.File

	// ifreq is a datagram socket of the manager's namespace, used to
	// resolve a device name to its index (SIOCGIFINDEX); -1 if it could
	// not be opened, then netlink's full link request is used.
	ifreq int
}

var _ AddrManager = (*NetlinkAddrManager)(nil)

// addedKey is what the kernel tells addresses apart by: the prefix on a
// device. The label, broadcast and scope are attributes; leaving them
// out halves the map's entries (0.2 MB at 1,000 VIPs).
type addedKey struct {
	prefix netip.Prefix
	dev    string
}

func keyOf(v VIPAddr) addedKey { return addedKey{v.Prefix, v.Dev} }

// NewAddrManager opens a netlink socket in the calling thread's network
// namespace; every later call acts there, whichever goroutine makes it.
// log may be nil.
func NewAddrManager(log *zap.Logger) (*NetlinkAddrManager, error) {
	if log == nil {
		log = zap.NewNop()
	}
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("open netlink for virtual addresses: %w", err)
	}
	m := &NetlinkAddrManager{h: h, log: log.With(zap.String("component", "vrrp-addr")), added: map[addedKey]int{}, ifreq: -1}
	if fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err == nil {
		m.ifreq = fd
	}
	// A proc file belongs to the namespace of the thread that opens
	// it, so open it here, beside the netlink socket.
	if f, err := os.Open("/proc/thread-self/net/igmp6"); err == nil {
		m.igmp6 = f
	}
	return m, nil
}

// Close releases the netlink socket.
func (m *NetlinkAddrManager) Close() {
	m.h.Close()
	if m.igmp6 != nil {
		m.igmp6.Close()
	}
	if m.ifreq >= 0 {
		unix.Close(m.ifreq)
	}
}

// linkByName resolves a device name to a link holding just its name and
// index, which is all an address request needs. A new master adds its
// VIPs before its first advert, and netlink's link request (the whole
// link with its statistics, parsed) took 0.7–2.6 ms of the takeover
// where one ioctl takes microseconds; the kernel resolves the name at
// the moment of the call, as the link request does, so a re-created or
// renamed device is found the same way. (It also spares the garbage of
// parsing the whole link: about 9 kB per VIP at start and at stop.)
func (m *NetlinkAddrManager) linkByName(name string) (netlink.Link, error) {
	if m.ifreq < 0 {
		return m.h.LinkByName(name)
	}
	ifr, err := unix.NewIfreq(name)
	if err == nil {
		err = unix.IoctlIfreq(m.ifreq, unix.SIOCGIFINDEX, ifr)
	}
	if err != nil {
		// A missing device, a name too long (or a failing ioctl) takes
		// netlink's way, whose errors (LinkNotFoundError) callers know.
		return m.h.LinkByName(name)
	}
	return &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: name, Index: int(ifr.Uint32())}}, nil
}

// joinWait bounds how long Add waits for an IPv6 VIP's solicited-node
// group. The kernel's work queue normally joins it well within a
// millisecond, but the work needs the RTNL lock, and on a busy host
// (namespaces being torn down) that can take tens of milliseconds. A
// new master waits only before it reports MASTER (see EarlyAdder), and
// every other caller of Add only briefly, so the wait is kept short.
const joinWait = 10 * time.Millisecond

// joinSpin is how long waitJoined re-reads without sleeping. The join
// normally lands within a few hundred microseconds, and the runtime
// sleeps in whole milliseconds (its poller's timeout), so a sleep there
// cost the new master a millisecond or two before its first advert.
const joinSpin = time.Millisecond

// waitJoined waits until the solicited-node group of ip is joined on
// ifindex, so that the VIP answers neighbour solicitations from the
// moment Add returns. It gives up quietly after joinWait: the VIP is
// still usable, a neighbour may just wait a second for its answer.
func (m *NetlinkAddrManager) waitJoined(ifindex int, ip netip.Addr) {
	if m.igmp6 == nil {
		return
	}
	m.igmp6Mu.Lock()
	defer m.igmp6Mu.Unlock()
	group := solicitedNode(ip)
	start := time.Now()
	pause := 100 * time.Microsecond
	for {
		if _, err := m.igmp6.Seek(0, io.SeekStart); err != nil {
			return
		}
		b, err := io.ReadAll(m.igmp6)
		if err != nil {
			return
		}
		if igmp6Has(b, ifindex, group) {
			return
		}
		waited := time.Since(start)
		if waited > joinWait {
			m.log.Debug("solicited-node group not joined yet; going on", zap.Stringer("addr", ip),
				zap.Stringer("group", group), zap.Duration("waited", waited))
			return
		}
		if waited < joinSpin {
			runtime.Gosched()
			continue
		}
		time.Sleep(pause)
		pause = min(2*pause, 5*time.Millisecond)
	}
}

// nlAddr is v as netlink sends it. An IPv6 address goes with
// IFA_F_NODAD: a virtual address must be usable the moment the master
// takes it, not tentative for the second or more that duplicate address
// detection takes (and the other router, by design, may just have held
// it), as keepalived has it. The scope is v's (0, global, unless
// configured); an IPv4 address without a configured brd gets the one
// netlink derives from the prefix, as before brd could be set.
func nlAddr(v VIPAddr) *netlink.Addr {
	a := v.Prefix.Addr()
	na := &netlink.Addr{
		IPNet: &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(v.Prefix.Bits(), a.BitLen())},
		Label: v.Label,
		Scope: int(v.Scope),
	}
	if v.Broadcast.IsValid() {
		na.Broadcast = v.Broadcast.AsSlice()
	}
	if a.Is6() {
		na.Flags = unix.IFA_F_NODAD
	}
	return na
}

// family is v's netlink address family.
func family(v VIPAddr) int {
	if v.Prefix.Addr().Is6() {
		return netlink.FAMILY_V6
	}
	return netlink.FAMILY_V4
}

// Add puts v on its device and returns once it is usable: AddNow, then
// WaitUsable. It returns an error wrapping ErrVIPLabel, ErrVIPNotIPv4
// or ErrVIPNoDev for an invalid v, and keeps os.ErrPermission without
// CAP_NET_ADMIN.
func (m *NetlinkAddrManager) Add(v VIPAddr) error {
	if err := m.AddNow(v); err != nil {
		return err
	}
	m.WaitUsable(v)
	return nil
}

// AddNow puts v on its device. An address already present is not an
// error. An IPv6 address is added without duplicate address detection
// (see nlAddr) but may not answer neighbour solicitations for a moment
// yet (see WaitUsable).
func (m *NetlinkAddrManager) AddNow(v VIPAddr) error {
	if err := validateVIP(v); err != nil {
		return fmt.Errorf("add %v on %s: %w", v.Prefix, v.Dev, err)
	}
	link, err := m.linkByName(v.Dev)
	if err != nil {
		return fmt.Errorf("add %v on %s: %w", v.Prefix, v.Dev, err)
	}
	err = m.h.AddrAdd(link, nlAddr(v))
	if errors.Is(err, unix.EEXIST) {
		m.log.Debug("virtual address already present", zap.Stringer("addr", v.Prefix), zap.String("dev", v.Dev))
		err = nil
	}
	if err != nil {
		return fmt.Errorf("add %v on %s: %w", v.Prefix, v.Dev, err)
	}
	m.mu.Lock()
	m.added[keyOf(v)] = link.Attrs().Index
	m.mu.Unlock()
	return nil
}

// WaitUsable returns once an IPv6 v added by AddNow answers neighbour
// solicitations (its solicited-node group joined), or after joinWait;
// at once for IPv4 and for an address this manager did not add.
func (m *NetlinkAddrManager) WaitUsable(v VIPAddr) {
	if !v.Prefix.Addr().Is6() {
		return
	}
	m.mu.Lock()
	idx, ok := m.added[keyOf(v)]
	m.mu.Unlock()
	if ok {
		m.waitJoined(idx, v.Prefix.Addr())
	}
}

// renamedAway returns the device v was added on if it still exists
// under another name.
func (m *NetlinkAddrManager) renamedAway(v VIPAddr) netlink.Link {
	m.mu.Lock()
	idx, ok := m.added[keyOf(v)]
	m.mu.Unlock()
	if !ok {
		return nil
	}
	l, err := m.h.LinkByIndex(idx)
	if err != nil || l.Attrs().Name == v.Dev {
		return nil
	}
	return l
}

// Remove takes v off its device. An absent address or device is not
// an error. An address with the same IP but another prefix length, or
// (when v.Label is set) another label, is left alone.
func (m *NetlinkAddrManager) Remove(v VIPAddr) error {
	if err := validateVIP(v); err != nil {
		return fmt.Errorf("remove %v from %s: %w", v.Prefix, v.Dev, err)
	}
	link, err := m.linkByName(v.Dev)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		link = m.renamedAway(v)
		if link == nil {
			m.log.Debug("device of virtual address is gone", zap.Stringer("addr", v.Prefix), zap.String("dev", v.Dev))
			m.forget(v)
			return nil
		}
		err = nil
	}
	if err != nil {
		return fmt.Errorf("remove %v from %s: %w", v.Prefix, v.Dev, err)
	}
	defer m.forget(v)
	err = m.h.AddrDel(link, nlAddr(v))
	if errors.Is(err, unix.EADDRNOTAVAIL) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) {
		m.log.Debug("virtual address already absent", zap.Stringer("addr", v.Prefix), zap.String("dev", v.Dev))
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove %v from %s: %w", v.Prefix, v.Dev, err)
	}
	return nil
}

func (m *NetlinkAddrManager) forget(v VIPAddr) {
	m.mu.Lock()
	delete(m.added, keyOf(v))
	m.mu.Unlock()
}

// Present reports whether v is on its device: same address and prefix
// length, and the same label if v has one.
func (m *NetlinkAddrManager) Present(v VIPAddr) (bool, error) {
	if err := validateVIP(v); err != nil {
		return false, fmt.Errorf("look up %v on %s: %w", v.Prefix, v.Dev, err)
	}
	link, err := m.linkByName(v.Dev)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up %v on %s: %w", v.Prefix, v.Dev, err)
	}
	addrs, err := m.h.AddrList(link, family(v))
	if err != nil {
		return false, fmt.Errorf("look up %v on %s: %w", v.Prefix, v.Dev, err)
	}
	want := nlAddr(v)
	for _, a := range addrs {
		ones, _ := a.Mask.Size()
		if a.IP.Equal(want.IP) && ones == v.Prefix.Bits() && (v.Label == "" || a.Label == v.Label) {
			return true, nil
		}
	}
	return false, nil
}
