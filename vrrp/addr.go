package vrrp

import (
	"errors"
	"fmt"
	"strings"
)

// Errors from validating a VIPAddr before it reaches the kernel.
var (
	ErrVIPNotIPv4 = errors.New("virtual address is not ipv4")
	ErrVIPNoDev   = errors.New("virtual address has no device")
	ErrVIPLabel   = errors.New("invalid address label")
)

// maxLabelLen is IFNAMSIZ-1: labels share the kernel's interface name
// buffer.
const maxLabelLen = 15

// validateVIP catches what the kernel or netlink would reject with an
// unhelpful message: a label must begin with the device name (as in
// "eth0:vip") and fit in IFNAMSIZ.
func validateVIP(v VIPAddr) error {
	if !v.Prefix.IsValid() || !v.Prefix.Addr().Is4() {
		return fmt.Errorf("%v: %w", v.Prefix, ErrVIPNotIPv4)
	}
	if v.Dev == "" {
		return fmt.Errorf("%v: %w", v.Prefix, ErrVIPNoDev)
	}
	if v.Label == "" {
		return nil
	}
	if !strings.HasPrefix(v.Label, v.Dev) {
		return fmt.Errorf("label %q for %v: must begin with the device name %q: %w", v.Label, v.Prefix, v.Dev, ErrVIPLabel)
	}
	if len(v.Label) > maxLabelLen {
		return fmt.Errorf("label %q for %v: longer than %d bytes: %w", v.Label, v.Prefix, maxLabelLen, ErrVIPLabel)
	}
	return nil
}
