package daemon

import (
	"sync"
	"time"

	"github.com/lbhad/lbhad/ipvssync"
)

// ipvsTableMaxAge is how old a table read that status and a scrape
// share may be. The traffic counters and connection counts it carries
// are at most this stale; weights and membership are fresh, as every
// sync that writes drops the cached copy. Each read is one netlink dump
// per virtual service, so however many Prometheus servers scrape, and
// however often, the kernel is read at most once per this interval.
const ipvsTableMaxAge = 5 * time.Second

// tableCache shares one read of the kernel's IPVS table among the
// callers of Table within maxAge. A caller arriving while a read runs
// waits for it instead of starting another. A read that began before an
// invalidate is returned to its own caller but not kept, so a table
// read during a sync's writes never outlives them.
type tableCache struct {
	genMu sync.Mutex // guards gen alone, so invalidate never waits on a read
	gen   uint64     // bumped by invalidate

	mu    sync.Mutex // held across the read (callers queue behind one); guards the rest
	valid bool
	at    time.Time
	atGen uint64
	t     ipvssync.Table
	err   error
}

// get returns the cached table if it is younger than maxAge at now and
// nothing invalidated it since, else reads it with read and keeps it.
// The table returned is shared: callers must not change it.
func (c *tableCache) get(now func() time.Time, maxAge time.Duration, read func() (ipvssync.Table, error)) (ipvssync.Table, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	gen := c.currentGen()
	if c.valid && c.atGen == gen && now().Sub(c.at) < maxAge {
		return c.t, c.err
	}
	t, err := read()
	c.valid, c.at, c.atGen, c.t, c.err = true, now(), gen, t, err
	return t, err
}

func (c *tableCache) currentGen() uint64 {
	c.genMu.Lock()
	defer c.genMu.Unlock()
	return c.gen
}

// invalidate makes the next get read the kernel: the table changed.
func (c *tableCache) invalidate() {
	c.genMu.Lock()
	c.gen++
	c.genMu.Unlock()
}
