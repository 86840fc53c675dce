package checker

import (
	"container/heap"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// connector runs plain TCP connects (tcp_check without send or expect)
// on one epoll set of its own: a non-blocking socket, connect, one
// epoll_ctl, and, once the socket is writable, close (SO_ERROR is read
// only when epoll reports an error). That is 4 system calls an attempt
// against net.Dialer's 9 (it also sets TCP_NODELAY, reads both socket
// names and deregisters before close), and one goroutine for all
// attempts in flight instead of one each, so goroutines and stacks do
// not follow the network's latency.
//
// The loop's goroutine makes every system call of an attempt, from
// socket to close: start only queues. With the opens on the engine's
// goroutine and the closes on this one, each socket crossed between
// two CPUs, and an attempt cost 1.8 times what it costs on one thread
// (docs/PERFORMANCE.md, "Health checks", has the measurements).
//
// start is called by the engine's loop; done callbacks run on the
// connector's goroutine, never inside start, because the engine's loop
// is also the receiver of the results they send.
type connector struct {
	ep, ev int // epoll and eventfd descriptors

	mu       sync.Mutex
	queue    []*dial // started, not yet opened
	stopping bool
	woken    bool // ev written and not yet read

	// Owned by the loop's goroutine.
	inflight map[uint64]*dial // by key: fd and generation
	byTime   dialHeap
	gen      uint32

	done chan struct{} // closed when the loop has delivered everything
}

type dial struct {
	key      uint64
	fd       int
	to       netip.AddrPort
	bind     netip.Addr
	start    time.Time
	deadline time.Time
	timeout  time.Duration
	done     func(Result)
	hidx     int
}

type finished struct {
	d   *dial
	res Result
}

// newConnector opens the epoll set and starts its loop; nil when the
// kernel refuses (the engine then dials with net.Dialer).
func newConnector() *connector {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	ev, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(ep)
		return nil
	}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, ev, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(ev)}); err != nil {
		unix.Close(ep)
		unix.Close(ev)
		return nil
	}
	c := &connector{ep: ep, ev: ev, inflight: map[uint64]*dial{}, done: make(chan struct{})}
	go c.loop()
	return c
}

// start queues a connect to to (from bind when valid) that fails after
// timeout, counted from now; done is called once with the result. The
// engine stops calling start before it calls stop.
func (c *connector) start(to netip.AddrPort, bind netip.Addr, timeout time.Duration, done func(Result)) {
	d := &dial{fd: -1, to: to, bind: bind, start: time.Now(), timeout: timeout, done: done, hidx: -1}
	d.deadline = d.start.Add(timeout)
	c.mu.Lock()
	c.queue = append(c.queue, d)
	c.wakeLocked()
	c.mu.Unlock()
}

// open creates the socket and starts the connect. pending: the dial is
// in the set and its socket registered; otherwise res is the outcome
// and the socket is closed.
func (c *connector) open(d *dial) (res Result, pending bool) {
	family := unix.AF_INET6
	if d.to.Addr().Unmap().Is4() {
		family = unix.AF_INET
	}
	fd, err := sysSocket(family)
	if err != nil {
		return c.failed(d, "socket", err), false
	}
	if d.bind.IsValid() {
		_, bsa := sockaddr(netip.AddrPortFrom(d.bind, 0))
		if err := unix.Bind(fd, bsa); err != nil {
			sysClose(fd)
			return c.failed(d, "bind", err), false
		}
	}
	switch err := sysConnect(fd, d.to); err {
	case nil:
		sysClose(fd)
		return Result{OK: true, Latency: time.Since(d.start)}, false
	case unix.EINPROGRESS:
	default:
		sysClose(fd)
		return c.failed(d, "connect", err), false
	}
	c.gen++
	d.fd, d.key = fd, uint64(fd)|uint64(c.gen)<<32
	ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLONESHOT, Fd: int32(fd), Pad: int32(d.key >> 32)}
	if err := sysEpollAdd(c.ep, fd, &ev); err != nil {
		sysClose(fd)
		return c.failed(d, "epoll_ctl", err), false
	}
	c.inflight[d.key] = d
	heap.Push(&c.byTime, d)
	return Result{}, true
}

// failed words a system call's error as net.Dialer's would be worded,
// so that a check's reasons do not depend on the path it took.
func (c *connector) failed(d *dial, call string, err error) Result {
	oe := &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(d.to), Err: os.NewSyscallError(call, err)}
	return Result{Reason: reason(oe, d.timeout), Latency: time.Since(d.start)}
}

func sockaddr(a netip.AddrPort) (int, unix.Sockaddr) {
	if ip := a.Addr().Unmap(); ip.Is4() {
		return unix.AF_INET, &unix.SockaddrInet4{Port: int(a.Port()), Addr: ip.As4()}
	}
	return unix.AF_INET6, &unix.SockaddrInet6{Port: int(a.Port()), Addr: a.Addr().As16()}
}

