package vrrp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// Netlink message and attribute numbers of an RTM_GETADDR dump (uapi
// linux/netlink.h, linux/rtnetlink.h, linux/if_addr.h). They are the
// same on every architecture, so this pure decoder needs no build tag.
const (
	nlmsgHdrLen    = 16
	ifaddrmsgLen   = 8
	nlmsgError     = 2
	nlmsgDone      = 3
	rtmNewAddr     = 20
	ifaAddress     = 1
	ifaLocal       = 2
	ifaFSecondary  = 0x01
	afInet         = 2
	nlmsgAlignment = 4
)

// errBadAddrDump is what primaryScan.feed returns for bytes that are not
// a well-formed RTM_GETADDR dump.
var errBadAddrDump = errors.New("malformed address dump")

// primaryScan finds an interface's primary IPv4 address in an
// RTM_GETADDR dump, fed one received chunk at a time: the first IPv4
// address of the interface without IFA_F_SECONDARY, as netlink.AddrList
// followed by a search would, but without turning every address of the
// host into a netlink.Addr. At 1,000 VIPs those lists were 200 kB of
// garbage per look-up, and an address event makes one look-up per
// interface.
type primaryScan struct {
	index uint32     // the interface's index
	found netip.Addr // the first match; later ones are ignored
}

// feed scans one chunk of the dump. It returns done at the dump's end
// (NLMSG_DONE), and the kernel's error (a syscall.Errno) for
// NLMSG_ERROR or an error-carrying NLMSG_DONE; errBadAddrDump for
// truncated or inconsistent bytes.
func (s *primaryScan) feed(b []byte) (done bool, err error) {
	ne := binary.NativeEndian
	for len(b) > 0 {
		if len(b) < nlmsgHdrLen {
			return false, errBadAddrDump
		}
		n := int(ne.Uint32(b[0:4]))
		if n < nlmsgHdrLen || n > len(b) {
			return false, errBadAddrDump
		}
		typ, payload := ne.Uint16(b[4:6]), b[nlmsgHdrLen:n]
		switch typ {
		case nlmsgError, nlmsgDone:
			if len(payload) >= 4 {
				if code := int32(ne.Uint32(payload[0:4])); code < 0 {
					return true, syscall.Errno(-code)
				}
			}
			if typ == nlmsgError {
				return true, fmt.Errorf("%w: error message without an error", errBadAddrDump)
			}
			return true, nil
		case rtmNewAddr:
			if err := s.addr(payload); err != nil {
				return false, err
			}
		}
		adv := (n + nlmsgAlignment - 1) &^ (nlmsgAlignment - 1)
		if adv > len(b) {
			adv = len(b)
		}
		b = b[adv:]
	}
	return false, nil
}

// addr looks at one RTM_NEWADDR payload: ifaddrmsg, then attributes.
func (s *primaryScan) addr(p []byte) error {
	if len(p) < ifaddrmsgLen {
		return errBadAddrDump
	}
	ne := binary.NativeEndian
	family, flags, index := p[0], p[2], ne.Uint32(p[4:8])
	if s.found.IsValid() || family != afInet || index != s.index || flags&ifaFSecondary != 0 {
		return nil
	}
	var local, address netip.Addr
	for a := p[ifaddrmsgLen:]; len(a) > 0; {
		if len(a) < 4 {
			return errBadAddrDump
		}
		n := int(ne.Uint16(a[0:2]))
		if n < 4 || n > len(a) {
			return errBadAddrDump
		}
		v := a[4:n]
		switch ne.Uint16(a[2:4]) {
		case ifaLocal:
			local, _ = netip.AddrFromSlice(v)
		case ifaAddress:
			address, _ = netip.AddrFromSlice(v)
		}
		adv := (n + nlmsgAlignment - 1) &^ (nlmsgAlignment - 1)
		if adv > len(a) {
			adv = len(a)
		}
		a = a[adv:]
	}
	// IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer
	// on a point-to-point link and the same as IFA_LOCAL otherwise.
	ip := local
	if !ip.IsValid() {
		ip = address
	}
	if ip.Unmap().Is4() {
		s.found = ip.Unmap()
	}
	return nil
}
