package daemon

import (
	"errors"
	"fmt"

	"github.com/lbhad/lbhad/checker"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/script"
	"github.com/lbhad/lbhad/vrrp"
)

// checkVRRP runs the router's own config check on every instance,
// including those whose interface is missing (they wait for it and take
// its primary address then), so a reload the router would refuse is
// refused before anything changes rather than half applied.
func checkVRRP(cfg *config.Config) error {
	return vrrp.CheckConfig(vrrpConfig(cfg))
}

// checkChecks builds every check as the engine would and refuses the
// config if one cannot be built (an unreadable or invalid CA file, an
// unknown user): such a check could only ever fail.
//
// A script that script security refuses is the exception: its file's
// mode can change at any time, so the runner refuses it at every exec
// and the check counts as failed, while the rest of the director (VRRP
// above all) starts. `lbhad validate` still rejects such a file, as
// `keepalived -t` does.
func checkChecks(cfg *config.Config) error {
	specs, _, err := checkSpecs(cfg)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range specs {
		if _, err := checker.New(s); err != nil && !errors.Is(err, script.ErrInsecure) {
			errs = append(errs, fmt.Errorf("check %s: %w", s.ID, err))
		}
	}
	return errors.Join(errs...)
}

// checkNotify refuses a script_user the dispatcher could not run
// notification scripts as.
func checkNotify(cfg *config.Config) error {
	if u := cfg.Global.ScriptUser; u != "" {
		if _, err := script.LookupUserUnlessSelf(u); err != nil {
			return err
		}
	}
	return nil
}