func (c *connector) wakeLocked() {
	if c.woken {
		return
	}
	c.woken = true
	var one = [8]byte{1}
	_, _ = unix.Write(c.ev, one[:])
}

// stop fails every attempt queued or in flight as cancelled; the loop
// delivers their results and exits. wait blocks until it has.
func (c *connector) stop() {
	c.mu.Lock()
	c.stopping = true
	c.wakeLocked()
	c.mu.Unlock()
}

func (c *connector) wait() { <-c.done }

func (c *connector) loop() {
	defer close(c.done)
	defer unix.Close(c.ep)
	defer unix.Close(c.ev)
	events := make([]unix.EpollEvent, 128)
	var queue []*dial
	var out []finished
	for {
		// Take what start queued; the slices swap, so neither side
		// allocates once both have grown to a turn's size.
		c.mu.Lock()
		queue, c.queue = c.queue, queue[:0]
		stopping := c.stopping
		c.mu.Unlock()
		for i, d := range queue {
			queue[i] = nil
			if stopping {
				out = append(out, finished{d, Result{Reason: "cancelled"}})
			} else if r, pending := c.open(d); !pending {
				out = append(out, finished{d, r})
			}
		}
		if stopping {
			for len(c.byTime) > 0 {
				d := c.byTime[0]
				c.forget(d)
				out = append(out, finished{d, Result{Reason: "cancelled"}})
			}
			c.deliver(out)
			return // start is no longer called: the queue stays empty
		}
		wait := -1
		switch {
		case len(out) > 0:
			wait = 0 // deliver without sleeping first
		case len(c.byTime) > 0:
			wait = int(max(time.Until(c.byTime[0].deadline)+time.Millisecond-1, 0) / time.Millisecond)
		}
		n, err := unix.EpollWait(c.ep, events, wait)
		if err != nil && err != unix.EINTR {
			n = 0 // cannot happen with valid descriptors; time still fails the dials
		}
		now := time.Now()
		for _, e := range events[:max(n, 0)] {
			if int(e.Fd) == c.ev {
				var b [8]byte
				_, _ = unix.Read(c.ev, b[:])
				c.mu.Lock()
				c.woken = false
				c.mu.Unlock()
				continue
			}
			d := c.inflight[uint64(uint32(e.Fd))|uint64(uint32(e.Pad))<<32]
			if d == nil {
				continue
			}
			r := c.outcome(d, e.Events, now)
			c.forget(d)
			out = append(out, finished{d, r})
		}
		for len(c.byTime) > 0 && !c.byTime[0].deadline.After(now) {
			d := c.byTime[0]
			c.forget(d)
			out = append(out, finished{d, Result{Reason: "timeout after " + d.timeout.String(), Latency: now.Sub(d.start)}})
		}
		out = c.deliver(out)
	}
}

// deliver calls every result's done and returns out emptied.
func (c *connector) deliver(out []finished) []finished {
	for i, f := range out {
		f.d.done(f.res)
		out[i] = finished{}
	}
	return out[:0]
}

// forget takes d out of the set and closes its socket, which also takes
// it out of the epoll set.
func (c *connector) forget(d *dial) {
	delete(c.inflight, d.key)
	if d.hidx >= 0 {
		heap.Remove(&c.byTime, d.hidx)
	}
	sysClose(d.fd)
}

// outcome reads a connect's result from the events epoll reported. A
// failed connect always raises EPOLLERR (the kernel sets the socket's
// error before waking it), so a plain EPOLLOUT is a connection made
// and needs no SO_ERROR read; a connection reset right after it was
// made reads as reset, as it does through net.Dialer's SO_ERROR read.
func (c *connector) outcome(d *dial, events uint32, now time.Time) Result {
	if events&(unix.EPOLLERR|unix.EPOLLHUP) == 0 {
		return Result{OK: true, Latency: now.Sub(d.start)}
	}
	soerr, err := unix.GetsockoptInt(d.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err == nil && soerr == 0 {
		return Result{OK: true, Latency: now.Sub(d.start)}
	}
	if err == nil {
		err = unix.Errno(soerr)
	}
	oe := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}
	return Result{Reason: reason(oe, d.timeout), Latency: now.Sub(d.start)}
}

// dialHeap orders dials by deadline.
type dialHeap []*dial

func (h dialHeap) Len() int           { return len(h) }
func (h dialHeap) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
func (h dialHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx, h[j].hidx = i, j
}
func (h *dialHeap) Push(x any) {
	d := x.(*dial)
	d.hidx = len(*h)
	*h = append(*h, d)
}
func (h *dialHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	d.hidx = -1
	return d
}
