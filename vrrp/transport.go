package vrrp

import (
	"errors"
	"net/netip"
)

// vrrpGroup is 224.0.0.18 (RFC 3768 §5.2.2), kept private here so the
// adapters do not depend on the core's files. Passing it to
// IPTransport.WriteTo in unicast mode means "every peer".
var vrrpGroup = netip.AddrFrom4([4]byte{224, 0, 0, 18})

// ErrNoIPv4 means an interface has no IPv4 address to send VRRP from.
// The daemon may retry once the interface is configured.
var ErrNoIPv4 = errors.New("interface has no ipv4 address")

// vrrpGroup6 is ff02::12 (RFC 5798 §5.1.2.2), the IPv6 group. As with
// vrrpGroup, passing it to WriteTo in unicast mode means "every peer".
var vrrpGroup6 = netip.MustParseAddr("ff02::12")

// isGroup reports whether dst names "the VRRP group" to the IPv6
// transport: ff02::12, or 224.0.0.18 from a caller that does not tell
// the families apart.
func isGroup(dst netip.Addr) bool { return dst == vrrpGroup6 || dst == vrrpGroup }

// ErrNoLinkLocal means an interface has no usable IPv6 link-local
// address (none yet, or only one still in duplicate address detection)
// to send VRRP over IPv6 from. As with ErrNoIPv4, the daemon may retry
// once the address is ready.
var ErrNoLinkLocal = errors.New("interface has no usable ipv6 link-local address")

// TransportOptions configures DialTransport.
type TransportOptions struct {
	// SrcIP is keepalived's unicast_src_ip: the source address of sent
	// adverts. The zero value means the interface's primary IPv4
	// address, which RFC 3768 §5.2.1 requires for multicast.
	SrcIP netip.Addr
	// UnicastPeers switches to keepalived's unicast mode: adverts go to
	// each peer instead of 224.0.0.18, the group is not joined, and only
	// packets whose source is a peer are accepted.
	UnicastPeers []netip.Addr
	// IPv6 opens the IPv6 transport (ff02::12, link-local source,
	// hop limit 255, traffic class 0xc0) instead of the IPv4 one.
	IPv6 bool
}

// recvVerdict says whether a received packet is handed to the core, and
// if not, why.
type recvVerdict int

const (
	recvAccept recvVerdict = iota
	// recvNoMeta: the kernel gave no control message, so the interface
	// and TTL (required by RFC 3768 §7.1) are unknown.
	recvNoMeta
	// recvOtherInterface: a raw socket sees protocol 112 from every
	// interface it is not bound to; one Transport serves one interface.
	recvOtherInterface
	// recvNotPeer: unicast mode accepts only configured peers, as
	// keepalived does.
	recvNotPeer
)

func (r recvVerdict) String() string {
	switch r {
	case recvAccept:
		return "accept"
	case recvNoMeta:
		return "no control message"
	case recvOtherInterface:
		return "other interface"
	case recvNotPeer:
		return "source is not a unicast peer"
	}
	return "unknown"
}

// recvFilter decides which received packets belong to a transport. It
// is the pure single step of IPTransport.ReadFrom.
type recvFilter struct {
	ifIndex int
	peers   map[netip.Addr]bool // nil in multicast mode
}

func newRecvFilter(ifIndex int, peers []netip.Addr) recvFilter {
	f := recvFilter{ifIndex: ifIndex}
	if len(peers) > 0 {
		f.peers = make(map[netip.Addr]bool, len(peers))
		for _, p := range peers {
			f.peers[p.Unmap().WithZone("")] = true
		}
	}
	return f
}

// check classifies a packet given what the kernel reported (ok is false
// when there was no control message). The TTL is reported, not checked:
// discarding TTL≠255 and counting it is the core's job.
func (f recvFilter) check(m RecvMeta, ok bool) recvVerdict {
	if !ok {
		return recvNoMeta
	}
	if m.IfIndex != f.ifIndex {
		return recvOtherInterface
	}
	if f.peers != nil && !f.peers[m.Src.Unmap().WithZone("")] {
		return recvNotPeer
	}
	return recvAccept
}
