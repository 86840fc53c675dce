package daemon

import (
	"fmt"
	"os"
)

// ipvsSysctl is where IPVS's settings live for the caller's network
// namespace (they exist once the ip_vs module is loaded, which the IPVS
// component's start has done).
const ipvsSysctl = "/proc/sys/net/ipv4/vs/"

// setIPVSSloppy writes 1 to sloppy_tcp and/or sloppy_sctp.
func setIPVSSloppy(tcp, sctp bool) error {
	for _, s := range []struct {
		on   bool
		name string
	}{{tcp, "sloppy_tcp"}, {sctp, "sloppy_sctp"}} {
		if !s.on {
			continue
		}
		if err := os.WriteFile(ipvsSysctl+s.name, []byte("1\n"), 0o644); err != nil {
			return fmt.Errorf("set net.ipv4.vs.%s: %w", s.name, err)
		}
	}
	return nil
}
