package vrrp

import (
	"errors"
	"fmt"
	"strings"
)

// Errors from validating a VIPAddr before it reaches the kernel.
var (
	// ErrVIPNotIPv4 is for an address that is neither IPv4 nor IPv6
	// (zero, or IPv4 written as IPv6); its name predates IPv6 VIPs.
	ErrVIPNotIPv4 = errors.New("virtual address is not ipv4 or ipv6")
	ErrVIPNoDev   = errors.New("virtual address has no device")
	ErrVIPLabel   = errors.New("invalid address label")
)

// maxLabelLen is IFNAMSIZ-1: labels share the kernel's interface name
// buffer.
const maxLabelLen = 15

// validateVIP catches what the kernel or netlink would reject with an
// unhelpful message: a label must begin with the device name (as in
// "eth0:vip") and fit in IFNAMSIZ, and only IPv4 addresses have labels
// (the kernel keeps none for IPv6, so one would be silently lost).
func validateVIP(v VIPAddr) error {
	a := v.Prefix.Addr()
	if !v.Prefix.IsValid() || a.Is4In6() {
		return fmt.Errorf("%v: %w", v.Prefix, ErrVIPNotIPv4)
	}
	if v.Dev == "" {
		return fmt.Errorf("%v: %w", v.Prefix, ErrVIPNoDev)
	}
	if v.Label == "" {
		return nil
	}
	if a.Is6() {
		return fmt.Errorf("label %q for %v: ipv6 addresses have no labels: %w", v.Label, v.Prefix, ErrVIPLabel)
	}
	if !strings.HasPrefix(v.Label, v.Dev) {
		return fmt.Errorf("label %q for %v: must begin with the device name %q: %w", v.Label, v.Prefix, v.Dev, ErrVIPLabel)
	}
	if len(v.Label) > maxLabelLen {
		return fmt.Errorf("label %q for %v: longer than %d bytes: %w", v.Label, v.Prefix, maxLabelLen, ErrVIPLabel)
	}
	return nil
}
