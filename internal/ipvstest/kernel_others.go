//go:build !linux

package ipvstest

import "errors"

// EnsureModule reports that IPVS exists only on Linux.
func EnsureModule() error { return errors.New("ipvs: linux only") }
