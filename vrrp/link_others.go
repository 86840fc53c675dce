//go:build !linux

package vrrp

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"
)

// NetlinkLinkWatcher is the Linux LinkWatcher; elsewhere Watch fails.
type NetlinkLinkWatcher struct{}

var _ LinkWatcher = (*NetlinkLinkWatcher)(nil)

// NewLinkWatcher returns a watcher whose Watch fails.
func NewLinkWatcher(*zap.Logger) *NetlinkLinkWatcher { return &NetlinkLinkWatcher{} }

// Watch returns an error matching errors.ErrUnsupported.
func (*NetlinkLinkWatcher) Watch(context.Context, []string) (<-chan LinkEvent, error) {
	return nil, fmt.Errorf("watch links: not implemented on this os: %w", errors.ErrUnsupported)
}

var _ AddrWatcher = (*NetlinkLinkWatcher)(nil)

// WatchAddrs returns an error matching errors.ErrUnsupported.
func (*NetlinkLinkWatcher) WatchAddrs(context.Context) (<-chan struct{}, error) {
	return nil, fmt.Errorf("watch addresses: not implemented on this os: %w", errors.ErrUnsupported)
}
