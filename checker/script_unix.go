//go:build unix

package checker

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/lbhad/lbhad/internal/script"
)

// waitDelay bounds how long a check waits, after the script itself has
// exited, for background processes that still hold its output pipe.
const waitDelay = 500 * time.Millisecond

type scriptChecker struct {
	argv    []string
	env     []string
	timeout time.Duration
	dynamic bool
	cred    *syscall.Credential
	opts    script.Options
}

func newScript(s Spec) (*scriptChecker, error) {
	argv, err := scriptArgs(s)
	if err != nil {
		return nil, err
	}
	c := &scriptChecker{argv: argv, env: scriptEnv(s), timeout: s.Misc.Timeout, dynamic: s.Misc.Dynamic,
		opts: script.Options{Secure: s.Misc.Secure, Track: s.Kind == KindScript}}
	if c.timeout <= 0 {
		c.timeout = s.Interval // keepalived's misc_timeout default
	}
	if s.Misc.User != "" {
		if c.cred, err = script.LookupUser(s.Misc.User); err != nil {
			return nil, err
		}
	}
	// Checked at load so that a refused script shows in the reload's
	// errors; script.Run checks again before every run, because the file
	// may change in between. A script that is merely missing is left to
	// fail at each run, so installing it later needs no reload.
	if _, err := script.Resolve(argv[0], c.opts.Secure, c.cred); errors.Is(err, script.ErrInsecure) {
		return nil, err
	}
	return c, nil
}

func (c *scriptChecker) Check(ctx context.Context) Result {
	// Its own process group, so a timeout kills whatever the script
	// started too, not just the shell; Run sweeps the group afterwards.
	cmd := script.Command(ctx, c.argv, c.cred)
	cmd.Env = c.env
	out := &capWriter{max: MaxScriptOutput}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = waitDelay
	// Latency is measured on the wall clock, not the engine's Clock: it
	// times real I/O, which a fake clock would not see pass.
	start := time.Now()
	o := c.opts
	o.Timeout = c.timeout // from the start, not from the wait for a slot
	err := script.Run(ctx, cmd, o)
	r := c.result(ctx, cmd, err)
	r.Latency = time.Since(start)
	r.Output = out.String()
	return r
}

func (c *scriptChecker) result(ctx context.Context, cmd *exec.Cmd, err error) Result {
	if cmd.ProcessState == nil { // never started
		if ctx.Err() != nil {
			// Cancelled while it waited for a process slot or before
			// the exec: the engine stopped it, the script is not broken.
			return Result{Reason: "cancelled"}
		}
		return Result{Reason: "cannot run: " + startReason(err)}
	}
	if errors.Is(err, script.ErrTimeout) {
		return Result{Reason: "timeout after " + c.timeout.String()}
	}
	if ctx.Err() != nil && !cmd.ProcessState.Success() {
		return Result{Reason: "cancelled"}
	}
	if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && st.Signaled() {
		return Result{Reason: "killed by signal " + st.Signal().String()}
	}
	return exitResult(cmd.ProcessState.ExitCode(), c.dynamic)
}

func startReason(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}
