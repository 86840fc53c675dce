//go:build !linux

package vrrp

import (
	"errors"
	"fmt"
)

// NetlinkVMACs is the Linux VMACKernel; elsewhere every call fails.
type NetlinkVMACs struct{}

var _ VMACKernel = (*NetlinkVMACs)(nil)

// NewNetlinkVMACs returns a kernel whose calls fail.
func NewNetlinkVMACs() *NetlinkVMACs { return &NetlinkVMACs{} }

var errVMACUnsupported = fmt.Errorf("vmac: not implemented on this os: %w", errors.ErrUnsupported)

func (*NetlinkVMACs) ParentIndex(string) (int, error) { return 0, errVMACUnsupported }
func (*NetlinkVMACs) Link(string) (VMACLink, error)   { return VMACLink{}, errVMACUnsupported }
func (*NetlinkVMACs) Create(VMAC, int) error          { return errVMACUnsupported }
func (*NetlinkVMACs) Delete(string) error             { return errVMACUnsupported }
func (*NetlinkVMACs) Setup(VMAC) error                { return errVMACUnsupported }
func (*NetlinkVMACs) Restore(string) error            { return errVMACUnsupported }
