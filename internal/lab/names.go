package lab

import "strings"

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
