package vrrp

import (
	"bytes"
	"fmt"
	"net"
)

// VMAC is a macvlan interface that carries a virtual router's virtual
// MAC address (RFC 3768 §7.3, RFC 5798 §7.3), keepalived's use_vmac:
// the VIPs live on it, so clients learn a MAC that does not change when
// another director becomes master.
type VMAC struct {
	Name   string           // the macvlan's name, "vrrp.VRID" by default
	Parent string           // the instance's interface, the macvlan's lower device
	MAC    net.HardwareAddr // VirtualMAC(VRID, family)
}

// VirtualMAC returns the virtual router MAC of vrid: 00:00:5e:00:01:VRID
// for IPv4, 00:00:5e:00:02:VRID for IPv6.
func VirtualMAC(vrid uint8, ipv6 bool) net.HardwareAddr {
	fam := byte(1)
	if ipv6 {
		fam = 2
	}
	return net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, fam, vrid}
}

// DefaultVMACName is keepalived's name for a VMAC interface when
// use_vmac gives none: "vrrp.VRID".
func DefaultVMACName(vrid uint8) string { return fmt.Sprintf("vrrp.%d", vrid) }

// VMACLink is what an adapter found under a VMAC's name.
type VMACLink struct {
	Exists      bool
	Macvlan     bool
	ParentIndex int
	MAC         net.HardwareAddr
	Private     bool // macvlan mode private
}

// VMACStep is what to do to make a VMAC exist as wanted.
type VMACStep int

const (
	// VMACWait: the parent interface is missing; nothing can be done
	// until it appears (its arrival is a link event).
	VMACWait VMACStep = iota
	// VMACCreate: no interface has the name; create the macvlan.
	VMACCreate
	// VMACKeep: the interface is already what is wanted (a previous run
	// may have left it); only make sure it is up and configured.
	VMACKeep
	// VMACReplace: a macvlan that is ours (on our parent, or carrying our
	// virtual MAC) but wrong in parent, MAC or mode: delete it and
	// create it again.
	VMACReplace
	// VMACRefuse: another kind of interface, or someone else's macvlan,
	// holds the name; it is never deleted, and the instance waits.
	VMACRefuse
)

func (s VMACStep) String() string {
	switch s {
	case VMACWait:
		return "wait"
	case VMACCreate:
		return "create"
	case VMACKeep:
		return "keep"
	case VMACReplace:
		return "replace"
	case VMACRefuse:
		return "refuse"
	}
	return fmt.Sprintf("VMACStep(%d)", int(s))
}

// PlanVMAC decides the step for want, given the index of its parent
// (0: missing) and what holds want.Name now. An interface is only ever
// deleted when it is a macvlan that can only have been made for this
// virtual router, so a name clash never costs an operator's interface.
func PlanVMAC(want VMAC, parentIndex int, have VMACLink) VMACStep {
	if parentIndex == 0 {
		if have.Exists && !have.Macvlan {
			return VMACRefuse
		}
		return VMACWait
	}
	if !have.Exists {
		return VMACCreate
	}
	if !have.Macvlan {
		return VMACRefuse
	}
	sameParent := have.ParentIndex == parentIndex
	sameMAC := bytes.Equal(have.MAC, want.MAC)
	switch {
	case sameParent && sameMAC && have.Private:
		return VMACKeep
	case sameParent || sameMAC:
		return VMACReplace
	}
	return VMACRefuse
}
