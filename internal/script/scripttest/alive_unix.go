//go:build unix

package scripttest

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// Alive reports whether pid runs; a zombie waiting for a reaper is dead.
func Alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no /proc: trust kill
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) == 0 || f[0] != "Z"
}
