package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/script"
)

// Errors of splitting a notify command line (script.Split's), wrapped by
// the notifier and by ValidateScripts.
var (
	ErrUnterminatedQuote = script.ErrUnterminatedQuote
	ErrEmptyCommand      = script.ErrEmptyCommand
)

// ErrInsecureScript is wrapped by CheckScriptSecurity, and by a refused
// notify script's delivery error, when a script could be replaced by
// someone other than root. It is script.ErrInsecure: the rule lives in
// internal/script, shared with the checks.
var ErrInsecureScript = script.ErrInsecure

// CheckScriptSecurity reports whether the program path (a bare name is
// looked up in script.DefaultPath) passes enable_script_security's
// ownership rule; see script.Resolve, which it is, for a script run as
// the daemon's own user. It returns an error wrapping ErrInsecureScript,
// or the error of looking the path up.
func CheckScriptSecurity(path string) error {
	_, err := script.Resolve(path, true, nil)
	return err
}

// runNotifyScript splits cmd, appends extra and runs it as cred for at
// most timeout (the wait for a process slot included) through
// script.Run, which with security checks the program right before the
// exec and runs the file it checked.
func runNotifyScript(ctx context.Context, cmd string, extra []string, security bool, cred *script.Credential, timeout time.Duration) error {
	argv, err := script.Split(cmd)
	if err != nil {
		return fmt.Errorf("notify script %q: %w", cmd, err)
	}
	argv = append(argv, extra...)
	if err := runScript(ctx, argv, cred, timeout, script.Options{Secure: security}); err != nil {
		if errors.Is(err, script.ErrInsecure) {
			return fmt.Errorf("notify script refused: %w", err)
		}
		return fmt.Errorf("notify script %s: %w", argv[0], err)
	}
	return nil
}

// runScript runs argv in its own process group with stdin, stdout and
// stderr on /dev/null and a clean environment, as keepalived does, and
// kills the whole group at the timeout or when ctx ends, so a script's
// children die with it.
func runScript(ctx context.Context, argv []string, cred *script.Credential, timeout time.Duration, o script.Options) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := script.Run(ctx, script.Command(ctx, argv, cred), o) // leftovers in the group go too
	if err != nil && ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("killed after timeout %s: %w", timeout, ctx.Err())
	}
	return err
}

// ValidateScripts checks every script the config names (notify hooks,
// notify_up/down, quorum_up/down, vrrp_script and misc_check commands)
// for `lbhad validate`: each command line must split, and with
// enable_script_security each program must pass CheckScriptSecurity. It
// returns one error per problem, naming where the script is configured.
func ValidateScripts(cfg *config.Config) []error {
	var errs []error
	check := func(where, cmd string) {
		if cmd == "" {
			return
		}
		argv, err := script.Split(cmd)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			return
		}
		if cfg.Global.EnableScriptSecurity {
			if err := CheckScriptSecurity(argv[0]); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
			}
		}
	}
	hooks := func(where string, n config.NotifyScripts) {
		check(where+" notify_master", n.Master)
		check(where+" notify_backup", n.Backup)
		check(where+" notify_fault", n.Fault)
		check(where+" notify_stop", n.Stop)
		check(where+" notify", n.Generic)
	}
	for _, s := range cfg.Scripts {
		check(fmt.Sprintf("vrrp_script %q script", s.Name), s.Script)
	}
	for _, in := range cfg.Instances {
		hooks(fmt.Sprintf("vrrp_instance %q", in.Name), in.Notify)
	}
	for _, g := range cfg.SyncGroups {
		hooks(fmt.Sprintf("vrrp_sync_group %q", g.Name), g.Notify)
	}
	for _, vs := range cfg.VirtualServers {
		where := fmt.Sprintf("virtual_server %q", vs.Name)
		check(where+" quorum_up", vs.QuorumUp)
		check(where+" quorum_down", vs.QuorumDown)
		for _, rs := range vs.RealServers {
			w := fmt.Sprintf("%s real_server %q", where, rs.Name)
			check(w+" notify_up", rs.NotifyUp)
			check(w+" notify_down", rs.NotifyDown)
			if rs.Check != nil && rs.Check.Misc != nil {
				check(w+" misc_check", rs.Check.Misc.Path)
			}
		}
	}
	return errs
}
