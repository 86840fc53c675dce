//go:build !linux

package daemon

import "errors"

// setIPVSSloppy: IPVS is Linux's.
func setIPVSSloppy(tcp, sctp bool) error {
	return errors.New("ipvs sloppy mode: not implemented on this OS")
}
