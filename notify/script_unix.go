//go:build unix

package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// userCred is the identity scripts run as; nil means the daemon's own.
type userCred struct{ c *syscall.Credential }

// lookupUser resolves script_user. Supplementary groups are set only when
// the daemon may (it is root); otherwise the daemon keeps its own.
func lookupUser(name string) (*userCred, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("look up script user: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("script user %s: %w", name, err)
	}
	if int(uid) == os.Geteuid() && int(gid) == os.Getegid() {
		return nil, nil // already that user: nothing to switch
	}
	c := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: os.Geteuid() != 0}
	if !c.NoSetGroups {
		ids, err := u.GroupIds()
		if err != nil {
			return nil, fmt.Errorf("look up groups of script user %s: %w", name, err)
		}
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				c.Groups = append(c.Groups, uint32(g))
			}
		}
	}
	return &userCred{c: c}, nil
}

// runScript runs argv in its own process group with stdin, stdout and
// stderr on /dev/null, as keepalived does, and kills the whole group at
// the timeout or when ctx ends, so a script's children die with it.
func runScript(ctx context.Context, argv []string, cred *userCred, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if cred != nil {
		cmd.SysProcAttr.Credential = cred.c
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err := cmd.Run()
	if cmd.Process != nil {
		// Leftovers in the group go too; ESRCH when none is left.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil && ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("killed after timeout %s: %w", timeout, ctx.Err())
	}
	return err
}

// CheckScriptSecurity reports whether the program path (a bare name is
// looked up in PATH) is safe to run with enable_script_security: the
// file and every directory above it, after resolving symlinks, must be
// writable only by root or by the daemon's own user, as keepalived
// requires. A group- or world-writable directory with the sticky bit
// (like /tmp) is accepted when the entry below it is owned by root or
// the daemon's user, since then nobody else can replace it. It returns
// an error wrapping ErrInsecureScript, or the error of looking the path
// up.
func CheckScriptSecurity(path string) error {
	if !strings.Contains(path, "/") {
		p, err := exec.LookPath(path)
		if err != nil {
			return fmt.Errorf("find script %s: %w", path, err)
		}
		path = p
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("script %s: %w", path, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("script %s: %w", path, err)
	}
	trusted := func(uid uint32) bool { return uid == 0 || int(uid) == os.Geteuid() }
	var childUID uint32
	for p, first := real, true; ; first = false {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("script %s: %w", path, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("script %s: no owner information for %s", path, p)
		}
		mode := fi.Mode()
		switch {
		case first && !mode.IsRegular():
			return fmt.Errorf("script %s: %w: %s is not a regular file", path, ErrInsecureScript, p)
		case !trusted(st.Uid):
			return fmt.Errorf("script %s: %w: %s is owned by uid %d", path, ErrInsecureScript, p, st.Uid)
		case mode.Perm()&0o022 != 0 && !(fi.IsDir() && mode&os.ModeSticky != 0 && trusted(childUID)):
			return fmt.Errorf("script %s: %w: %s is writable by group or others (mode %04o)", path, ErrInsecureScript, p, uint32(mode.Perm()))
		}
		childUID = st.Uid
		parent := filepath.Dir(p)
		if parent == p {
			return nil
		}
		p = parent
	}
}
