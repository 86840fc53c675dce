package lab

import (
	"net/netip"
	"strings"
)

// Addresses of the fixed nodes and the VIP the scenarios use.
var (
	D1IP     = netip.MustParseAddr("192.0.2.11")
	D2IP     = netip.MustParseAddr("192.0.2.12")
	ClientIP = netip.MustParseAddr("192.0.2.100")
	SpareIP  = netip.MustParseAddr("192.0.2.200")
	VIP      = netip.MustParseAddr("192.0.2.50")
)

// runIDOf extracts the run id from a namespace name "family-id-node".
func runIDOf(family, ns string) (string, bool) {
	rest, ok := strings.CutPrefix(ns, family+"-")
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, "-")
	if !ok || id == "" {
		return "", false
	}
	return id, true
}
