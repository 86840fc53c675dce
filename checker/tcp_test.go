package checker

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// tcpServer accepts connections on loopback and hands each to serve.
func tcpServer(t *testing.T, serve func(net.Conn)) (netip.AddrPort, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				serve(c)
			})
		}
	})
	closeFn := sync.OnceFunc(func() { ln.Close(); wg.Wait() })
	t.Cleanup(closeFn)
	return netip.MustParseAddrPort(ln.Addr().String()), closeFn
}

func TestTCPConnect(t *testing.T) {
	var (
		mu      sync.Mutex
		remotes []string
	)
	addr, closeFn := tcpServer(t, func(c net.Conn) {
		mu.Lock()
		remotes = append(remotes, c.RemoteAddr().String())
		mu.Unlock()
	})
	if got := mustCheck(t, Spec{Kind: KindTCP, Target: addr}); !got.OK {
		t.Fatalf("open listener: %+v", got)
	}
	if got := mustCheck(t, Spec{Kind: KindTCP, Target: mustAddrPort("192.0.2.1:9"), ConnectIP: addr.Addr(), ConnectPort: addr.Port(), BindTo: netip.MustParseAddr("127.0.0.3")}); !got.OK {
		t.Fatalf("with overrides: %+v", got)
	}
	// The handlers may still be running; wait for the second address.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		r := append([]string(nil), remotes...)
		mu.Unlock()
		if len(r) == 2 {
			if !strings.HasPrefix(r[0], "127.0.0.3:") && !strings.HasPrefix(r[1], "127.0.0.3:") {
				t.Fatalf("server saw %q, want one from 127.0.0.3", r)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server saw %q, want two connections", r)
		}
	}
	closeFn()
	if got := mustCheck(t, Spec{Kind: KindTCP, Target: addr}); got.OK || got.Reason != "connection refused" {
		t.Errorf("closed listener: %+v", got)
	}
}

func TestTCPSendExpect(t *testing.T) {
	// A tiny line server: PING -> +PONG, QUIT -> bye and close, SILENT -> nothing.
	addr, _ := tcpServer(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return
		}
		switch strings.TrimSpace(line) {
		case "PING":
			c.Write([]byte("+PO"))
			time.Sleep(10 * time.Millisecond) // reply in two segments
			c.Write([]byte("NG\r\n"))
		case "QUIT":
			c.Write([]byte("bye\r\n"))
		case "SILENT":
			var b [1]byte
			c.Read(b[:]) // until the checker hangs up
		}
	})
	tests := []struct {
		name string
		tcp  TCPSpec
		want string
	}{
		{"reply matches across segments", TCPSpec{Send: "PING\r\n", Expect: "+PONG"}, ""},
		{"substring", TCPSpec{Send: "PING\r\n", Expect: "ONG"}, ""},
		{"send only", TCPSpec{Send: "QUIT\r\n"}, ""},
		{"closed without match", TCPSpec{Send: "QUIT\r\n", Expect: "+PONG"}, "reply did not match"},
		{"no reply in time", TCPSpec{Send: "SILENT\n", Expect: "x"}, "waiting for reply: timeout after 300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.tcp
			timeout := 10 * time.Second
			if strings.Contains(tt.want, "timeout") {
				timeout = 300 * time.Millisecond
			}
			got := mustCheck(t, Spec{Kind: KindTCP, Target: addr, ConnectTimeout: timeout, TCP: &spec})
			if got.OK != (tt.want == "") || got.Reason != tt.want {
				t.Errorf("got %+v, want reason %q", got, tt.want)
			}
		})
	}
}

func TestTCPReplyCap(t *testing.T) {
	addr, _ := tcpServer(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		junk := []byte(strings.Repeat("z", 4096))
		for range 100 { // 400 KiB, never the expected string
			if _, err := c.Write(junk); err != nil {
				return
			}
		}
		c.Write([]byte("MATCH"))
	})
	got := mustCheck(t, Spec{Kind: KindTCP, Target: addr, TCP: &TCPSpec{Expect: "MATCH"}})
	if got.OK || got.Reason != "reply did not match" {
		t.Errorf("got %+v, want a mismatch once 64 KiB were read", got)
	}
}

func TestTCPCancelledWhileWaiting(t *testing.T) {
	addr, _ := tcpServer(t, func(c net.Conn) {
		var b [1]byte
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Read(b[:])
	})
	c, err := New(Spec{Kind: KindTCP, Target: addr, ConnectTimeout: time.Minute, TCP: &TCPSpec{Expect: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if got := c.Check(ctx); got.OK || got.Reason != "waiting for reply: cancelled" {
		t.Errorf("got %+v", got)
	}
}
