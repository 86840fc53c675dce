package ipvssync

import (
	"errors"
	"fmt"
)

// batcher is a Kernel that can write several ops with one netlink send
// and read their acknowledgements afterwards, instead of one round trip
// (and, through moby/ipvs, three system calls and a 64 KiB buffer) per
// op. Open's handle is one; Apply uses it when present.
//
// writeBatch performs ops in order, as the kernel does with the requests
// of one send: every request is carried out and acknowledged, so an op
// after a failing one is still attempted. It calls done(i) for each op
// i that succeeded and returns the errors of those that failed, each
// with its index, in order.
type batcher interface {
	writeBatch(ops []Op, done func(i int)) []opError
}

// opError is the failure of ops[i] in a batch.
type opError struct {
	i   int
	err error
}

// applyOps is Apply with a callback per successful op. Without a
// batcher it stops at the first failure. With one, the ops after a
// failing one may have been done as well (the kernel carries on with the
// requests of a send); their successes are reported through done, and
// the error names the first failure, with the count of later ones.
// Either way the caller must read the table again before trusting it;
// the Reconciler does, since a failed sync makes the next read whole.
func applyOps(k Kernel, ops []Op, done func(Op)) (applied int, err error) {
	if b, ok := k.(batcher); ok && len(ops) > 1 {
		errs := b.writeBatch(ops, func(i int) {
			applied++
			if done != nil {
				done(ops[i])
			}
		})
		if len(errs) == 0 {
			return applied, nil
		}
		first := errs[0]
		err = fmt.Errorf("%s: %w", ops[first.i], first.err)
		if len(errs) > 1 {
			err = fmt.Errorf("%w (and %d later writes of the same batch failed)", err, len(errs)-1)
		}
		return applied, err
	}
	for _, op := range ops {
		if err := applyOne(k, op); err != nil {
			return applied, fmt.Errorf("%s: %w", op, err)
		}
		applied++
		if done != nil {
			done(op)
		}
	}
	return applied, nil
}

// applyOne performs one op through k's single-request calls.
func applyOne(k Kernel, op Op) error {
	s := toKernel(op.Service)
	switch op.Kind {
	case OpAddService:
		return k.NewService(s)
	case OpUpdateService:
		return k.UpdateService(s)
	case OpDelService:
		return k.DelService(s.Key)
	case OpAddDest:
		return k.NewDestination(s.Key, op.Dest.spec())
	case OpUpdateDest:
		return k.UpdateDestination(s.Key, op.Dest.spec())
	case OpDelDest:
		return k.DelDestination(s.Key, op.Dest.Key())
	}
	return errUnknownOp(op.Kind)
}

func errUnknownOp(k OpKind) error { return fmt.Errorf("unknown op kind %d", k) }

// errBatchLost is a batch whose acknowledgements did not all arrive
// (the receive timed out or the socket dropped some): what the kernel did
// with the rest is unknown.
var errBatchLost = errors.New("no acknowledgement from the kernel")
