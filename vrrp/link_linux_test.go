//go:build linux

package vrrp

import (
	"context"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/netnstest"
	"github.com/vishvananda/netlink"
)

func TestLinkWatcher(t *testing.T) {
	netnstest.InNewNetns(t, func() {
		veth := func(a, b string) {
			t.Helper()
			if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: a}, PeerName: b}); err != nil {
				netnstest.SkipOrFail(t, err)
			}
		}
		set := func(name string, up bool) {
			t.Helper()
			l, err := netlink.LinkByName(name)
			if err != nil {
				t.Fatal(err)
			}
			if up {
				err = netlink.LinkSetUp(l)
			} else {
				err = netlink.LinkSetDown(l)
			}
			if err != nil {
				t.Fatalf("set %s up=%v: %v", name, up, err)
			}
		}
		veth("lw0", "lw1")

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ch, err := NewLinkWatcher(nil).Watch(ctx, []string{"lw0", "late0", "lw0"})
		if err != nil {
			netnstest.SkipOrFail(t, err)
		}
		expect := func(step string, want LinkEvent) {
			t.Helper()
			select {
			case got, ok := <-ch:
				if !ok {
					t.Fatalf("%s: channel closed, want %+v", step, want)
				}
				if got != want {
					t.Fatalf("%s: event %+v, want %+v", step, got, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: no event within 10 s, want %+v", step, want)
			}
		}

		expect("initial", LinkEvent{"lw0", false})
		expect("initial, missing interface", LinkEvent{"late0", false})

		set("lw0", true) // admin up but no carrier yet: still down
		set("lw1", true)
		expect("both ends up", LinkEvent{"lw0", true})
		set("lw1", false)
		expect("peer down, carrier lost", LinkEvent{"lw0", false})
		set("lw1", true)
		expect("peer up again", LinkEvent{"lw0", true})
		set("lw0", false)
		expect("ip link set lw0 down", LinkEvent{"lw0", false})

		veth("late0", "late1")
		set("late0", true)
		set("late1", true)
		expect("interface appears", LinkEvent{"late0", true})
		l, err := netlink.LinkByName("late0")
		if err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkDel(l); err != nil {
			t.Fatal(err)
		}
		expect("interface deleted", LinkEvent{"late0", false})

		cancel()
		closed := make(chan struct{})
		go func() {
			for range ch {
			}
			close(closed)
		}()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatal("channel not closed within 10 s of cancel")
		}
	})
}
