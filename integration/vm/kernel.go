package vm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrNotSetUp reports that setup.sh has not prepared a kernel in the cache
// directory (or that a host tool the guest needs is missing).
var ErrNotSetUp = errors.New("vm: not set up (run: sudo bash integration/vm/setup.sh)")

// Kernel is a Debian kernel unpacked by setup.sh.
type Kernel struct {
	// Version is the module directory name, e.g. "6.1.0-41-amd64".
	Version string
	// Image is the file handed to qemu -kernel: the extracted vmlinux when
	// setup.sh could extract it, else the bzImage.
	Image string
	// ModulesDir is the lib/modules/<Version> tree, already run through
	// depmod -b.
	ModulesDir string
}

// DefaultCacheDir is where setup.sh unpacks the kernel: $LBHAD_VM_CACHE,
// else /var/cache/lbhad-vm when it holds a kernel, else <repo>/.work/vm.
func DefaultCacheDir() string {
	if d := os.Getenv("LBHAD_VM_CACHE"); d != "" {
		return d
	}
	if _, err := os.Stat("/var/cache/lbhad-vm/current"); err == nil {
		return "/var/cache/lbhad-vm"
	}
	if root, err := repoRoot(); err == nil {
		return filepath.Join(root, ".work", "vm")
	}
	return "/var/cache/lbhad-vm"
}

// repoRoot finds the module root from this source file's location, which is
// right for tests run from a checkout (the only users of this package).
func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate source file")
	}
	root := filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("locate repository root: %w", err)
	}
	return root, nil
}

// RepoRoot returns the root of the lbhad checkout this package was built
// from; tests use it to run `go test -c` on sibling packages.
func RepoRoot() (string, error) { return repoRoot() }

// FindKernel returns the kernel setup.sh marked current in cacheDir
// ("" means [DefaultCacheDir]). It returns an error wrapping [ErrNotSetUp]
// when there is none.
func FindKernel(cacheDir string) (Kernel, error) {
	if cacheDir == "" {
		cacheDir = DefaultCacheDir()
	}
	cur := filepath.Join(cacheDir, "current")
	ver, err := os.Readlink(cur)
	if err != nil {
		return Kernel{}, fmt.Errorf("read %s: %w", cur, errors.Join(ErrNotSetUp, err))
	}
	ver = filepath.Base(ver)
	dir := filepath.Join(cacheDir, ver)
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
		return Kernel{}, fmt.Errorf("kernel %s incomplete: %w", ver, errors.Join(ErrNotSetUp, err))
	}
	img, err := os.ReadFile(filepath.Join(dir, "image"))
	if err != nil {
		return Kernel{}, fmt.Errorf("read kernel image path: %w", errors.Join(ErrNotSetUp, err))
	}
	k := Kernel{
		Version:    ver,
		Image:      strings.TrimSpace(string(img)),
		ModulesDir: filepath.Join(dir, "root", "lib", "modules", ver),
	}
	for _, p := range []string{k.Image, filepath.Join(k.ModulesDir, "modules.dep")} {
		if _, err := os.Stat(p); err != nil {
			return Kernel{}, fmt.Errorf("kernel %s: %w", ver, errors.Join(ErrNotSetUp, err))
		}
	}
	return k, nil
}
