//go:build linux

package daemon

import (
	"fmt"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink"
)

// watchLocalAddrs is the addrWatch of the host: it subscribes to address
// notifications first and then lists the addresses, so no change falls
// between the two, and lists them again after each burst of
// notifications (the set is small; a list is simpler than applying
// deltas and cannot drift).
func watchLocalAddrs(onChange func(map[netip.Addr]bool)) (func(), error) {
	ch := make(chan netlink.AddrUpdate, 256)
	done := make(chan struct{})
	if err := netlink.AddrSubscribeWithOptions(ch, done, netlink.AddrSubscribeOptions{}); err != nil {
		return nil, fmt.Errorf("ha_suspend: subscribe to address notifications: %w", err)
	}
	list := func() (map[netip.Addr]bool, error) {
		addrs, err := netlink.AddrList(nil, netlink.FAMILY_ALL)
		if err != nil {
			return nil, fmt.Errorf("ha_suspend: list addresses: %w", err)
		}
		out := make(map[netip.Addr]bool, len(addrs))
		for _, a := range addrs {
			if ip, ok := netip.AddrFromSlice(a.IP); ok {
				out[ip.Unmap()] = true
			}
		}
		return out, nil
	}
	first, err := list()
	if err != nil {
		close(done)
		return nil, err
	}
	onChange(first)
	go func() {
		for range ch {
			for drained := false; !drained; {
				select {
				case _, ok := <-ch:
					if !ok {
						return
					}
				default:
					drained = true
				}
			}
			// A failed list keeps the last known set: suspending every
			// check on a netlink hiccup would be worse than a late resume.
			if now, err := list(); err == nil {
				onChange(now)
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }, nil
}
