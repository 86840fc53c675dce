package lab

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// StatFields returns the fields of /proc/PID/stat that follow the
// command name, which may hold spaces and parentheses: index 0 is
// field 3 (the state), 11 and 12 are utime and stime, 19 the start time.
func StatFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 20 {
		return nil, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	return f, nil
}
