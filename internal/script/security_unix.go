//go:build unix

package script

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Resolve returns the path Run executes for the program name: a bare name
// (no slash) is looked up in DefaultPath, the result is made absolute and
// every symbolic link in it resolved. With secure it also checks the
// ownership rule on that resolved path, which names no symbolic link:
// the regular file itself and every directory up to / must be owned by
// root, by the daemon's effective user or by runAs's uid (nil: nobody
// else), and none of them writable by group or others, except that a
// sticky directory (like /tmp) is accepted when the entry below it is
// owned by one of those users, since nobody else may then rename or
// unlink it. A component that is a symbolic link by the time it is
// checked is refused: the path changed under us.
//
// Executing the returned path, not name, is what makes the check hold:
// every directory on it is immutable to an untrusted user, so the file
// checked is the file the kernel loads, however a link in a directory
// another user controls is flipped meanwhile. (Exec through an O_NOFOLLOW
// descriptor, fexecve, would also pin the file, but breaks "#!" scripts
// run from a close-on-exec descriptor and needs /proc; the resolved path
// needs neither.)
//
// It returns the lookup or stat error, or one wrapping ErrInsecure.
func Resolve(name string, secure bool, runAs *Credential) (string, error) {
	p := name
	if !strings.Contains(name, "/") {
		var err error
		if p, err = lookPath(name); err != nil {
			return "", err
		}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("script %s: %w", name, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		// Name the script, not the first missing component.
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", &os.PathError{Op: "resolve", Path: abs, Err: err}
	}
	if secure {
		if err := checkChain(real, trustedUIDs(runAs)); err != nil {
			return "", fmt.Errorf("script %s: %w", name, err)
		}
	}
	return real, nil
}

// lookPath finds name in DefaultPath: the first regular file with an
// execute bit.
func lookPath(name string) (string, error) {
	for _, dir := range filepath.SplitList(DefaultPath) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("find script %s in %s: %w", name, DefaultPath, os.ErrNotExist)
}

func trustedUIDs(runAs *Credential) func(uint32) bool {
	self := uint32(os.Geteuid())
	return func(uid uint32) bool {
		return uid == 0 || uid == self || (runAs != nil && uid == runAs.Uid)
	}
}

// checkChain applies the ownership rule to real (absolute, no links) and
// each directory above it.
func checkChain(real string, trusted func(uint32) bool) error {
	var childUID uint32
	for p, first := real, true; ; first = false {
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("no owner information for %s", p)
		}
		mode := fi.Mode()
		switch {
		case mode&os.ModeSymlink != 0:
			return fmt.Errorf("%w: %s became a symbolic link", ErrInsecure, p)
		case first && !mode.IsRegular():
			return fmt.Errorf("%w: %s is not a regular file", ErrInsecure, p)
		case !first && !mode.IsDir():
			return fmt.Errorf("%w: %s is not a directory", ErrInsecure, p)
		case !trusted(st.Uid):
			return fmt.Errorf("%w: %s is owned by uid %d", ErrInsecure, p, st.Uid)
		case mode.Perm()&0o022 != 0 && !(mode.IsDir() && mode&os.ModeSticky != 0 && trusted(childUID)):
			return fmt.Errorf("%w: %s is writable by group or others (mode %04o)", ErrInsecure, p, uint32(mode.Perm()))
		}
		childUID = st.Uid
		parent := filepath.Dir(p)
		if parent == p {
			return nil
		}
		p = parent
	}
}
