package vrrp

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
)

// Gratuitous ARP (RFC 5227 §3, RFC 3768 §8.1.1) tells the LAN that a
// virtual address moved to this MAC. The frame matches what keepalived
// sends, so switches and hosts that already cope with keepalived cope
// with us: an ARP request (opcode 1) to the Ethernet broadcast address
// with sender IP = target IP = the virtual address and target MAC
// ff:ff:ff:ff:ff:ff.

// ARP frame layout constants (Ethernet II + ARP for IPv4 over Ethernet).
const (
	ethHeaderLen  = 14
	arpPayloadLen = 28
	// ARPFrameLen is the length of the frame GratuitousARP builds; the
	// NIC pads it to the Ethernet minimum.
	ARPFrameLen = ethHeaderLen + arpPayloadLen

	etherTypeARP  = 0x0806
	etherTypeIPv4 = 0x0800
	arpHTypeEther = 1

	// ARPRequest and ARPReply are the ARP opcodes (RFC 826).
	ARPRequest uint16 = 1
	ARPReply   uint16 = 2
)

// Errors returned by ParseARP and GratuitousARP.
var (
	ErrARPShort       = errors.New("arp frame too short")
	ErrARPNotARP      = errors.New("ethernet frame is not arp")
	ErrARPUnsupported = errors.New("arp frame is not ipv4 over ethernet")
	ErrARPHardware    = errors.New("invalid ethernet hardware address")
	ErrARPAddress     = errors.New("arp address is not ipv4")
)

// EthernetBroadcast is ff:ff:ff:ff:ff:ff.
var EthernetBroadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// ARPFrame is an Ethernet frame carrying an IPv4-over-Ethernet ARP
// packet. It exists mainly so tests can check captured frames field by
// field.
type ARPFrame struct {
	EthDst    net.HardwareAddr
	EthSrc    net.HardwareAddr
	Operation uint16
	SenderMAC net.HardwareAddr
	SenderIP  netip.Addr
	TargetMAC net.HardwareAddr
	TargetIP  netip.Addr
}

// GratuitousARP builds the full Ethernet frame announcing ip at mac.
// It returns ErrARPHardware if mac is not a 6-byte MAC and ErrARPAddress
// if ip is not IPv4.
func GratuitousARP(mac net.HardwareAddr, ip netip.Addr) ([]byte, error) {
	f := ARPFrame{
		EthDst:    EthernetBroadcast,
		EthSrc:    mac,
		Operation: ARPRequest,
		SenderMAC: mac,
		SenderIP:  ip,
		TargetMAC: EthernetBroadcast,
		TargetIP:  ip,
	}
	return f.MarshalBinary()
}

// MarshalBinary encodes f as a 42-byte frame. It returns ErrARPHardware
// for a MAC that is not 6 bytes and ErrARPAddress for a non-IPv4 address.
func (f ARPFrame) MarshalBinary() ([]byte, error) {
	for _, m := range []net.HardwareAddr{f.EthDst, f.EthSrc, f.SenderMAC, f.TargetMAC} {
		if len(m) != 6 {
			return nil, ErrARPHardware
		}
	}
	if !f.SenderIP.Is4() || !f.TargetIP.Is4() {
		return nil, ErrARPAddress
	}
	b := make([]byte, ARPFrameLen)
	copy(b[0:6], f.EthDst)
	copy(b[6:12], f.EthSrc)
	binary.BigEndian.PutUint16(b[12:14], etherTypeARP)
	a := b[ethHeaderLen:]
	binary.BigEndian.PutUint16(a[0:2], arpHTypeEther)
	binary.BigEndian.PutUint16(a[2:4], etherTypeIPv4)
	a[4] = 6
	a[5] = 4
	binary.BigEndian.PutUint16(a[6:8], f.Operation)
	copy(a[8:14], f.SenderMAC)
	sip := f.SenderIP.As4()
	copy(a[14:18], sip[:])
	copy(a[18:24], f.TargetMAC)
	tip := f.TargetIP.As4()
	copy(a[24:28], tip[:])
	return b, nil
}

// UnmarshalBinary decodes an Ethernet II frame holding an IPv4 ARP
// packet; trailing bytes (Ethernet padding) are ignored. It returns
// ErrARPShort, ErrARPNotARP or ErrARPUnsupported.
func (f *ARPFrame) UnmarshalBinary(b []byte) error {
	if len(b) < ethHeaderLen {
		return ErrARPShort
	}
	if binary.BigEndian.Uint16(b[12:14]) != etherTypeARP {
		return ErrARPNotARP
	}
	if len(b) < ARPFrameLen {
		return ErrARPShort
	}
	a := b[ethHeaderLen:]
	if binary.BigEndian.Uint16(a[0:2]) != arpHTypeEther ||
		binary.BigEndian.Uint16(a[2:4]) != etherTypeIPv4 || a[4] != 6 || a[5] != 4 {
		return ErrARPUnsupported
	}
	mac := func(p []byte) net.HardwareAddr { return append(net.HardwareAddr(nil), p[:6]...) }
	*f = ARPFrame{
		EthDst:    mac(b[0:6]),
		EthSrc:    mac(b[6:12]),
		Operation: binary.BigEndian.Uint16(a[6:8]),
		SenderMAC: mac(a[8:14]),
		SenderIP:  netip.AddrFrom4([4]byte(a[14:18])),
		TargetMAC: mac(a[18:24]),
		TargetIP:  netip.AddrFrom4([4]byte(a[24:28])),
	}
	return nil
}

// ParseARP decodes frame; see ARPFrame.UnmarshalBinary for its errors.
func ParseARP(frame []byte) (ARPFrame, error) {
	var f ARPFrame
	err := f.UnmarshalBinary(frame)
	return f, err
}

// IsGratuitous reports whether f announces an address the way
// GratuitousARP does: a request whose sender and target IP are equal.
func (f ARPFrame) IsGratuitous() bool {
	return f.Operation == ARPRequest && f.SenderIP == f.TargetIP
}
