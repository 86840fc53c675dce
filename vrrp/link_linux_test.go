//go:build linux

package vrrp

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

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

// A storm of link notifications that overruns the socket makes the
// kernel drop them and report ENOBUFS: injected for real here with a
// small receive buffer and a reader that stops reading. The watcher must
// re-subscribe and re-read, so the state it reports afterwards is the
// interface's real one and later changes still arrive.
func TestLinkWatcherSurvivesRealENOBUFS(t *testing.T) {
	netnstest.InNewNetns(t, func() {
		if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "nb0"}, PeerName: "nb1"}); err != nil {
			netnstest.SkipOrFail(t, err)
		}
		links := map[string]netlink.Link{}
		for _, n := range []string{"nb0", "nb1"} {
			l, err := netlink.LinkByName(n)
			if err != nil {
				t.Fatal(err)
			}
			links[n] = l
		}
		set := func(name string, up bool) {
			t.Helper()
			var err error
			if up {
				err = netlink.LinkSetUp(links[name])
			} else {
				err = netlink.LinkSetDown(links[name])
			}
			if err != nil {
				t.Fatalf("set %s up=%v: %v", name, up, err)
			}
		}
		core, logs := observer.New(zap.WarnLevel)
		w := NewLinkWatcher(zap.New(core))
		w.rcvbuf = 4096 // a few messages
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ch, err := w.Watch(ctx, []string{"nb0"})
		if err != nil {
			netnstest.SkipOrFail(t, err)
		}
		if ev := <-ch; ev != (LinkEvent{"nb0", false}) {
			t.Fatalf("initial event %+v, want nb0 down", ev)
		}
		set("nb1", true)
		// The storm: nobody reads ch, so the watcher's buffers fill and
		// the kernel's socket overflows.
		overrun := func() bool {
			for _, e := range logs.FilterMessage("link notifications failed").All() {
				for _, f := range e.Context {
					if f.Key == "error" && strings.Contains(fmt.Sprint(f.Interface), "no buffer space") {
						return true
					}
				}
			}
			return false
		}
		for i := 0; i < 20000 && !overrun(); i++ {
			set("nb0", i%2 == 0)
		}
		if !overrun() {
			t.Fatal("no ENOBUFS after 20000 link changes: the injection did not happen")
		}
		set("nb0", false)
		// Read until the watcher is quiet: the last state it reports must
		// be the real one (down), which only a re-read after the overrun
		// can know. With no event since the initial one, its view is
		// still that one (the overrun came before any change got through).
		last := LinkEvent{"nb0", false}
		for quiet := false; !quiet; {
			select {
			case ev, ok := <-ch:
				if !ok {
					t.Fatal("watcher closed its channel after ENOBUFS")
				}
				last = ev
			case <-time.After(3 * time.Second):
				quiet = true
			}
		}
		if last != (LinkEvent{"nb0", false}) {
			t.Fatalf("after the storm the watcher says %+v, want nb0 down", last)
		}
		set("nb0", true)
		select {
		case ev := <-ch:
			if ev != (LinkEvent{"nb0", true}) {
				t.Fatalf("first change after recovery: %+v, want nb0 up", ev)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a change after the storm was never reported: the watcher did not re-subscribe")
		}
	})
}
