package config

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/sys/unix"
)

// Host answers the questions about this machine that a config can only
// be checked against on the director itself: do the users it names
// exist, can the files it names be read. The daemon and `lbhad
// validate` pass OSHost; Parse and LoadFile ask nothing, so tests and
// checks on a build machine stay pure and root-free.
type Host interface {
	// LookupUser returns nil when the user exists.
	LookupUser(name string) error
	// Readable returns nil when path is a regular file this process
	// can open for reading.
	Readable(path string) error
	// HasScheduler reports whether the running kernel has the IPVS
	// scheduler name, built in or as a module; known is false when it
	// cannot tell (no module lists to read).
	HasScheduler(name string) (has, known bool)
}

// OSHost is the Host of the running machine.
type OSHost struct{}

// LookupUser looks name up in the user database (NSS).
func (OSHost) LookupUser(name string) error {
	_, err := user.Lookup(name)
	return err
}

// Readable opens path for reading and checks it is a regular file.
func (OSHost) Readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	return nil
}

// HasScheduler looks for ip_vs_NAME in the running kernel's module
// lists (modules.builtin and modules.dep), where modprobe finds it.
func (OSHost) HasScheduler(name string) (has, known bool) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return false, false
	}
	dir := filepath.Join("/lib/modules", unix.ByteSliceToString(u.Release[:]))
	return hasModule(dir, "ip_vs_"+name)
}

// hasModule reads dir's modules.builtin and modules.dep for module mod.
func hasModule(dir, mod string) (has, known bool) {
	for _, f := range []string{"modules.builtin", "modules.dep"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue
		}
		known = true
		for _, line := range strings.Split(string(b), "\n") {
			path, _, _ := strings.Cut(line, ":")
			base := filepath.Base(path)
			if i := strings.Index(base, ".ko"); i >= 0 && base[:i] == mod {
				return true, true
			}
		}
	}
	return false, known
}

// Options change what ParseWith and LoadFileWith check beyond the file.
type Options struct {
	// Host, when set, is asked about the users and files the config
	// names, so that a config the daemon could not run is rejected
	// when it is validated, with the position of the offending value.
	Host Host
}

// ParseWith is Parse with the checks opts asks for.
func ParseWith(src []byte, filename string, opts Options) (*Config, hcl.Diagnostics) {
	return parseWith(newParser(), src, filename, opts)
}

// LoadFileWith is LoadFile with the checks opts asks for.
func LoadFileWith(path string, opts Options) (*Config, map[string]*hcl.File, hcl.Diagnostics) {
	return loadFile(path, opts)
}

// checkUser reports a user that does not exist on the host.
func (b *builder) checkUser(e hcl.Expression, attr, name string) {
	if b.host == nil || name == "" {
		return
	}
	if err := b.host.LookupUser(name); err != nil {
		b.errorf(e.Range(), "Unknown user", "%s %q does not exist on this host (%v); scripts could not run as it.", attr, name, err)
	}
}

// checkScheduler warns when the running kernel has no module for the
// scheduler: IPVS would refuse the service (twos needs Linux 6.2).
func (b *builder) checkScheduler(e hcl.Expression, name string) {
	if b.host == nil {
		return
	}
	if has, known := b.host.HasScheduler(name); known && !has {
		b.warnf(e.Range(), "Scheduler missing from this kernel", "lb_algo %q: the running kernel has no ip_vs_%s module, so IPVS will refuse this service here.", name, name)
	}
}

// checkReadable reports a file that cannot be read on the host.
func (b *builder) checkReadable(e hcl.Expression, attr, path string) {
	if b.host == nil || path == "" {
		return
	}
	if err := b.host.Readable(path); err != nil {
		b.errorf(e.Range(), "Unreadable "+attr, "%s %q cannot be read (%v); the check would always fail.", attr, path, err)
	}
}
