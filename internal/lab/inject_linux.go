package lab

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// Injector writes hand-made frames onto the segment from the spare node,
// for tests that feed daemons malformed or forged packets.
type Injector struct {
	Node *Node
	conn *packet.Conn
	ifi  *net.Interface
}

// Injector opens a raw AF_PACKET socket on the spare node's eth0.
func (l *Lab) Injector() (*Injector, error) {
	in := &Injector{Node: l.Spare}
	err := InNS(l.Spare.NS, func() error {
		ifi, err := net.InterfaceByName(l.Spare.Dev)
		if err != nil {
			return fmt.Errorf("find %s: %w", l.Spare.Dev, err)
		}
		c, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, nil)
		if err != nil {
			return fmt.Errorf("open packet socket on %s: %w", l.Spare.Dev, err)
		}
		in.conn, in.ifi = c, ifi
		return nil
	})
	if err != nil {
		return nil, err
	}
	return in, nil
}

// SendFrame writes one complete Ethernet frame.
func (in *Injector) SendFrame(frame []byte) error {
	dst := &packet.Addr{HardwareAddr: net.HardwareAddr(frame[0:6])}
	if _, err := in.conn.WriteTo(frame, dst); err != nil {
		return fmt.Errorf("inject frame: %w", err)
	}
	return nil
}

// SendIP sends an IPv4 packet (built with IPv4, any field wrong as
// wished) to the VRRP group MAC if dst is multicast, or to dstMAC.
func (in *Injector) SendIP(ipPacket []byte, dstMAC net.HardwareAddr) error {
	if dstMAC == nil {
		dstMAC = VRRPMulticastMAC
	}
	return in.SendFrame(Ethernet(dstMAC, in.Node.MAC, 0x0800, ipPacket))
}

// SendAdvert sends advert a from src with the given TTL to 224.0.0.18.
func (in *Injector) SendAdvert(src netip.Addr, ttl uint8, a Advert) error {
	return in.SendIP(IPv4(src, VRRPMulticast, ttl, 112, 1, a.Marshal()), nil)
}

// Close closes the socket.
func (in *Injector) Close() error { return in.conn.Close() }
