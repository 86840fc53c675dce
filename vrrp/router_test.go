package vrrp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/clock"
)

// flakyTransport fails its first read with a transient error, then
// blocks until closed; every read is reported on calls.
type flakyTransport struct {
	calls  chan int
	n      int
	closed chan struct{}
}

func (f *flakyTransport) ReadFrom([]byte) (int, RecvMeta, error) {
	f.n++
	f.calls <- f.n
	if f.n == 1 {
		return 0, RecvMeta{}, errors.New("transient")
	}
	<-f.closed
	return 0, RecvMeta{}, net.ErrClosed
}

func (f *flakyTransport) WriteTo([]byte, netip.Addr) error { return nil }
func (f *flakyTransport) Close() error                     { close(f.closed); return nil }

// TestReaderPausesOnRouterClock: after a read error that is neither a
// closed socket nor a vanished device, the reader waits 100 ms on the
// Router's clock before reading again, so the pause is as injectable as
// every other wait of the Router.
func TestReaderPausesOnRouterClock(t *testing.T) {
	clk := clock.NewFake(t0)
	tr := &flakyTransport{calls: make(chan int, 4), closed: make(chan struct{})}
	c := inst("vi", "eth0", 1, 100)
	c.SrcAddr = netip.MustParseAddr("192.0.2.1")
	r, err := NewRouter(one(c), Deps{
		OpenTransport: func(string) (Transport, error) { return tr, nil },
		Addrs:         &fakeAddrs{clock: clk, log: &eventLog{}, have: map[VIPAddr]bool{}},
		Clock:         clk,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.open(); err != nil {
		t.Fatal(err)
	}
	defer r.shutdown()
	r.startReaders()
	if n := recv(t, tr.calls); n != 1 {
		t.Fatalf("read %d, want the first", n)
	}
	want := t0.Add(100 * time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if at, ok := clk.Next(); ok && at.Equal(want) {
			break
		}
		if time.Now().After(deadline) {
			at, ok := clk.Next()
			t.Fatalf("no pause armed on the router's clock: Next = %v %v, want %v", at, ok, want)
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case n := <-tr.calls:
		t.Fatalf("read %d before the router's clock moved", n)
	default:
	}
	clk.Advance(100 * time.Millisecond)
	if n := recv(t, tr.calls); n != 2 {
		t.Fatalf("read %d after the pause, want the second", n)
	}
}

// TestPingBeats: a Ping makes the router's loop turn and call
// Deps.Beat, even for a backup that hears nothing; while the router's
// lock is held (a wedged loop), a Ping brings no beat. The daemon's
// watchdog relies on exactly this.
func TestPingBeats(t *testing.T) {
	clk := clock.NewFake(t0)
	lan := &fakeLAN{name: "eth0", clock: clk, log: &eventLog{}}
	beats := make(chan struct{}, 16)
	c := inst("vi", "eth0", 1, 100)
	c.SrcAddr = netip.MustParseAddr("192.0.2.1")
	r, err := NewRouter(one(c), Deps{
		OpenTransport: func(string) (Transport, error) { return lan.port("n", c.SrcAddr), nil },
		OpenAnnouncer: func(dev string) (Announcer, error) {
			return &fakeAnnouncer{node: "n", dev: dev, clock: clk, log: lan.log}, nil
		},
		Addrs: &fakeAddrs{clock: clk, log: lan.log, have: map[VIPAddr]bool{}},
		Clock: clk,
		Beat: func() {
			select {
			case beats <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitBeat := func(within time.Duration) bool {
		select {
		case <-beats:
			return true
		case <-time.After(within):
			return false
		}
	}
	if !waitBeat(5 * time.Second) {
		t.Fatal("the loop never beat after Run started")
	}
	for len(beats) > 0 {
		<-beats
	}
	r.Ping()
	if !waitBeat(5 * time.Second) {
		t.Fatal("a Ping brought no beat")
	}
	for len(beats) > 0 {
		<-beats
	}
	r.mu.Lock() // the loop cannot turn now
	r.Ping()
	wedged := waitBeat(200 * time.Millisecond)
	r.mu.Unlock()
	if wedged {
		t.Fatal("a beat came while the router's lock was held")
	}
	if !waitBeat(5 * time.Second) {
		t.Fatal("no beat once the lock was free again")
	}
}
