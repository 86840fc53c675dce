package ipvssync

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Persistent-connection counts, for `lbhad ipvs list --persistent-conn`
// (ipvsadm's PersistConn column): the kernel sends them with every
// destination (IPVS_DEST_ATTR_PERSIST_CONNS), but moby/ipvs does not
// decode that attribute, so the GET_DEST dump is built and read here,
// like the sync daemon's messages, without a socket.
const (
	ipvsCmdGetDest = 8

	ipvsCmdAttrService = 1
	ipvsCmdAttrDest    = 2

	svcAttrAF       = 1
	svcAttrProtocol = 2
	svcAttrAddr     = 3
	svcAttrPort     = 4
	svcAttrFWMark   = 5

	destAttrAddr         = 1
	destAttrPort         = 2
	destAttrPersistConns = 9
	destAttrAddrFamily   = 11
)

// MarshalGetDests returns the payload of the IPVS_CMD_GET_DEST dump
// (genlmsghdr and attributes) for the service k.
func MarshalGetDests(k ServiceKey) []byte {
	return attrs(genlHeader(ipvsCmdGetDest)).put(ipvsCmdAttrService|nlaFNested, serviceAttrs(k))
}

// UnmarshalDestPersistConns decodes one message of a GET_DEST dump into
// the destination's key and its persistent-connection count. family is
// the service's, used when the kernel does not name the destination's.
// It returns ErrMalformed for a truncated message or one without the
// address, port or count.
func UnmarshalDestPersistConns(msg []byte, family Family) (DestKey, uint32, error) {
	if len(msg) < 4 {
		return DestKey{}, 0, fmt.Errorf("%w: %d bytes", ErrMalformed, len(msg))
	}
	top, err := parseAttrs(msg[4:])
	if err != nil {
		return DestKey{}, 0, err
	}
	d, err := parseAttrs(top[ipvsCmdAttrDest])
	if err != nil {
		return DestKey{}, 0, err
	}
	if f := d[destAttrAddrFamily]; len(f) == 2 {
		family = Family(binary.NativeEndian.Uint16(f))
	}
	addr, port, pc := d[destAttrAddr], d[destAttrPort], d[destAttrPersistConns]
	if len(port) != 2 || len(pc) != 4 || len(addr) < 4 {
		return DestKey{}, 0, fmt.Errorf("%w: destination without address, port or persistent count", ErrMalformed)
	}
	var a netip.Addr
	if family == FamilyIPv6 {
		if len(addr) < 16 {
			return DestKey{}, 0, fmt.Errorf("%w: IPv6 destination address of %d bytes", ErrMalformed, len(addr))
		}
		a = netip.AddrFrom16([16]byte(addr[:16]))
	} else {
		a = netip.AddrFrom4([4]byte(addr[:4]))
	}
	return DestKey{Addr: a, Port: binary.BigEndian.Uint16(port)}, binary.NativeEndian.Uint32(pc), nil
}
