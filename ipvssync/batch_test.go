package ipvssync

import (
	"net/netip"
	"strings"
	"syscall"
	"testing"
)

// kernelBatch is a FakeKernel that writes like the kernel answers one
// netlink send of many requests: every op is attempted, a failure does
// not stop the ones after it.
type kernelBatch struct {
	*FakeKernel
	batches int
}

func (k *kernelBatch) writeBatch(ops []Op, done func(int)) []opError {
	k.batches++
	var errs []opError
	for i, op := range ops {
		if err := applyOne(k.FakeKernel, op); err != nil {
			errs = append(errs, opError{i, err})
			continue
		}
		done(i)
	}
	return errs
}

// With a batching kernel, a failed op does not hide what the ops after
// it in the same send did: Apply counts them, the error names the first
// failure and how many more, and the Reconciler forgets a service whose
// delete went through after the failure (it would otherwise think it
// still owns a service that is gone, and delete a hand-made one of the
// same key later).
func TestApplyBatchAttribution(t *testing.T) {
	k := &kernelBatch{FakeKernel: NewFakeKernel()}
	other := ServiceKey{Family: FamilyIPv4, Proto: ProtoTCP, Addr: netip.MustParseAddr("192.0.2.60"), Port: 80}
	r := NewReconciler(k, nil)
	two := Desired(nil, Health{})
	two[key] = ServiceEntry{Service: Service{Key: key, Scheduler: "wlc"}, Dests: map[DestKey]Destination{k1: {Addr: k1.Addr, Port: 80, Weight: 1}}}
	two[other] = ServiceEntry{Service: Service{Key: other, Scheduler: "wlc"}}
	if n, err := r.Sync(two); err != nil || n != 3 || k.batches != 1 {
		t.Fatalf("first sync: %d writes, %v, %d batches; want 3 in one batch", n, err, k.batches)
	}
	// Next: k1's weight changes (refused by the kernel) and other goes.
	k.Fail = func(op string, _ ServiceKey, d DestKey) error {
		if op == "UpdateDestination" {
			return syscall.EINVAL
		}
		return nil
	}
	one := Table{key: two[key]}
	e := one[key]
	e.Dests = map[DestKey]Destination{k1: {Addr: k1.Addr, Port: 80, Weight: 5}}
	one[key] = e
	n, err := r.Sync(one)
	if err == nil || !strings.Contains(err.Error(), "update destination "+k1.String()) || !strings.Contains(err.Error(), "invalid argument") {
		t.Fatalf("error %v; want the failed update named with its errno", err)
	}
	if n != 1 {
		t.Errorf("%d writes counted; the delete after the failure went through", n)
	}
	if _, ok := r.Owned()[other]; ok {
		t.Error("the deleted service is still owned")
	}
	if tab, _ := Read(k); len(tab) != 1 {
		t.Errorf("kernel holds %d services, want 1", len(tab))
	}

	// Several failures: the first is named, the rest counted.
	k.Fail = func(string, ServiceKey, DestKey) error { return syscall.EPERM }
	ops := []Op{{Kind: OpAddService, Service: Service{Key: other}}, {Kind: OpDelService, Service: Service{Key: key}}, {Kind: OpDelService, Service: Service{Key: other}}}
	if n, err := Apply(k, ops); n != 0 || err == nil || !strings.HasPrefix(err.Error(), "add service") || !strings.Contains(err.Error(), "and 2 later") {
		t.Errorf("Apply: %d, %v", n, err)
	}
}

// Without a batcher, Apply still stops at the first failure.
func TestApplyStopsWithoutBatches(t *testing.T) {
	k := NewFakeKernel()
	k.Fail = func(op string, _ ServiceKey, _ DestKey) error {
		if op == "NewDestination" {
			return syscall.EEXIST
		}
		return nil
	}
	ops := []Op{
		{Kind: OpAddService, Service: Service{Key: key, Scheduler: "wlc"}},
		{Kind: OpAddDest, Service: Service{Key: key}, Dest: Destination{Addr: k1.Addr, Port: 80, Weight: 1}},
		{Kind: OpDelService, Service: Service{Key: key}},
	}
	if n, err := Apply(k, ops); n != 1 || err == nil || !strings.HasPrefix(err.Error(), "add destination") {
		t.Errorf("Apply: %d, %v; want 1 and the add's error", n, err)
	}
	if tab, _ := Read(k); len(tab) != 1 {
		t.Error("an op after the failure ran")
	}
}
