//go:build !linux

package vrrp

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// inotify is Linux only: elsewhere WatchTrackFiles polls.
func (*trackFiles) inotify(context.Context) error {
	return fmt.Errorf("watch track files: no inotify on this os: %w", errors.ErrUnsupported)
}

// openTrackFile opens path for reading; non-Linux builds have no
// O_NONBLOCK guarantee for FIFOs.
func openTrackFile(path string) (*os.File, error) { return os.Open(path) }
