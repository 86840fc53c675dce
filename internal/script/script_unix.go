//go:build unix

package script

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// Credential is the identity a script runs as; a nil *Credential means
// the daemon's own. It is syscall.Credential, named here so that code
// built on every OS can hold one.
type Credential = syscall.Credential

// LookupUser resolves the script user name to its uid, gid and groups.
// Supplementary groups can only be set with CAP_SETGID, so when the
// daemon is not root the credential leaves them alone (NoSetGroups) and
// the script keeps the daemon's. It returns the error of looking the user
// or its groups up.
func LookupUser(name string) (*Credential, error) {
	return lookupUser(name, false)
}

// LookupUserUnlessSelf is LookupUser, except that it returns nil, nil
// when the daemon already runs with name's uid and gid, so that nothing
// is switched and the group list is not even looked up.
func LookupUserUnlessSelf(name string) (*Credential, error) {
	return lookupUser(name, true)
}

func lookupUser(name string, unlessSelf bool) (*Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("look up script user: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("script user %s: %w", name, err)
	}
	if unlessSelf && int(uid) == os.Geteuid() && int(gid) == os.Getegid() {
		return nil, nil // already that user: nothing to switch
	}
	cred := &Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: os.Geteuid() != 0}
	if !cred.NoSetGroups {
		ids, err := u.GroupIds()
		if err != nil {
			return nil, fmt.Errorf("look up groups of script user %s: %w", name, err)
		}
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	return cred, nil
}

// Command returns a command for argv (which must not be empty) that runs
// as cred (nil: the daemon's own identity) in a process group of its
// own, and whose cancellation, when ctx ends, kills that whole group with
// SIGKILL, so a timeout takes whatever the script started with it, not
// just the shell. Stdin, stdout and stderr stay nil (/dev/null), as in
// keepalived; the caller may set them, Env and WaitDelay before running
// it with Run.
func Command(ctx context.Context, argv []string, cred *Credential) *exec.Cmd {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	cmd.Cancel = func() error { return killGroup(cmd) }
	return cmd
}

// Run runs cmd (made by Command) as one script of the daemon: it waits
// for a process slot (SetMaxProcs; ctx bounds the wait, o.Timeout only
// the run), resolves and, with o.Secure, checks the program right before
// the exec (Resolve) and executes the resolved path, so the file checked
// is the file run. A misc_check or notify script runs ScriptNice below
// the daemon's CPU priority. After
// the script ends it kills whatever the script left running in its
// process group, so a script repeated every few seconds cannot pile up
// orphans; Wait always reaps the script itself: no zombies. A cmd without
// Env gets Env(). It returns the slot wait's error, Resolve's error, one
// wrapping ErrTimeout, or cmd.Run's.
func Run(ctx context.Context, cmd *exec.Cmd, o Options) error {
	release, err := procs.Acquire(ctx, o.Track)
	if err != nil {
		return fmt.Errorf("wait for a script slot: %w", err)
	}
	defer release()
	var runAs *Credential
	if cmd.SysProcAttr != nil {
		runAs = cmd.SysProcAttr.Credential
	}
	path, err := Resolve(cmd.Args[0], o.Secure, runAs)
	if err != nil {
		return err
	}
	// exec.Command looked the name up in the daemon's PATH and may have
	// stored that failure; the resolved path replaces both.
	cmd.Path, cmd.Err = path, nil
	if cmd.Env == nil {
		cmd.Env = Env()
	}
	var timedOut atomic.Bool
	if err = cmd.Start(); err == nil {
		if !o.Track {
			lowerPriority(cmd.Process.Pid)
		}
		var t *time.Timer
		if o.Timeout > 0 {
			t = time.AfterFunc(o.Timeout, func() {
				timedOut.Store(true)
				_ = killGroup(cmd)
			})
		}
		err = cmd.Wait()
		if t != nil {
			t.Stop() // at once: a timer firing after the end is no timeout
		}
	}
	if cmd.Process != nil {
		// The group id cannot be reused while a member lives; if none is
		// left this fails with ESRCH, which is fine.
		_ = killGroup(cmd)
	}
	if timedOut.Load() {
		return fmt.Errorf("killed after timeout %s: %w", o.Timeout, ErrTimeout)
	}
	return err
}

// ScriptNice is how much lower than the daemon's the CPU priority of
// misc_check and notify scripts is: a storm of them (thousands of real
// servers going down at once) then takes CPU from the election only when
// it is idle. vrrp_scripts keep the daemon's priority, as they feed the
// election themselves.
const ScriptNice = 10

// lowerPriority renices the process group of a just-started script. The
// script runs at the daemon's priority for the moment between its exec
// and this call (os/exec cannot set the priority before the exec); what
// it starts afterwards inherits the lower one. Failure is harmless: the
// script only keeps the daemon's priority.
func lowerPriority(pgid int) {
	cur, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		return
	}
	// The raw syscall returns 20-nice; the kernel caps nice at 19.
	nice := min(20-cur+ScriptNice, 19)
	_ = syscall.Setpriority(syscall.PRIO_PGRP, pgid, nice)
}

// killGroup sends SIGKILL to cmd's process group, whose id is the pid of
// the script because Command sets Setpgid.
func killGroup(cmd *exec.Cmd) error {
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
