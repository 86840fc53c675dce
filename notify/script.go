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
// kills the whole group after timeout of running (the wait for a process
// slot does not count) or when ctx ends, so a script's children die with
// it.
func runScript(ctx context.Context, argv []string, cred *script.Credential, timeout time.Duration, o script.Options) error {
	o.Timeout = timeout
	return script.Run(ctx, script.Command(ctx, argv, cred), o) // leftovers in the group go too
}

// ScriptRef is one script the config names: where, its command line and
// the user it runs as ("" is the daemon's own).
type ScriptRef struct {
	Where   string // e.g. `vrrp_instance "VI_1" notify_master`
	Command string
	User    string
}

// ScriptRefs lists every script the config names (notify hooks,
// notify_up/down, quorum_up/down, vrrp_script and misc_check commands),
// empty ones left out, for ValidateScripts and the daemon's start-up
// audit.
func ScriptRefs(cfg *config.Config) []ScriptRef {
	var refs []ScriptRef
	add := func(where, cmd, user string) {
		if cmd == "" {
			return
		}
		if user == "" {
			user = cfg.Global.ScriptUser
		}
		refs = append(refs, ScriptRef{Where: where, Command: cmd, User: user})
	}
	hooks := func(where string, n config.NotifyScripts) {
		add(where+" notify_master", n.Master, "")
		add(where+" notify_backup", n.Backup, "")
		add(where+" notify_fault", n.Fault, "")
		add(where+" notify_stop", n.Stop, "")
		add(where+" notify", n.Generic, "")
	}
	for _, s := range cfg.Scripts {
		add(fmt.Sprintf("vrrp_script %q script", s.Name), s.Script, s.User)
	}
	for _, in := range cfg.Instances {
		hooks(fmt.Sprintf("vrrp_instance %q", in.Name), in.Notify)
	}
	for _, g := range cfg.SyncGroups {
		hooks(fmt.Sprintf("vrrp_sync_group %q", g.Name), g.Notify)
	}
	for _, vs := range cfg.VirtualServers {
		where := fmt.Sprintf("virtual_server %q", vs.Name)
		add(where+" quorum_up", vs.QuorumUp, "")
		add(where+" quorum_down", vs.QuorumDown, "")
		for _, rs := range vs.RealServers {
			w := fmt.Sprintf("%s real_server %q", where, rs.Name)
			add(w+" notify_up", rs.NotifyUp, "")
			add(w+" notify_down", rs.NotifyDown, "")
			for _, c := range rs.Checks {
				if c.Misc != nil {
					add(w+" misc_check", c.Misc.Path, c.Misc.User)
				}
			}
		}
	}
	return refs
}

// ValidateScripts checks every script of ScriptRefs for `lbhad
// validate`: each command line must split, and with
// enable_script_security each program must pass the ownership rule for
// the user it runs as (script.Resolve). It
// returns one error per problem, naming where the script is configured.
func ValidateScripts(cfg *config.Config) []error {
	var errs []error
	for _, r := range ScriptRefs(cfg) {
		argv, err := script.Split(r.Command)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Where, err))
			continue
		}
		if cfg.Global.EnableScriptSecurity {
			// Judged as the daemon will judge it: a file owned by the
			// user the script runs as is that user's to change.
			var cred *script.Credential
			if r.User != "" {
				cred, _ = script.LookupUserUnlessSelf(r.User) // unknown: judged as root's
			}
			if _, err := script.Resolve(argv[0], true, cred); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", r.Where, err))
			}
		}
	}
	return errs
}
