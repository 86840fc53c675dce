package lab

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Pinger sends an ICMP (or ICMPv6, for an IPv6 target) echo request to
// one address every Interval from inside a namespace and records when
// replies arrive.
type Pinger struct {
	Target   netip.Addr
	Interval time.Duration

	conn *icmp.PacketConn
	id   int
	stop chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	sent    int
	replies []time.Time
}

// StartPinger pings target from namespace ns every interval (10 ms if
// zero) until Stop. The raw ICMP socket is opened on a thread inside ns.
func StartPinger(ns string, target netip.Addr, interval time.Duration) (*Pinger, error) {
	if interval <= 0 {
		interval = 10 * time.Millisecond
	}
	p := &Pinger{Target: target, Interval: interval, stop: make(chan struct{})}
	var b [2]byte
	rand.Read(b[:])
	p.id = int(binary.BigEndian.Uint16(b[:]))
	err := InNS(ns, func() error {
		network, addr := "ip4:icmp", "0.0.0.0"
		if target.Is6() {
			network, addr = "ip6:ipv6-icmp", "::"
		}
		c, err := icmp.ListenPacket(network, addr)
		if err != nil {
			return fmt.Errorf("open icmp socket in %s: %w", ns, err)
		}
		p.conn = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.wg.Add(2)
	go p.send()
	go p.receive()
	return p, nil
}

func (p *Pinger) send() {
	defer p.wg.Done()
	tick := time.NewTicker(p.Interval)
	defer tick.Stop()
	dst := &net.IPAddr{IP: p.Target.AsSlice()}
	for seq := 0; ; seq++ {
		var typ icmp.Type = ipv4.ICMPTypeEcho
		if p.Target.Is6() {
			typ = ipv6.ICMPTypeEchoRequest // the kernel fills in the checksum
		}
		msg := icmp.Message{Type: typ, Body: &icmp.Echo{ID: p.id, Seq: seq & 0xffff, Data: []byte("lbhad-lab")}}
		b, _ := msg.Marshal(nil)
		p.conn.WriteTo(b, dst) // errors (no ARP yet) count as lost pings
		p.mu.Lock()
		p.sent++
		p.mu.Unlock()
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
	}
}

func (p *Pinger) receive() {
	defer p.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, peer, err := p.conn.ReadFrom(buf)
		now := time.Now()
		if err != nil {
			return // closed by Stop
		}
		proto, reply := 1, icmp.Type(ipv4.ICMPTypeEchoReply)
		if p.Target.Is6() {
			proto, reply = 58, ipv6.ICMPTypeEchoReply
		}
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || m.Type != reply {
			continue
		}
		echo, ok := m.Body.(*icmp.Echo)
		if !ok || echo.ID != p.id {
			continue
		}
		if a, ok := peer.(*net.IPAddr); !ok || !a.IP.Equal(p.Target.AsSlice()) {
			continue
		}
		p.mu.Lock()
		p.replies = append(p.replies, now)
		p.mu.Unlock()
	}
}

// Stop ends the pinger; it is safe to call more than once.
func (p *Pinger) Stop() {
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	p.conn.Close()
	p.wg.Wait()
}

// Replies returns the arrival times of all replies so far.
func (p *Pinger) Replies() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.replies...)
}

// Counts returns how many requests were sent and replies received.
func (p *Pinger) Counts() (sent, received int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent, len(p.replies)
}

// LongestGap returns the longest silence between replies in [from, to].
func (p *Pinger) LongestGap(from, to time.Time) Gap {
	return LongestGap(p.Replies(), from, to)
}

// RepliedSince reports whether a reply arrived after t.
func (p *Pinger) RepliedSince(t time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.replies) > 0 && p.replies[len(p.replies)-1].After(t)
}

// WaitReply waits up to d for a reply arriving after t.
func (p *Pinger) WaitReply(t time.Time, d time.Duration) bool {
	return Eventually(d, func() bool { return p.RepliedSince(t) })
}

// Eventually polls cond every 20 ms until it is true or d has passed, and
// reports whether it became true.
func Eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
