package vrrp

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"strconv"
)

// After an IPv6 address is added, even with IFA_F_NODAD, the kernel
// joins its solicited-node multicast group (RFC 4291 §2.7.1) a moment
// later, from a work queue; a neighbour solicitation for the address
// that arrives before that is dropped, and the neighbour asks again
// only a second later. The address manager therefore waits, briefly,
// for the group to show up in /proc/net/igmp6.

// solicitedNode returns the solicited-node multicast address of ip:
// ff02::1:ff00:0/104 with ip's low 24 bits.
func solicitedNode(ip netip.Addr) netip.Addr {
	a := ip.As16()
	return netip.AddrFrom16([16]byte{0xff, 0x02, 11: 0x01, 12: 0xff, 13: a[13], 14: a[14], 15: a[15]})
}

// igmp6Has reports whether the contents of /proc/net/igmp6 list group
// as joined on the interface with index ifindex. Each line reads
// "index name group-in-32-hex-digits users flags timer".
func igmp6Has(content []byte, ifindex int, group netip.Addr) bool {
	g := group.As16()
	want := hex.EncodeToString(g[:])
	for _, line := range bytes.Split(content, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) < 3 {
			continue
		}
		if idx, err := strconv.Atoi(string(f[0])); err == nil && idx == ifindex && string(f[2]) == want {
			return true
		}
	}
	return false
}
