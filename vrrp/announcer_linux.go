package vrrp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// PacketAnnouncer is the Linux Announcer: an AF_PACKET socket on one
// interface that sends GratuitousARP frames from the interface's MAC,
// and for IPv6 addresses a raw ICMPv6 socket that sends UnsolicitedNA
// messages carrying the same MAC. It is safe for concurrent use.
type PacketAnnouncer struct {
	ifname string
	mac    net.HardwareAddr
	c      *packet.Conn
	na     *naSender
}

var _ Announcer = (*PacketAnnouncer)(nil)

// dropAll is a BPF program that accepts no packet: the socket only
// sends, so nothing should queue up in its receive buffer.
var dropAll = func() []bpf.RawInstruction {
	p, err := bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: 0}})
	if err != nil {
		panic(err)
	}
	return p
}()

// NewAnnouncer opens a raw packet socket on ifname, in the calling
// thread's network namespace. The MAC is read once: if the interface is
// replaced (new index or MAC), make a new Announcer. Errors keep
// errors.Is(err, os.ErrPermission) without CAP_NET_RAW.
func NewAnnouncer(ifname string) (*PacketAnnouncer, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("arp announcer on %s: %w", ifname, err)
	}
	if len(ifi.HardwareAddr) != 6 {
		return nil, fmt.Errorf("arp announcer on %s: hardware address %q: %w", ifname, ifi.HardwareAddr, ErrARPHardware)
	}
	c, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ARP, &packet.Config{Filter: dropAll})
	if err != nil {
		return nil, fmt.Errorf("arp announcer on %s: %w", ifname, err)
	}
	a := &PacketAnnouncer{ifname: ifname, mac: ifi.HardwareAddr, c: c, na: newNASender(ifi)}
	// Get the IPv6 sender ready now, so the first NA after becoming
	// master costs a send, not a socket and a netlink lookup. Failing
	// here (no usable link-local address yet, IPv6 off) only delays
	// that to the first IPv6 Announce, which tries again.
	a.na.mu.Lock()
	_ = a.na.prepare()
	a.na.mu.Unlock()
	return a, nil
}

// MAC returns the address the announcements carry.
func (a *PacketAnnouncer) MAC() net.HardwareAddr { return a.mac }

// Announce implements Announcer: one gratuitous ARP request for an IPv4
// ip, one unsolicited Neighbor Advertisement for an IPv6 one. The caller
// repeats it (keepalived: 5 at once, 5 more after 5 s). It returns
// ErrNAAddress for an IPv6 address that cannot be a target.
func (a *PacketAnnouncer) Announce(ip netip.Addr) error {
	if ip.Is6() && !ip.Is4In6() {
		if err := a.na.announce(ip); err != nil {
			return fmt.Errorf("neighbor advertisement %v on %s: %w", ip, a.ifname, err)
		}
		return nil
	}
	frame, err := GratuitousARP(a.mac, ip)
	if err != nil {
		return fmt.Errorf("arp announce %v on %s: %w", ip, a.ifname, err)
	}
	if _, err := a.c.WriteTo(frame, &packet.Addr{HardwareAddr: EthernetBroadcast}); err != nil {
		return fmt.Errorf("arp announce %v on %s: %w", ip, a.ifname, err)
	}
	return nil
}

// Close releases the sockets.
func (a *PacketAnnouncer) Close() error {
	if err := errors.Join(a.c.Close(), a.na.close()); err != nil {
		return fmt.Errorf("announcer on %s: close: %w", a.ifname, err)
	}
	return nil
}
