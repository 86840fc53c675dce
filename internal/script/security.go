package script

import (
	"errors"
	"time"
)

// ErrTimeout is wrapped by Run's error when the script ran longer than
// Options.Timeout and was killed.
var ErrTimeout = errors.New("script timed out")

// ErrInsecure is wrapped by Resolve when enable_script_security is on and
// the program, or a directory on its path, could be replaced by a user
// the daemon does not trust (see docs/notes/script-security.md).
var ErrInsecure = errors.New("insecure script")

// DefaultPath is the PATH every script gets and the one bare program
// names are looked up in: the daemon's own PATH (from a unit file, a
// shell, an operator's sudo) is not the scripts' business, and a fixed
// list of root-owned directories cannot be redirected by an environment.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Env returns the whole environment of a script: PATH=DefaultPath, then
// extra (NAME=value), nothing inherited from the daemon, whose
// environment may hold credentials (NOTIFY_SOCKET, tokens, proxies).
func Env(extra ...string) []string {
	return append([]string{"PATH=" + DefaultPath}, extra...)
}

// Options say how Run treats one script.
type Options struct {
	// Secure is enable_script_security: Run refuses a program that fails
	// the ownership rule, checked on the resolved path just before the
	// exec.
	Secure bool
	// Track marks a vrrp_script: it may use the process slots reserved
	// for track scripts, so a mass hang of misc_checks or a burst of
	// notify scripts cannot hold up the election's inputs.
	Track bool
	// Timeout bounds the run, counted from the script's start, not from
	// the wait for a process slot: a script queued behind a storm of
	// others still gets its whole time. At the timeout the script's
	// process group is killed and Run's error wraps ErrTimeout. Zero
	// means only ctx bounds it.
	Timeout time.Duration
}
