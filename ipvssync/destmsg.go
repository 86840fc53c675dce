package ipvssync

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Destination messages with the tunnel attributes. moby/ipvs v1.1.0
// neither sends nor decodes IPVS_DEST_ATTR_TUN_TYPE, _TUN_PORT and
// _TUN_FLAGS (Linux 5.2+), so a TUN destination with a GUE or GRE
// encapsulation is written with a NEW_DEST or SET_DEST built here, and
// read back from a GET_DEST dump decoded here, like the sync daemon's and
// the persistent-connection messages: pure, without a socket, so tested
// without root. Layout: linux/include/uapi/linux/ip_vs.h
// (docs/notes/ipvs-tunnel.md).
const (
	ipvsCmdNewDest = 5
	ipvsCmdSetDest = 6

	destAttrFwdMethod   = 3  // u32, IP_VS_CONN_F_FWD_MASK bits
	destAttrWeight      = 4  // u32
	destAttrUThresh     = 5  // u32
	destAttrLThresh     = 6  // u32
	destAttrActiveConns = 7  // u32
	destAttrInactConns  = 8  // u32
	destAttrTunType     = 13 // u8
	destAttrTunPort     = 14 // be16
	destAttrTunFlags    = 15 // u16
)

// serviceAttrs is the nested IPVS_CMD_ATTR_SERVICE that names k, as the
// kernel's ip_vs_genl_parse_service reads it for a destination command:
// family, then the mark or protocol, address and port.
func serviceAttrs(k ServiceKey) attrs {
	fam := k.Family
	if fam == 0 {
		fam = FamilyIPv4
	}
	in := attrs(nil).u16(svcAttrAF, uint16(fam))
	if k.FWMark != 0 {
		return in.u32(svcAttrFWMark, k.FWMark)
	}
	addr := k.Addr.AsSlice()
	if fam == FamilyIPv6 {
		a16 := k.Addr.As16()
		addr = a16[:]
	}
	return in.u16(svcAttrProtocol, uint16(k.Proto)).put(svcAttrAddr, addr).put(svcAttrPort|nlaFNetOrder, be16(k.Port))
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// MarshalDest returns the payload (genlmsghdr and attributes) of
// IPVS_CMD_NEW_DEST, or IPVS_CMD_SET_DEST when update is set, writing d
// to the service k: every attribute the kernel requires of a full
// destination (address, port, method, weight, thresholds) and, for a
// tunnel, its type, port and flags.
func MarshalDest(update bool, k ServiceKey, d Destination) []byte {
	cmd := uint8(ipvsCmdNewDest)
	if update {
		cmd = ipvsCmdSetDest
	}
	a := d.Addr.Unmap()
	fam := familyOf(a)
	addr := a.AsSlice()
	in := attrs(nil).
		put(destAttrAddr, addr).
		u16(destAttrAddrFamily, uint16(fam)).
		put(destAttrPort|nlaFNetOrder, be16(d.Port)).
		u32(destAttrFwdMethod, uint32(d.Forward&forwardMask)).
		u32(destAttrWeight, uint32(int32(d.Weight))).
		u32(destAttrUThresh, d.Upper).
		u32(destAttrLThresh, d.Lower)
	if d.Forward&forwardMask == ForwardTunnel {
		in = in.put(destAttrTunType, []byte{byte(d.TunType)}).
			put(destAttrTunPort|nlaFNetOrder, be16(d.TunPort)).
			u16(destAttrTunFlags, d.TunFlags)
	}
	return attrs(genlHeader(cmd)).
		put(ipvsCmdAttrService|nlaFNested, serviceAttrs(k)).
		put(ipvsCmdAttrDest|nlaFNested, in)
}

// UnmarshalDest decodes one message of a GET_DEST dump (the payload after
// the nlmsghdr) into a Destination, tunnel attributes included; counters
// other than the connection counts are left zero. family is the
// service's, used when the kernel does not name the destination's. It
// returns ErrMalformed for a truncated message or one without the
// address, port, method or weight.
func UnmarshalDest(msg []byte, family Family) (Destination, error) {
	var d Destination
	if len(msg) < 4 {
		return d, fmt.Errorf("%w: %d bytes, shorter than a genl header", ErrMalformed, len(msg))
	}
	top, err := parseAttrs(msg[4:])
	if err != nil {
		return d, err
	}
	a, err := parseAttrs(top[ipvsCmdAttrDest])
	if err != nil {
		return d, err
	}
	if f := a[destAttrAddrFamily]; len(f) == 2 {
		family = Family(binary.NativeEndian.Uint16(f))
	}
	addr, port := a[destAttrAddr], a[destAttrPort]
	if len(port) != 2 || len(addr) < 4 || len(a[destAttrFwdMethod]) != 4 || len(a[destAttrWeight]) != 4 {
		return d, fmt.Errorf("%w: destination without address, port, method or weight", ErrMalformed)
	}
	if family == FamilyIPv6 {
		if len(addr) < 16 {
			return d, fmt.Errorf("%w: IPv6 destination address of %d bytes", ErrMalformed, len(addr))
		}
		// An IPv4-mapped address is IPv4 here, as familyOf and
		// MarshalDest take it: kept mapped, it would never match the
		// desired destination, nor decode the same after MarshalDest.
		d.Addr = netip.AddrFrom16([16]byte(addr[:16])).Unmap()
	} else {
		d.Addr = netip.AddrFrom4([4]byte(addr[:4]))
	}
	u32 := func(typ uint16) uint32 {
		if v := a[typ]; len(v) == 4 {
			return binary.NativeEndian.Uint32(v)
		}
		return 0
	}
	d.Port = binary.BigEndian.Uint16(port)
	d.Forward = Forward(u32(destAttrFwdMethod)) & forwardMask
	d.Weight = int(int32(u32(destAttrWeight)))
	d.Upper, d.Lower = u32(destAttrUThresh), u32(destAttrLThresh)
	d.ActiveConns, d.InactConns = int(u32(destAttrActiveConns)), int(u32(destAttrInactConns))
	if v := a[destAttrTunType]; len(v) >= 1 {
		d.TunType = TunnelType(v[0])
	}
	if v := a[destAttrTunPort]; len(v) == 2 {
		d.TunPort = binary.BigEndian.Uint16(v)
	}
	if v := a[destAttrTunFlags]; len(v) == 2 {
		d.TunFlags = binary.NativeEndian.Uint16(v)
	}
	return d, nil
}
