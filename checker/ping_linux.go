package checker

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"golang.org/x/net/icmp"
)

// pingConn is an ICMP socket of either kind, with the destination bound.
type pingConn struct {
	*icmp.PacketConn
	dst net.Addr
}

// openPing opens an unprivileged ping socket (SOCK_DGRAM, allowed when
// the process's group is in net.ipv4.ping_group_range, which covers
// IPv6 too) and falls back to a raw ICMP socket (needs CAP_NET_RAW).
// keepalived instead widens ping_group_range itself; lbhad leaves the
// sysctl alone.
func openPing(dst, bind netip.Addr) (*pingConn, error) { return openPingAs(dst, bind, pingAuto) }

// pingMode chooses the socket: tests force each kind.
type pingMode int

const (
	pingAuto pingMode = iota
	pingDgram
	pingRaw
)

func openPingAs(dst, bind netip.Addr, mode pingMode) (*pingConn, error) {
	dgram, raw := "udp4", "ip4:icmp"
	if dst.Is6() {
		dgram, raw = "udp6", "ip6:ipv6-icmp"
	}
	local := ""
	if bind.IsValid() {
		local = bind.String()
	} else if dst.Is6() {
		local = "::"
	} else {
		local = "0.0.0.0"
	}
	ip := net.IP(dst.AsSlice())
	var err error
	if mode != pingRaw {
		var c *icmp.PacketConn
		if c, err = icmp.ListenPacket(dgram, local); err == nil {
			return &pingConn{PacketConn: c, dst: &net.UDPAddr{IP: ip, Zone: dst.Zone()}}, nil
		}
		if mode == pingDgram {
			return nil, fmt.Errorf("open ping socket: %w", err)
		}
	}
	c, rerr := icmp.ListenPacket(raw, local)
	if rerr == nil {
		return &pingConn{PacketConn: c, dst: &net.IPAddr{IP: ip, Zone: dst.Zone()}}, nil
	}
	if errors.Is(rerr, os.ErrPermission) {
		return nil, fmt.Errorf("no ICMP socket: ping sockets refused (%v; see net.ipv4.ping_group_range) and raw sockets need CAP_NET_RAW: %w", err, rerr)
	}
	return nil, fmt.Errorf("open ICMP socket: %w", rerr)
}

func (c *pingConn) send(b []byte) error {
	_, err := c.WriteTo(b, c.dst)
	return err
}

// recv returns one ICMP message and the address it came from.
func (c *pingConn) recv(b []byte) (int, netip.Addr, error) {
	n, from, err := c.ReadFrom(b)
	if err != nil {
		return 0, netip.Addr{}, err
	}
	var ip net.IP
	switch a := from.(type) {
	case *net.UDPAddr:
		ip = a.IP
	case *net.IPAddr:
		ip = a.IP
	}
	addr, _ := netip.AddrFromSlice(ip)
	return n, addr.Unmap(), nil
}
