//go:build unix

package notify

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

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
