//go:build linux

package ipvssync

import (
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"
)

// batchHandle is kernelBatch as a Handle, counting its batches.
type batchHandle struct{ *kernelBatch }

func (batchHandle) Close() {}

// manyDests is one service with n destinations to add, as Plan orders
// a converge.
func manyDests(n int) []Op {
	svc := Service{Key: key, Scheduler: "wlc"}
	ops := []Op{{Kind: OpAddService, Service: svc}}
	for i := 0; i < n; i++ {
		a := netip.AddrFrom4([4]byte{198, 51, byte(100 + i/250), byte(1 + i%250)})
		ops = append(ops, Op{Kind: OpAddDest, Service: svc, Dest: Destination{Addr: a, Port: 80, Weight: 1}})
	}
	return ops
}

// Through the Guard, a long op list goes as batches of batchMax, each
// its own guarded call; a batch with a failure ends the list there.
func TestGuardBatches(t *testing.T) {
	kb := &kernelBatch{FakeKernel: NewFakeKernel()}
	g, err := NewGuard(func() (Handle, error) { return batchHandle{kb}, nil }, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ops := manyDests(2*batchMax + 10)
	if n, err := Apply(g, ops); err != nil || n != len(ops) || kb.batches != 3 {
		t.Fatalf("Apply: %d of %d, %v, in %d batches; want all in 3", n, len(ops), err, kb.batches)
	}
	// The second destination of the second batch is refused: the rest of
	// that batch is still written (as by the kernel), the third batch not.
	bad := ops[batchMax+1].Dest.Key()
	kb.Fail = func(op string, _ ServiceKey, d DestKey) error {
		if d == bad {
			return syscall.EINVAL
		}
		return nil
	}
	if err := kb.DelService(key); err != nil {
		t.Fatal(err)
	}
	kb.batches = 0
	n, err := Apply(g, ops)
	if want := 2*batchMax - 1; n != want || kb.batches != 2 || err == nil || !strings.Contains(err.Error(), bad.String()) {
		t.Errorf("Apply: %d writes (want %d) in %d batches (want 2), %v", n, want, kb.batches, err)
	}
}

// Over a handle that cannot batch, the Guard writes one op at a time and
// stops at the first failure.
func TestGuardBatchOverPlainHandle(t *testing.T) {
	k := NewFakeKernel()
	g, err := NewGuard(func() (Handle, error) { return fakeHandle{k}, nil }, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ops := manyDests(5)
	k.Fail = func(op string, _ ServiceKey, d DestKey) error {
		if d == ops[3].Dest.Key() {
			return syscall.EEXIST
		}
		return nil
	}
	if n, err := Apply(g, ops); n != 3 || !errors.Is(err, syscall.EEXIST) || k.Writes() != 3 {
		t.Errorf("Apply: %d, %v, %d kernel writes; want 3 and EEXIST", n, err, k.Writes())
	}
}

// slowBatch never finishes a batch within the deadline.
type slowBatch struct{ fakeHandle }

func (slowBatch) writeBatch(ops []Op, done func(int)) []opError {
	time.Sleep(200 * time.Millisecond)
	for i := range ops {
		done(i) // late: must not reach the caller
	}
	return nil
}

// A batch that overruns the deadline fails whole with ErrTimeout, and
// its late successes are not reported: the caller's state (owned
// services) is never written from the abandoned call.
func TestGuardBatchTimeout(t *testing.T) {
	g, err := NewGuard(func() (Handle, error) { return slowBatch{fakeHandle{NewFakeKernel()}}, nil }, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	calls := 0
	n, err := applyOps(g, manyDests(3), func(Op) { calls++ })
	time.Sleep(300 * time.Millisecond)
	if n != 0 || calls != 0 || !errors.Is(err, ErrTimeout) {
		t.Errorf("applied %d, %d callbacks, %v; want 0, 0, ErrTimeout", n, calls, err)
	}
}
