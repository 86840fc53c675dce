//go:build !linux

package daemon

import (
	"errors"
	"net/netip"
)

// watchLocalAddrs needs Linux's netlink.
func watchLocalAddrs(func(map[netip.Addr]bool)) (func(), error) {
	return nil, errors.New("ha_suspend needs Linux")
}
