//go:build integration

package integration

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/lbhad/lbhad/integration/vm"
)

// The end-to-end tests of a director pair (integration/ipvsguest/e2e_test.go)
// run the real lbhad binary in the guest of TestIPVSInGuest. This ships it
// there: a static build (CGO_ENABLED=0) at /lbhad/lbhad in every boot.
func init() { vm.AddFiles(e2eGuestFiles) }

var (
	e2eOnce sync.Once
	e2eBin  []byte
	e2eErr  error
)

func e2eGuestFiles() (map[string]vm.File, error) {
	e2eOnce.Do(func() {
		root, err := vm.RepoRoot()
		if err != nil {
			e2eErr = err
			return
		}
		// go test caches results keyed on the files a test opens: stat
		// the daemon's sources so a change to them reruns the guest.
		for _, d := range []string{"cmd", "config", "vrrp", "checker", "ipvssync", "notify", "internal"} {
			filepath.WalkDir(filepath.Join(root, d), func(p string, e fs.DirEntry, err error) error {
				if err == nil && !e.IsDir() && strings.HasSuffix(p, ".go") {
					os.Stat(p)
				}
				return nil
			})
		}
		dir, err := os.MkdirTemp("", "lbhad-e2e-build-")
		if err != nil {
			e2eErr = err
			return
		}
		defer os.RemoveAll(dir)
		// go test puts its own toolchain's bin first on PATH.
		goBin, err := exec.LookPath("go")
		if err != nil {
			e2eErr = fmt.Errorf("no go command on PATH to build lbhad for the guest: %w", err)
			return
		}
		out := filepath.Join(dir, "lbhad")
		cmd := exec.Command(goBin, "build", "-trimpath", "-o", out, "./cmd/lbhad")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if b, err := cmd.CombinedOutput(); err != nil {
			e2eErr = fmt.Errorf("static build of ./cmd/lbhad for the guest: %w\n%s", err, b)
			return
		}
		e2eBin, e2eErr = os.ReadFile(out)
	})
	if e2eErr != nil {
		return nil, e2eErr
	}
	return map[string]vm.File{"/lbhad/lbhad": {Data: e2eBin, Mode: 0o755}}, nil
}
