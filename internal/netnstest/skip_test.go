package netnstest

import (
	"errors"
	"fmt"
	"os"
	"testing"
)

// recorder is a testing.TB that records how a helper ended the test
// instead of ending it.
type recorder struct {
	testing.TB
	ended string // "skip" or "fail"; the first call wins
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(string, ...any) {
	if r.ended == "" {
		r.ended = "skip"
	}
}
func (r *recorder) Fatalf(string, ...any) {
	if r.ended == "" {
		r.ended = "fail"
	}
}

func TestSkipRule(t *testing.T) {
	perm := fmt.Errorf("unshare: %w", os.ErrPermission)
	other := errors.New("no such device")
	for _, tc := range []struct {
		name, ci string
		run      func(testing.TB)
		want     string
	}{
		{"missing by hand", "", func(t testing.TB) { Unavailable(t, "no keepalived") }, "skip"},
		{"missing in CI", "true", func(t testing.TB) { Unavailable(t, "no keepalived") }, "fail"},
		{"CI=false is by hand", "false", func(t testing.TB) { Unavailable(t, "no keepalived") }, "skip"},
		{"permission by hand", "", func(t testing.TB) { SkipOrFail(t, perm) }, "skip"},
		{"permission in CI", "true", func(t testing.TB) { SkipOrFail(t, perm) }, "fail"},
		{"other error by hand", "", func(t testing.TB) { SkipOrFail(t, other) }, "fail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			tc.run(r)
			if r.ended != tc.want {
				t.Errorf("ended with %q, want %q", r.ended, tc.want)
			}
		})
	}
}
