package vrrp

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// PacketAnnouncer is the Linux Announcer: an AF_PACKET socket on one
// interface that sends GratuitousARP frames from the interface's MAC.
// It is safe for concurrent use.
type PacketAnnouncer struct {
	ifname string
	mac    net.HardwareAddr
	c      *packet.Conn
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
	return &PacketAnnouncer{ifname: ifname, mac: ifi.HardwareAddr, c: c}, nil
}

// MAC returns the address the announcements carry.
func (a *PacketAnnouncer) MAC() net.HardwareAddr { return a.mac }

// Announce implements Announcer: one gratuitous ARP request for ip. The
// caller repeats it (keepalived: 5 at once, 5 more after 5 s). It
// returns ErrARPAddress for a non-IPv4 ip.
func (a *PacketAnnouncer) Announce(ip netip.Addr) error {
	frame, err := GratuitousARP(a.mac, ip)
	if err != nil {
		return fmt.Errorf("arp announce %v on %s: %w", ip, a.ifname, err)
	}
	if _, err := a.c.WriteTo(frame, &packet.Addr{HardwareAddr: EthernetBroadcast}); err != nil {
		return fmt.Errorf("arp announce %v on %s: %w", ip, a.ifname, err)
	}
	return nil
}

// Close releases the socket.
func (a *PacketAnnouncer) Close() error {
	if err := a.c.Close(); err != nil {
		return fmt.Errorf("arp announcer on %s: close: %w", a.ifname, err)
	}
	return nil
}
