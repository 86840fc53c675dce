package lab

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Capture records VRRP adverts, ARP packets and neighbour advertisements
// seen on a bridge. It listens in promiscuous mode, so it sees every
// frame any port sends, unicast included.
type Capture struct {
	conn *packet.Conn
	rc   syscall.RawConn // for the kernel's receive timestamps
	done chan struct{}

	mu     sync.Mutex
	frames []Frame
}

// StartCapture starts capturing on the lab's bridge until Stop.
func (l *Lab) StartCapture() (*Capture, error) {
	return StartCaptureIn(func(fn func() error) error { return InNS(l.BridgeNS, fn) }, "br0", nil)
}

// StartCaptureIn starts capturing on ifname until Stop, for labs other
// than Lab (the qemu guest's end-to-end lab has its own bridges). run
// runs its argument in the interface's namespace, as netnstest.Netns.Run
// does; the socket stays bound there. filter (nil: every frame) keeps
// the kernel from copying the frames the caller does not want, such as
// a test's load traffic, to the socket.
func StartCaptureIn(run func(func() error) error, ifname string, filter []bpf.RawInstruction) (*Capture, error) {
	c := &Capture{done: make(chan struct{})}
	err := run(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return fmt.Errorf("find %s: %w", ifname, err)
		}
		conn, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, &packet.Config{Filter: filter})
		if err != nil {
			return fmt.Errorf("listen on %s: %w", ifname, err)
		}
		if err := conn.SetPromiscuous(true); err != nil {
			conn.Close()
			return fmt.Errorf("promiscuous %s: %w", ifname, err)
		}
		c.conn = conn
		c.rc, _ = conn.SyscallConn() // nil: frames get the reader's clock
		c.stamp(time.Now())          // timestamps on (the kernel's deferred work)
		return nil
	})
	if err != nil {
		return nil, err
	}
	go c.loop()
	return c, nil
}

func (c *Capture) loop() {
	defer close(c.done)
	buf := make([]byte, 2048)
	for {
		n, _, err := c.conn.ReadFrom(buf)
		now := time.Now()
		if err != nil {
			return
		}
		f, ok := ParseFrame(buf[:n])
		if !ok {
			continue
		}
		f.Time = c.stamp(now)
		c.mu.Lock()
		c.frames = append(c.frames, f)
		c.mu.Unlock()
	}
}

// stamp returns when the kernel received the frame just read
// (SIOCGSTAMPNS), or now if that is unknown: a test process busy
// elsewhere (a starved qemu guest) reads frames late, and its own clock
// would add that delay to every time taken from the wire. The first
// call only turns the socket's timestamps on (StartCaptureIn makes it);
// a frame without one gets the time of the call, hence the sanity bound.
func (c *Capture) stamp(now time.Time) time.Time {
	if c.rc == nil {
		return now
	}
	var ts unix.Timespec
	var errno syscall.Errno
	if err := c.rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, unix.SIOCGSTAMPNS, uintptr(unsafe.Pointer(&ts)))
	}); err != nil || errno != 0 {
		return now
	}
	k := time.Unix(ts.Unix())
	if d := now.Sub(k); d < 0 || d > time.Second {
		return now
	}
	return k
}

// Stop ends the capture.
func (c *Capture) Stop() {
	c.conn.Close()
	<-c.done
}

// Frames returns the captured frames matching keep (all if nil), oldest
// first.
func (c *Capture) Frames(keep func(Frame) bool) []Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Frame
	for _, f := range c.frames {
		if keep == nil || keep(f) {
			out = append(out, f)
		}
	}
	return out
}

// Wait waits up to d for a frame after since that matches keep and returns
// it.
func (c *Capture) Wait(since time.Time, d time.Duration, keep func(Frame) bool) (Frame, bool) {
	var got Frame
	ok := Eventually(d, func() bool {
		for _, f := range c.Frames(keep) {
			if f.Time.After(since) {
				got = f
				return true
			}
		}
		return false
	})
	return got, ok
}

// Adverts returns the VRRP adverts for vrid sent from src (any source if
// src is nil) after since.
func (c *Capture) Adverts(vrid uint8, src net.HardwareAddr, since time.Time) []Frame {
	return c.Frames(func(f Frame) bool {
		return f.VRRP != nil && f.VRRP.VRID == vrid && f.Time.After(since) &&
			(src == nil || f.SrcMAC.String() == src.String())
	})
}

// NAs returns the unsolicited neighbour advertisements for ip (an IPv6
// address) seen after since.
func (c *Capture) NAs(ip netip.Addr, since time.Time) []Frame {
	return c.Frames(func(f Frame) bool {
		return f.NA != nil && !f.NA.Solicited && f.Time.After(since) && f.NA.Target == ip
	})
}

// GARPs returns the gratuitous ARP packets for ip seen after since.
func (c *Capture) GARPs(ip net.IP, since time.Time) []Frame {
	return c.Frames(func(f Frame) bool {
		return f.ARP != nil && f.Time.After(since) && f.ARP.SenderIP.Equal(ip) && f.ARP.TargetIP.Equal(ip)
	})
}
