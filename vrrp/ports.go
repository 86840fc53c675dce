package vrrp

import (
	"context"
	"net/netip"
)

// The interfaces below are the seams between the pure protocol core and
// the Linux adapters. The instance driver uses them; *_linux.go files
// implement them; tests use the fakes in fake_test.go or package-level
// fakes.

// RecvMeta is what the IP layer tells about a received VRRP message.
// RFC 3768 §7.1 requires the TTL check, and the source address breaks
// priority ties, so the transport must report both.
type RecvMeta struct {
	Src     netip.Addr
	Dst     netip.Addr
	TTL     int
	IfIndex int
}

// Transport sends and receives VRRP messages (IP protocol 112) on one
// interface. One Transport serves every instance on that interface.
type Transport interface {
	// ReadFrom blocks until a VRRP message arrives and copies the VRRP
	// part (IP header stripped) into buf.
	ReadFrom(buf []byte) (n int, meta RecvMeta, err error)
	// WriteTo sends one VRRP message to dst (224.0.0.18 or a unicast
	// peer) with TTL 255 and TOS 0xc0.
	WriteTo(payload []byte, dst netip.Addr) error
	// Close unblocks ReadFrom and releases the socket.
	Close() error
}

// VIPAddr is one virtual address as it is put on an interface.
type VIPAddr struct {
	Prefix netip.Prefix
	Dev    string
	Label  string
	// Broadcast (IPv4 only) is the brd to set; invalid: derived from
	// the prefix. Scope is the kernel scope number, 0 being global.
	Broadcast netip.Addr
	Scope     uint8
}

// AddrManager adds and removes virtual addresses. Both calls are
// idempotent: adding a present address or removing an absent one is not
// an error, so a crash between the two steps never wedges the instance.
type AddrManager interface {
	Add(v VIPAddr) error
	Remove(v VIPAddr) error
}

// EarlyAdder is an AddrManager whose Add is AddNow then WaitUsable. A
// new master adds its VIPs with AddNow, sends its advert and first
// announcement, and waits only before it reports MASTER. The wait is
// for an IPv6 VIP's solicited-node group, which the kernel joins from a
// work queue (0.1 ms idle, over 10 ms on a busy host); it protects only
// a neighbour that solicits the VIP for the first time in that window,
// which no order of ours could protect, while every neighbour that knew
// the old master learns the new one from the unsolicited NA (and checks
// it by unicast). So the advert and the NA do not wait for it; the
// notify scripts and the status do, so a script started on MASTER finds
// the address answering.
type EarlyAdder interface {
	AddNow(v VIPAddr) error
	WaitUsable(v VIPAddr)
}

// Announcer sends one gratuitous ARP request for ip from the MAC of the
// interface it was made for.
type Announcer interface {
	Announce(ip netip.Addr) error
}

// LinkEvent reports that a tracked interface went up or down.
type LinkEvent struct {
	Name string
	Up   bool
}

// LinkWatcher reports the state of interfaces as it changes. The first
// events on the channel give the current state of every named interface.
type LinkWatcher interface {
	Watch(ctx context.Context, names []string) (<-chan LinkEvent, error)
}

// AddrWatcher reports that IPv4 or IPv6 addresses changed somewhere in
// the namespace (added, removed, out of duplicate address detection, or
// the watch had to be renewed and
// something may have changed). Events carry no detail: the Router looks
// up what it needs.
type AddrWatcher interface {
	WatchAddrs(ctx context.Context) (<-chan struct{}, error)
}
