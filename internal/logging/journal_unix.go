//go:build unix

package logging

import (
	"os"
	"syscall"
)

// fileID is f's device and inode number, as stat(2) gives them.
func fileID(f *os.File) (dev, ino uint64, ok bool) {
	if f == nil {
		return 0, 0, false
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return uint64(st.Dev), uint64(st.Ino), true // Dev is int32 on darwin
}
