//go:build linux

package ipvssync

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// stuckKernel is a FakeKernel whose GetServices never answers until the
// handle is closed, as moby/ipvs behaves when the kernel's reply never
// comes (it loops on the socket's receive timeout until the fd is
// closed).
type stuckKernel struct {
	*FakeKernel
	closed   chan struct{}
	once     sync.Once
	returned chan struct{}
}

func newStuck() *stuckKernel {
	return &stuckKernel{FakeKernel: NewFakeKernel(), closed: make(chan struct{}), returned: make(chan struct{})}
}

func (s *stuckKernel) GetServices() ([]Service, error) {
	defer close(s.returned)
	<-s.closed
	return nil, errors.New("Socket got closed on receive")
}

func (s *stuckKernel) Close() { s.once.Do(func() { close(s.closed) }) }

type fakeHandle struct{ *FakeKernel }

func (fakeHandle) Close() {}

func TestGuardTimesOutAndReplacesTheHandle(t *testing.T) {
	stuck := newStuck()
	fresh := NewFakeKernel()
	opens := 0
	open := func() (Handle, error) {
		opens++
		if opens == 1 {
			return stuck, nil
		}
		return fakeHandle{fresh}, nil
	}
	const timeout = 50 * time.Millisecond
	g, err := NewGuard(open, timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	start := time.Now()
	_, err = g.GetServices()
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("GetServices on a stuck handle: %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 10*timeout {
		t.Errorf("stuck call returned after %v, want about %v", d, timeout)
	}
	// The overrun handle was closed, so the goroutine stuck in it ends.
	select {
	case <-stuck.returned:
	case <-time.After(5 * time.Second):
		t.Fatal("the call stuck on the old handle never returned: goroutine wedged")
	}
	// The next call opens a new handle and works.
	if err := g.NewService(Service{Key: key, Scheduler: "rr"}); err != nil {
		t.Fatalf("call after the timeout: %v", err)
	}
	if opens != 2 || fresh.Writes() != 1 {
		t.Errorf("opens %d, writes on the new handle %d; want 2 and 1", opens, fresh.Writes())
	}
}

// A caller waiting for the handle while another call is stuck on it
// gets ErrTimeout within its own deadline too.
func TestGuardWaitIsBounded(t *testing.T) {
	g, err := NewGuard(func() (Handle, error) { return newStuck(), nil }, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	go g.GetServices()
	time.Sleep(20 * time.Millisecond) // let the first call take the handle
	start := time.Now()
	if _, err := g.GetServices(); !errors.Is(err, ErrTimeout) {
		t.Errorf("second caller: %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("second caller waited %v", d)
	}
	g.Close()
	if _, err := g.GetConfig(); err == nil {
		t.Error("call on a closed Guard succeeded")
	}
}

func TestGuardPassesThrough(t *testing.T) {
	k := NewFakeKernel()
	g, err := NewGuard(func() (Handle, error) { return fakeHandle{k}, nil }, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := cfgTable(Health{}, nil)
	if n, err := Apply(g, Plan(Table{}, want, nil, nil)); err != nil || n != 3 {
		t.Fatalf("Apply through the guard = %d, %v", n, err)
	}
	got, err := Read(g)
	if err != nil || len(got[key].Dests) != 2 {
		t.Errorf("Read through the guard = %v, %v", got, err)
	}
}
