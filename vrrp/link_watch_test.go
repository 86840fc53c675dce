package vrrp

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/internal/clock"
)

// fakeSource is a linkSource and addrSource whose subscriptions a test
// fails (closes, as netlink does after ENOBUFS) and whose links it sets.
type fakeSource struct {
	mu        sync.Mutex
	links     map[string]linkObs
	linkSubs  []chan linkObs
	addrSubs  []chan struct{}
	failNext  int // subscriptions to refuse before one succeeds
	subscribe chan string
}

func (f *fakeSource) subscribeLinks() (<-chan linkObs, func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNext > 0 {
		f.failNext--
		return nil, nil, errors.New("no buffer space")
	}
	ch := make(chan linkObs, 8)
	f.linkSubs = append(f.linkSubs, ch)
	f.subscribe <- "links"
	return ch, func() {}, nil
}

func (f *fakeSource) subscribeAddrs() (<-chan struct{}, func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{}, 8)
	f.addrSubs = append(f.addrSubs, ch)
	f.subscribe <- "addrs"
	return ch, func() {}, nil
}

func (f *fakeSource) lookupAll(names []string) map[string]linkObs {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]linkObs{}
	for _, n := range names {
		if o, ok := f.links[n]; ok {
			out[n] = o
		}
	}
	return out
}

// instantLoop retries at once (no delay): the test controls failures,
// not time.
func instantLoop() watchLoop {
	return watchLoop{clock: clock.Real(), warn: func(string, error) {}}
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received")
	}
	var zero T
	return zero
}

// When the link subscription fails (ENOBUFS: notifications were lost)
// the watcher subscribes again, retrying a refused subscription, and
// re-reads every tracked link: a link deleted and re-created meanwhile
// (same name, new index, still up) is reported down and up, so the
// Router reopens its socket; a link that went away is reported down.
func TestLinkWatchResubscribes(t *testing.T) {
	up := uint32(iffUp | iffRunning)
	src := &fakeSource{subscribe: make(chan string, 8), links: map[string]linkObs{
		"eth0": {Name: "eth0", Index: 2, Flags: up},
		"eth1": {Name: "eth1", Index: 3, Flags: up},
	}}
	tr := newLinkTracker([]string{"eth0", "eth1"})
	updates, stop, err := src.subscribeLinks()
	if err != nil {
		t.Fatal(err)
	}
	recv(t, src.subscribe)
	if evs := tr.initial(src.lookupAll(tr.names)); len(evs) != 2 || !evs[0].Up || !evs[1].Up {
		t.Fatalf("initial %v", evs)
	}
	out := make(chan LinkEvent, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go instantLoop().runLinks(ctx, src, tr, out, updates, stop)

	src.mu.Lock()
	src.linkSubs[0] <- linkObs{Name: "eth1", Index: 3, Flags: iffUp}
	src.mu.Unlock()
	if ev := recv(t, out); ev != (LinkEvent{"eth1", false}) {
		t.Fatalf("notification: %v", ev)
	}

	src.mu.Lock()
	src.links["eth0"] = linkObs{Name: "eth0", Index: 9, Flags: up} // re-created
	delete(src.links, "eth1")                                      // deleted
	src.failNext = 2
	close(src.linkSubs[0])
	src.mu.Unlock()
	if what := recv(t, src.subscribe); what != "links" {
		t.Fatalf("resubscribed to %s", what)
	}
	var got []LinkEvent
	for range 2 {
		got = append(got, recv(t, out))
	}
	want := []LinkEvent{{"eth0", false}, {"eth0", true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events after resubscribing (-want +got):\n%s", diff)
	}
	select {
	case ev := <-out:
		t.Errorf("extra event %v (eth1 was already down)", ev)
	case <-time.After(50 * time.Millisecond):
	}

	// The new subscription is live.
	src.mu.Lock()
	src.linkSubs[1] <- linkObs{Name: "eth1", Index: 4, Flags: up}
	src.mu.Unlock()
	if ev := recv(t, out); ev != (LinkEvent{"eth1", true}) {
		t.Errorf("after resubscribing: %v", ev)
	}
	cancel()
	for range out {
	}
}

// A failed address subscription is renewed and followed by one
// notification, since changes may have been lost.
func TestAddrWatchResubscribes(t *testing.T) {
	src := &fakeSource{subscribe: make(chan string, 8)}
	updates, stop, _ := src.subscribeAddrs()
	recv(t, src.subscribe)
	out := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go instantLoop().runAddrs(ctx, src, out, updates, stop)
	src.mu.Lock()
	src.addrSubs[0] <- struct{}{}
	src.mu.Unlock()
	recv(t, out)
	src.mu.Lock()
	close(src.addrSubs[0])
	src.mu.Unlock()
	if what := recv(t, src.subscribe); what != "addrs" {
		t.Fatalf("resubscribed to %s", what)
	}
	recv(t, out)
	cancel()
	for range out {
	}
}
