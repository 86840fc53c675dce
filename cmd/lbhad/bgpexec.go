package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/internal/bgp"
)

// bgpBinary is the full lbhad, GoBGP linked, that a lean lbhad (built
// with the nogobgp tag, as scripts/package.sh builds /usr/sbin/lbhad)
// becomes when its config at start has a bgp block. A VRRP-only
// director so never maps GoBGP's 18 MB of code nor runs its package
// inits (4.5 MB of RSS with an empty config; docs/PERFORMANCE.md,
// "GoBGP"). scripts/package.sh sets it with -ldflags -X.
var bgpBinary = "/usr/libexec/lbhad/lbhad-bgp"

// execFunc is syscall.Exec; tests replace it.
var execFunc = syscall.Exec

// execFullForBGP replaces this process with bgpBinary, same arguments
// and environment (so the same PID for systemd, and NOTIFY_SOCKET is
// kept), when err says the config needs the BGP speaker this binary
// lacks. It returns an error when it cannot, nil when err is not that
// refusal (and the caller goes on as before); on success it does not
// return.
func execFullForBGP(log *zap.Logger, err error, argv []string) error {
	if !errors.Is(err, bgp.ErrNotLinked) {
		return nil
	}
	log.Info("the config has a bgp block: running the lbhad with the BGP speaker", zap.String("binary", bgpBinary))
	_ = log.Sync()
	if _, serr := os.Stat(bgpBinary); serr != nil {
		return fmt.Errorf("the config has a bgp block and this lbhad is built without BGP; the full binary %s: %w", bgpBinary, serr)
	}
	if eerr := execFunc(bgpBinary, argv, os.Environ()); eerr != nil {
		return fmt.Errorf("run %s for the bgp block: %w", bgpBinary, eerr)
	}
	return nil
}
