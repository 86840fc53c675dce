//go:build linux

package ipvssync

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// IPVS generic netlink commands and attributes (linux/ip_vs.h) for the
// writes, besides those persistconn.go already names.
const (
	ipvsCmdNewService = 1
	ipvsCmdSetService = 2
	ipvsCmdDelService = 3
	ipvsCmdDelDest    = 7

	svcAttrSchedName = 6
	svcAttrFlags     = 7
	svcAttrTimeout   = 8
	svcAttrNetmask   = 9
)

// appendRequest appends op as one IPVS request with seq to b, encoded as
// moby/ipvs encodes it (so the kernel sees what the single-request path
// sends): the service in full for service writes, its key otherwise.
func appendRequest(b []byte, family uint16, seq uint32, op Op) ([]byte, error) {
	s := toKernel(op.Service)
	var cmd uint8
	full := false
	switch op.Kind {
	case OpAddService:
		cmd, full = ipvsCmdNewService, true
	case OpUpdateService:
		cmd, full = ipvsCmdSetService, true
	case OpDelService:
		cmd = ipvsCmdDelService
	case OpAddDest:
		cmd = ipvsCmdNewDest
	case OpUpdateDest:
		cmd = ipvsCmdSetDest
	case OpDelDest:
		cmd = ipvsCmdDelDest
	default:
		return b, errUnknownOp(op.Kind)
	}
	if !full {
		s = toKernel(Service{Key: s.Key})
	}
	start := len(b)
	b = binary.NativeEndian.AppendUint32(b, 0) // length, set below
	b = binary.NativeEndian.AppendUint16(b, family)
	b = binary.NativeEndian.AppendUint16(b, unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0) // port id: the kernel fills it
	b = append(b, cmd, 1, 0, 0)                // genlmsghdr: cmd, version 1
	b = appendService(b, s)
	switch op.Kind {
	case OpAddDest, OpUpdateDest:
		b = appendDest(b, op.Dest.spec())
	case OpDelDest:
		b = appendDest(b, Destination{Addr: op.Dest.Addr, Port: op.Dest.Port})
	}
	binary.NativeEndian.PutUint32(b[start:], uint32(len(b)-start))
	return b, nil
}

// appendService appends the nested service attribute, as moby/ipvs's
// fillService: the key, then scheduler, flags (with a full mask),
// timeout and netmask.
func appendService(b []byte, s Service) []byte {
	nest := len(b)
	b = attrHeader(b, ipvsCmdAttrService)
	b = attrU16(b, svcAttrAF, uint16(s.Key.Family))
	if s.Key.FWMark != 0 {
		b = attrU32(b, svcAttrFWMark, s.Key.FWMark)
	} else {
		b = attrU16(b, svcAttrProtocol, uint16(s.Key.Proto))
		b = attrAddr(b, svcAttrAddr, s.Key.Addr)
		b = attrBE16(b, svcAttrPort, s.Key.Port)
	}
	b = attrString(b, svcAttrSchedName, s.Scheduler)
	a := len(b)
	b = attrHeader(b, svcAttrFlags)
	b = binary.NativeEndian.AppendUint32(b, s.Flags&^FlagHashed)
	b = binary.NativeEndian.AppendUint32(b, 0xFFFFFFFF)
	b = attrEnd(b, a)
	b = attrU32(b, svcAttrTimeout, s.Timeout)
	b = attrU32(b, svcAttrNetmask, netmaskToKernel(s.Key.Family, s.Netmask))
	return attrEnd(b, nest)
}

// appendDest appends the nested destination attribute, as moby/ipvs's
// fillDestination: without the address family attribute, so the kernel
// takes the service's. A TUN destination also carries its tunnel type,
// port and flags, as MarshalDest writes them: the kernel takes their
// absence for plain IPIP, so leaving them out would turn a GUE or GRE
// destination back into IPIP.
func appendDest(b []byte, d Destination) []byte {
	nest := len(b)
	b = attrHeader(b, ipvsCmdAttrDest)
	b = attrAddr(b, destAttrAddr, d.Addr)
	b = attrBE16(b, destAttrPort, d.Port)
	b = attrU32(b, destAttrFwdMethod, uint32(d.Forward)&0x7)
	b = attrU32(b, destAttrWeight, uint32(d.Weight))
	b = attrU32(b, destAttrUThresh, d.Upper)
	b = attrU32(b, destAttrLThresh, d.Lower)
	if d.Forward&forwardMask == ForwardTunnel {
		b = attrU8(b, destAttrTunType, uint8(d.TunType))
		b = attrBE16(b, destAttrTunPort, d.TunPort)
		b = attrU16(b, destAttrTunFlags, d.TunFlags)
	}
	return attrEnd(b, nest)
}

func attrU8(b []byte, typ uint16, v uint8) []byte {
	a := len(b)
	b = attrHeader(b, typ)
	return attrEnd(append(b, v), a)
}

// Netlink attributes: a 4-byte header (length, type), the value, padding
// to 4 bytes; the length counts header and value, not the padding.
func attrHeader(b []byte, typ uint16) []byte {
	b = binary.NativeEndian.AppendUint16(b, 0)
	return binary.NativeEndian.AppendUint16(b, typ)
}

// attrEnd sets the length of the attribute begun at start and pads it.
func attrEnd(b []byte, start int) []byte {
	binary.NativeEndian.PutUint16(b[start:], uint16(len(b)-start))
	for (len(b)-start)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func attrU16(b []byte, typ uint16, v uint16) []byte {
	a := len(b)
	b = attrHeader(b, typ)
	return attrEnd(binary.NativeEndian.AppendUint16(b, v), a)
}

func attrBE16(b []byte, typ uint16, v uint16) []byte {
	a := len(b)
	b = attrHeader(b, typ)
	return attrEnd(binary.BigEndian.AppendUint16(b, v), a)
}

func attrU32(b []byte, typ uint16, v uint32) []byte {
	a := len(b)
	b = attrHeader(b, typ)
	return attrEnd(binary.NativeEndian.AppendUint32(b, v), a)
}

// attrAddr appends ip as the kernel takes it: 4 bytes for IPv4, 16 for
// IPv6 (without AsSlice, which allocates).
func attrAddr(b []byte, typ uint16, ip netip.Addr) []byte {
	a := len(b)
	b = attrHeader(b, typ)
	if ip = ip.Unmap(); ip.Is4() {
		v := ip.As4()
		b = append(b, v[:]...)
	} else if ip.Is6() {
		v := ip.As16()
		b = append(b, v[:]...)
	}
	return attrEnd(b, a)
}

func attrString(b []byte, typ uint16, s string) []byte {
	a := len(b)
	b = attrHeader(b, typ)
	b = append(b, s...)
	return attrEnd(append(b, 0), a)
}
