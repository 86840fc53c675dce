package vrrp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/lbhad/lbhad/internal/clock"
)

// fakeLAN joins fake transports like one Ethernet segment: a multicast
// advert reaches every other open port, a unicast one the port with that
// address. Every event (advert sent, GARP, address change) goes to one
// log so tests can check their order and times.
type fakeLAN struct {
	name  string
	clock *clock.Fake
	log   *eventLog
	mu    sync.Mutex
	ports []*fakePort
}

type rxPacket struct {
	b    []byte
	meta RecvMeta
}

type fakePort struct {
	lan       *fakeLAN
	src       netip.Addr
	in        chan rxPacket
	closed    chan struct{}
	closeOnce sync.Once
	node      string
}

func (l *fakeLAN) port(node string, src netip.Addr) *fakePort {
	p := &fakePort{lan: l, src: src, node: node, in: make(chan rxPacket, 4096), closed: make(chan struct{})}
	l.mu.Lock()
	l.ports = append(l.ports, p)
	l.mu.Unlock()
	return p
}

func (p *fakePort) ReadFrom(buf []byte) (int, RecvMeta, error) {
	select {
	case pkt := <-p.in:
		return copy(buf, pkt.b), pkt.meta, nil
	case <-p.closed:
		return 0, RecvMeta{}, net.ErrClosed
	}
}

func (p *fakePort) isClosed() bool {
	select {
	case <-p.closed:
		return true
	default:
		return false
	}
}

func (p *fakePort) WriteTo(payload []byte, dst netip.Addr) error {
	if p.isClosed() {
		return net.ErrClosed
	}
	var a Advertisement
	if err := a.DecodePacket(payload, p.src, dst); err != nil {
		return fmt.Errorf("fake lan: node sent a bad advert: %w", err)
	}
	p.lan.log.add(event{At: p.lan.clock.Now(), Node: p.node, Kind: "advert", Prio: a.Priority, VRID: a.VRID, LAN: p.lan.name})
	p.lan.mu.Lock()
	defer p.lan.mu.Unlock()
	for _, q := range p.lan.ports {
		if q == p || q.isClosed() || (dst != GroupAddr && dst != GroupAddr6 && dst != q.src) {
			continue
		}
		q.in <- rxPacket{append([]byte(nil), payload...), RecvMeta{Src: p.src, Dst: dst, TTL: TTL}}
	}
	return nil
}

// inject delivers raw bytes to p as if received.
func (p *fakePort) inject(b []byte, meta RecvMeta) { p.in <- rxPacket{b, meta} }

func (p *fakePort) Close() error {
	p.closeOnce.Do(func() { close(p.closed) })
	return nil
}

// event is one observable effect of a node.
type event struct {
	At   time.Time
	Node string
	LAN  string
	Kind string // advert, garp, add, remove
	VRID uint8
	Prio uint8
	Addr netip.Prefix
}

type eventLog struct {
	mu sync.Mutex
	ev []event
}

func (l *eventLog) add(e event) {
	l.mu.Lock()
	l.ev = append(l.ev, e)
	l.mu.Unlock()
}

func (l *eventLog) filter(f func(e event) bool) []event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []event
	for _, e := range l.ev {
		if f(e) {
			out = append(out, e)
		}
	}
	return out
}

// fakeAddrs is an AddrManager holding the node's VIPs in a set.
type fakeAddrs struct {
	node  string
	clock *clock.Fake
	log   *eventLog
	mu    sync.Mutex
	have  map[VIPAddr]bool
}

func (f *fakeAddrs) Add(v VIPAddr) error {
	f.mu.Lock()
	f.have[v] = true
	f.mu.Unlock()
	f.log.add(event{At: f.clock.Now(), Node: f.node, Kind: "add", Addr: v.Prefix})
	return nil
}

func (f *fakeAddrs) Remove(v VIPAddr) error {
	f.mu.Lock()
	delete(f.have, v)
	f.mu.Unlock()
	f.log.add(event{At: f.clock.Now(), Node: f.node, Kind: "remove", Addr: v.Prefix})
	return nil
}

func (f *fakeAddrs) list() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for v := range f.have {
		out = append(out, v.Prefix.String()+"@"+v.Dev)
	}
	sort.Strings(out)
	return out
}

// fakeAnnouncer logs every gratuitous ARP.
type fakeAnnouncer struct {
	node, dev string
	clock     *clock.Fake
	log       *eventLog
}

func (f *fakeAnnouncer) Announce(ip netip.Addr) error {
	f.log.add(event{At: f.clock.Now(), Node: f.node, LAN: f.dev, Kind: "garp", Addr: netip.PrefixFrom(ip, 32)})
	return nil
}

// fakeLinks is a LinkWatcher a test drives through a channel.
type fakeLinks struct {
	ch    chan LinkEvent
	names chan []string
}

func (f *fakeLinks) Watch(ctx context.Context, names []string) (<-chan LinkEvent, error) {
	select {
	case f.names <- names:
	default:
	}
	return f.ch, nil
}
