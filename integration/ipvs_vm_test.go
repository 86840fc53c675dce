//go:build integration

package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lbhad/lbhad/integration/vm"
	"github.com/lbhad/lbhad/internal/netnstest"
)

// TestIPVSInGuest runs the kernel-facing IPVS tests of
// integration/ipvsguest where IPVS exists: directly on this host when its
// kernel has IPVS (each of those tests makes its own network namespaces),
// otherwise in one boot of a Debian kernel under qemu (integration/vm;
// prepare it with `sudo bash integration/vm/setup.sh`). The guest's
// `go test -v` output becomes this test's log.
//
// Environment: LBHAD_VM_FORCE=1 uses the VM even when the host has IPVS;
// LBHAD_IPVSGUEST_RUN is passed to the guest as -test.run and
// LBHAD_IPVSGUEST_COUNT as -test.count;
// LBHAD_VM_ACCEL=kvm|auto|tcg (default tcg); LBHAD_VM_CONSOLE=FILE keeps
// the serial console log; LBHAD_VM_CACHE is where setup.sh put the kernel.
func TestIPVSInGuest(t *testing.T) {
	start := time.Now()
	if os.Geteuid() != 0 {
		ipvsVMUnavailable(t, errors.New("needs root (network namespaces, IPVS)"))
	}
	root, err := vm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	// go test caches this test's result keyed on the files it opens; stat
	// the guest-side sources so editing them reruns it.
	ipvsStatSources(t, root, "integration/ipvsguest", "internal/ipvstest", "internal/netnstest", "internal/lab")

	bin := filepath.Join(t.TempDir(), "ipvsguest.test")
	t0 := time.Now()
	ipvsBuildGuestTests(t, root, bin)
	t.Logf("built guest tests in %v", time.Since(t0).Round(time.Millisecond))

	// The ECMP test (ecmp_test.go) alone runs 5-7 minutes under TCG.
	args := []string{"-test.v", "-test.timeout=15m"}
	if r := os.Getenv("LBHAD_IPVSGUEST_RUN"); r != "" {
		args = append(args, "-test.run="+r)
	}
	// LBHAD_IPVSGUEST_COUNT runs the selected tests that many times in the
	// one boot, to tell a flaky test from a broken one at the cost of one
	// boot; the guest's timeout grows with it.
	if n, err := strconv.Atoi(os.Getenv("LBHAD_IPVSGUEST_COUNT")); err == nil && n > 1 {
		args[1] = fmt.Sprintf("-test.timeout=%v", time.Duration(n)*8*time.Minute)
		args = append(args, fmt.Sprintf("-test.count=%d", n))
	}

	if os.Getenv("LBHAD_VM_FORCE") == "" && ipvsOnHost() {
		t.Log("host kernel has IPVS: running the guest tests on the host")
		cmd := exec.Command(bin, args...)
		lw := &ipvsLineLogger{t: t}
		cmd.Stdout, cmd.Stderr = lw, lw
		err := cmd.Run()
		lw.Flush()
		if err != nil {
			t.Fatalf("guest tests failed on the host: %v", err)
		}
		t.Logf("total %v", time.Since(start).Round(time.Millisecond))
		return
	}

	k, err := vm.FindKernel("")
	if err != nil {
		ipvsVMUnavailable(t, err)
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		ipvsVMUnavailable(t, err)
	}
	initrd := filepath.Join(t.TempDir(), "base.cpio.gz")
	t0 = time.Now()
	if err := ipvsWriteInitramfs(initrd, k); err != nil {
		if errors.Is(err, vm.ErrNotSetUp) {
			ipvsVMUnavailable(t, err)
		}
		t.Fatal(err)
	}
	t.Logf("built initramfs for kernel %s in %v", k.Version, time.Since(t0).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), 16*time.Minute)
	if d, ok := t.Deadline(); ok {
		ctx, cancel = context.WithDeadline(context.Background(), d.Add(-30*time.Second))
	}
	defer cancel()
	accel := os.Getenv("LBHAD_VM_ACCEL")
	if accel == "auto" {
		accel = "tcg"
		if vm.ProbeKVM(ctx, k, initrd, 60*time.Second) {
			accel = "kvm"
		}
	}
	lw := &ipvsLineLogger{t: t}
	var console io.Writer = lw
	if p := os.Getenv("LBHAD_VM_CONSOLE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		console = io.MultiWriter(lw, f)
	}
	t0 = time.Now()
	code, _, err := vm.Run(ctx, vm.Options{
		Kernel:   k,
		Initrd:   initrd,
		Accel:    accel,
		Files:    map[string]vm.File{"/lbhad/ipvsguest.test": {Source: bin}},
		Commands: []vm.Command{{Path: "/lbhad/ipvsguest.test", Args: args, Dir: "/tmp"}},
		Console:  console,
	})
	lw.Flush()
	t.Logf("boot to poweroff %v (accel %s); total %v", time.Since(t0).Round(time.Millisecond), ipvsOr(accel, "tcg"), time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("guest: %v", err)
	}
	if code != 0 {
		t.Fatalf("guest tests failed: exit code %d (their output is above); failed in the guest:\n%s", code, strings.Join(lw.Failed(), "\n"))
	}
}

// ipvsVMUnavailable skips with a hint, except under CI where a missing
// prerequisite is a failure: CI must run these tests.
func ipvsVMUnavailable(t *testing.T, err error) {
	t.Helper()
	netnstest.Unavailable(t, "IPVS VM tests: %v (prepare with: sudo bash integration/vm/setup.sh)", err)
}

// ipvsOnHost reports whether the host kernel has IPVS, loading the module
// when it is available but not loaded.
func ipvsOnHost() bool {
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		return true
	}
	if exec.Command("modprobe", "-q", "ip_vs").Run() != nil {
		return false
	}
	_, err := os.Stat("/proc/net/ip_vs")
	return err == nil
}

func ipvsBuildGuestTests(t *testing.T, root, out string) {
	t.Helper()
	// go test puts its own toolchain's bin first on PATH.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command on PATH to build the guest tests: %v", err)
	}
	cmd := exec.Command(goBin, "test", "-c", "-tags", "integration ipvsguest", "-o", out, "./integration/ipvsguest")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build guest tests: %v\n%s", err, b)
	}
}

func ipvsWriteInitramfs(path string, k vm.Kernel) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := vm.BuildInitramfs(f, vm.InitramfsOptions{Kernel: k}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func ipvsStatSources(t *testing.T, root string, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		filepath.WalkDir(filepath.Join(root, d), func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && strings.HasSuffix(p, ".go") {
				os.Stat(p)
			}
			return nil
		})
	}
}

func ipvsOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ipvsLineLogger turns a byte stream into one t.Log call per line.
type ipvsLineLogger struct {
	t      *testing.T
	mu     sync.Mutex
	buf    bytes.Buffer
	failed []string // the guest's "--- FAIL" lines, repeated at the end
}

func (l *ipvsLineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			l.buf.Reset()
			l.buf.WriteString(line)
			return len(p), nil
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.Contains(line, "--- FAIL:") {
			l.failed = append(l.failed, strings.TrimSpace(line))
		}
		l.t.Log(line)
	}
}

// Failed returns the guest's "--- FAIL" lines: the guest prints
// megabytes, and a CI log excerpt shows only its tail, so the names of
// the failed tests are repeated in the final message.
func (l *ipvsLineLogger) Failed() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.failed)
}

// Flush logs a final partial line.
func (l *ipvsLineLogger) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() > 0 {
		l.t.Log(l.buf.String())
		l.buf.Reset()
	}
}
