package netnstest

import (
	"errors"
	"fmt"
	"os"
	"testing"
)

// RequireRoot skips t (or fails it under CI=true) unless the process
// runs with uid 0.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		SkipOrFail(t, fmt.Errorf("euid %d: %w", os.Geteuid(), os.ErrPermission))
	}
}

// SkipOrFail ends t because a privileged operation failed with err. A
// permission error skips with a hint when run by hand, but fails under
// CI=true; any other error fails.
func SkipOrFail(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, os.ErrPermission) {
		t.Fatalf("privileged setup: %v", err)
	}
	Unavailable(t, "needs root (CAP_NET_ADMIN, CAP_NET_RAW): %v; run with sudo -E go test, or go test -exec 'sudo -n'", err)
}

// Unavailable ends t because something it needs is missing: root, a
// tool, a kernel feature, a prepared VM. Run by hand that is a skip
// with the hint in format; under CI=true it is a failure, because CI
// must run every test and a skip there would hide an untested path.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if ci() {
		t.Fatalf("cannot run under CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}

// ci reports whether the tests run in CI (CI=true), where every test
// must run.
func ci() bool { return os.Getenv("CI") == "true" }
