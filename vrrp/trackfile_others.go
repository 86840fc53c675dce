//go:build !linux

package vrrp

import (
	"context"
	"errors"
	"fmt"
)

// inotify is Linux only: elsewhere WatchTrackFiles polls.
func (*trackFiles) inotify(context.Context) error {
	return fmt.Errorf("watch track files: no inotify on this os: %w", errors.ErrUnsupported)
}
