//go:build ipvsguest && linux

package ipvsguest

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// wireLog records the frames crossing the director's bridge (promiscuous,
// so frames between two ports too), to explain a failed request after
// the fact: whether the director forwarded the SYN and to which server,
// whether an answer came, which ARP exchange was pending. It keeps the
// first 80 bytes of the last 25,000-50,000 frames.
type wireLog struct {
	conn *packet.Conn
	done chan struct{}

	mu     sync.Mutex
	frames []wireFrame
}

type wireFrame struct {
	at   time.Time
	data []byte // the first 80 bytes
}

func startWireLog(t *testing.T, ns *netnstest.Netns, ifname string) *wireLog {
	t.Helper()
	w := &wireLog{done: make(chan struct{})}
	if err := ns.Run(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		c, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, nil)
		if err != nil {
			return err
		}
		if err := c.SetPromiscuous(true); err != nil {
			c.Close()
			return err
		}
		w.conn = c
		return nil
	}); err != nil {
		t.Fatalf("capture on %s: %v", ifname, err)
	}
	go w.loop()
	t.Cleanup(func() {
		w.conn.Close()
		<-w.done
	})
	return w
}

func (w *wireLog) loop() {
	defer close(w.done)
	buf := make([]byte, 2048)
	for {
		n, _, err := w.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		f := wireFrame{at: time.Now(), data: append([]byte(nil), buf[:min(n, 80)]...)}
		w.mu.Lock()
		if len(w.frames) >= 50000 {
			w.frames = append(w.frames[:0], w.frames[25000:]...)
		}
		w.frames = append(w.frames, f)
		w.mu.Unlock()
	}
}

// dump returns the ARP and TCP frames seen since since, one line each,
// naming the MAC addresses in names.
func (w *wireLog) dump(since time.Time, names map[string]string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, f := range w.frames {
		if f.at.Before(since) {
			continue
		}
		s, ok := describeFrame(f.data, names)
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "  %s %s\n", f.at.Format("15:04:05.000000"), s)
	}
	return b.String()
}

// synPorts returns the client ports of the SYNs (without ACK) sent to
// port since since.
func (w *wireLog) synPorts(since time.Time, port uint16) []uint16 {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []uint16
	for _, f := range w.frames {
		b := f.data
		if f.at.Before(since) || len(b) < 14+20 || binary.BigEndian.Uint16(b[12:]) != 0x0800 || b[14+9] != 6 {
			continue
		}
		ihl := int(b[14]&0x0f) * 4
		if len(b) < 14+ihl+14 {
			continue
		}
		tcp := b[14+ihl:]
		if binary.BigEndian.Uint16(tcp[2:]) == port && tcp[13]&0x12 == 0x02 {
			if sp := binary.BigEndian.Uint16(tcp[0:]); !slices.Contains(out, sp) {
				out = append(out, sp)
			}
		}
	}
	return out
}

// describeFrame summarises an Ethernet frame carrying ARP or IPv4 TCP.
func describeFrame(b []byte, names map[string]string) (string, bool) {
	if len(b) < 14 {
		return "", false
	}
	mac := func(m []byte) string {
		s := net.HardwareAddr(m).String()
		if n, ok := names[s]; ok {
			return n
		}
		return s
	}
	head := mac(b[6:12]) + ">" + mac(b[0:6])
	p := b[14:]
	switch binary.BigEndian.Uint16(b[12:]) {
	case 0x0806:
		if len(p) < 28 {
			return "", false
		}
		op := "request"
		if binary.BigEndian.Uint16(p[6:]) == 2 {
			op = "reply"
		}
		return fmt.Sprintf("%s ARP %s who-has %v tell %v (sender mac %s)", head, op, net.IP(p[24:28]), net.IP(p[14:18]), mac(p[8:14])), true
	case 0x0800:
		if len(p) < 20 || p[9] != 6 {
			return "", false
		}
		ihl := int(p[0]&0x0f) * 4
		if len(p) < ihl+14 {
			return "", false
		}
		src, dst := netip.AddrFrom4([4]byte(p[12:16])), netip.AddrFrom4([4]byte(p[16:20]))
		tcp := p[ihl:]
		sp, dp := binary.BigEndian.Uint16(tcp[0:]), binary.BigEndian.Uint16(tcp[2:])
		seq, ack := binary.BigEndian.Uint32(tcp[4:]), binary.BigEndian.Uint32(tcp[8:])
		var flags []string
		for i, n := range []string{"FIN", "SYN", "RST", "PSH", "ACK"} {
			if tcp[13]&(1<<i) != 0 {
				flags = append(flags, n)
			}
		}
		return fmt.Sprintf("%s %v:%d > %v:%d %s seq %d ack %d len %d", head, src, sp, dst, dp, strings.Join(flags, ","), seq, ack, int(binary.BigEndian.Uint16(p[2:]))-ihl-int(tcp[12]>>4)*4), true
	}
	return "", false
}

// nsCommand runs name with args in ns and returns its combined output.
func nsCommand(ns *netnstest.Netns, name string, args ...string) string {
	var out []byte
	err := ns.Run(func() (err error) {
		out, err = exec.Command(name, args...).CombinedOutput()
		return err
	})
	if err != nil {
		return fmt.Sprintf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// nsRead reads a per-namespace /proc file (/proc/thread-self/net/...,
// /proc/sys/...) as seen from ns: both follow the reading thread's
// namespace. An error is returned as the text.
func nsRead(ns *netnstest.Netns, path string) string {
	var out []byte
	err := ns.Run(func() (err error) {
		out, err = os.ReadFile(path)
		return err
	})
	if err != nil {
		return err.Error()
	}
	return string(out)
}

// tcpExtNonZero returns the non-zero TcpExt and Tcp counters of a
// /proc/net/netstat or snmp text.
func tcpExtNonZero(text string) string {
	lines := strings.Split(text, "\n")
	var b strings.Builder
	for i := 0; i+1 < len(lines); i += 2 {
		keys, vals := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(keys) == 0 || len(keys) != len(vals) || !strings.HasPrefix(keys[0], "Tcp") {
			continue
		}
		for j := 1; j < len(keys); j++ {
			if vals[j] != "0" {
				fmt.Fprintf(&b, "%s%s=%s ", keys[0], keys[j], vals[j])
			}
		}
	}
	return b.String()
}
