//go:build !linux

package checkerbench

import (
	"errors"
	"net"
	"net/netip"
	"time"
)

var errLinuxOnly = errors.New("the checker benchmark runs on linux only")

func cpuTime() time.Duration { return 0 }

// ReexecInNetns fails: network namespaces are Linux's.
func ReexecInNetns([]string) error { return errLinuxOnly }

// NoNetns reports whether err is ReexecInNetns's.
func NoNetns(err error) bool { return errors.Is(err, errLinuxOnly) }

func setupNetns() error               { return errLinuxOnly }
func rawConnect(netip.AddrPort) error { return errLinuxOnly }

// serveAcceptClose accepts and closes every connection to lns.
func serveAcceptClose(lns []net.Listener) error {
	for _, ln := range lns {
		go acceptClose(ln)
	}
	return nil
}
