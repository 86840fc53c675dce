//go:build unix

package checker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
	"time"
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
}

func newScript(s Spec) (*scriptChecker, error) {
	argv, err := scriptArgs(s)
	if err != nil {
		return nil, err
	}
	c := &scriptChecker{argv: argv, env: scriptEnv(s), timeout: s.Misc.Timeout, dynamic: s.Misc.Dynamic}
	if c.timeout <= 0 {
		c.timeout = s.Interval // keepalived's misc_timeout default
	}
	if s.Misc.User != "" {
		if c.cred, err = credential(s.Misc.User); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// credential looks up name's uid, gid and groups. Supplementary groups can
// only be set with CAP_SETGID, so an unprivileged daemon keeps its own.
func credential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("look up script user: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("script user %s: %w", name, err)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: os.Geteuid() != 0}
	if !cred.NoSetGroups {
		ids, err := u.GroupIds()
		if err != nil {
			return nil, fmt.Errorf("look up groups of script user %s: %w", name, err)
		}
		for _, id := range ids {
			g, err := strconv.ParseUint(id, 10, 32)
			if err == nil {
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	return cred, nil
}

func (c *scriptChecker) Check(ctx context.Context) Result {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.argv[0], c.argv[1:]...)
	cmd.Env = c.env
	out := &capWriter{max: MaxScriptOutput}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so a timeout kills whatever the script
	// started too, not just the shell.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.cred}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = waitDelay
	start := time.Now()
	err := cmd.Run() // Wait always reaps the child: no zombies
	if cmd.Process != nil {
		// Whatever the script left running in its group goes too, so a
		// check repeated every few seconds cannot pile up orphans. The
		// group id cannot be reused while a member lives; if none is left
		// this fails with ESRCH.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	r := c.result(ctx, cmd, err)
	r.Latency = time.Since(start)
	r.Output = out.String()
	return r
}

func (c *scriptChecker) result(ctx context.Context, cmd *exec.Cmd, err error) Result {
	if cmd.ProcessState == nil { // never started
		return Result{Reason: "cannot run: " + startReason(err)}
	}
	if ctx.Err() != nil && !cmd.ProcessState.Success() {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Result{Reason: "timeout after " + c.timeout.String()}
		}
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
