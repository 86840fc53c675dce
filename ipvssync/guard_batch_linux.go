//go:build linux

package ipvssync

import "fmt"

// writeBatch implements batcher for the Guard: each batch of batchMax
// ops is one guarded call, so a converge of thousands of ops is many
// calls each within the deadline, not one that would overrun it. Over a
// handle that cannot batch (a fake, FromMoby) the ops go one by one,
// stopping at the first failure. Successes are reported through done on
// the caller's goroutine, never from a call that overran its deadline.
// After a failed or overrun batch the rest is not sent.
func (g *Guard) writeBatch(ops []Op, done func(i int)) []opError {
	for base := 0; base < len(ops); base += batchMax {
		chunk := ops[base:min(base+batchMax, len(ops))]
		type outcome struct {
			ok   []int
			errs []opError
		}
		res, err := guarded(g, fmt.Sprintf("write %d ops", len(chunk)), func(k Kernel) (outcome, error) {
			var o outcome
			if b, ok := k.(batcher); ok {
				o.errs = b.writeBatch(chunk, func(i int) { o.ok = append(o.ok, i) })
				return o, nil
			}
			for i, op := range chunk {
				if err := applyOne(k, op); err != nil {
					o.errs = []opError{{i, err}}
					break
				}
				o.ok = append(o.ok, i)
			}
			return o, nil
		})
		if err != nil { // overran: what the kernel did is unknown
			return []opError{{base, err}}
		}
		for _, i := range res.ok {
			done(base + i)
		}
		if len(res.errs) > 0 {
			for j := range res.errs {
				res.errs[j].i += base
			}
			return res.errs
		}
	}
	return nil
}
