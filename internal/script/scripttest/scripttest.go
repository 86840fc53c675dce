// Package scripttest holds the test helpers of the packages that run
// scripts through internal/script (checker, notify and script itself):
// writing a throwaway shell script and watching the processes it starts.
package scripttest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Write writes an executable shell script with body, named name, into a
// fresh directory of t and returns its path.
func Write(t testing.TB, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// ReadPID returns the process id a script wrote (echo $! > path) into
// path, failing t when there is none.
func ReadPID(t testing.TB, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("script did not record a pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}
