package checker

import (
	"context"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// pingWith checks dst once with the socket kind mode.
func pingWith(t *testing.T, dst string, mode pingMode, timeout time.Duration) Result {
	t.Helper()
	c, err := newPing(Spec{Kind: KindPing, Target: netip.AddrPortFrom(netip.MustParseAddr(dst), 0), ConnectTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	c.open = func(d, b netip.Addr) (*pingConn, error) { return openPingAs(d, b, mode) }
	return c.Check(context.Background())
}

// TestPingLoopback pings 127.0.0.1 and ::1 in a fresh namespace whose
// only interface is lo (nothing leaves it): first with the namespace's
// default ping_group_range ("1 0", nobody), where ping sockets are
// refused and the check must fall back to a raw socket; then with the
// range opened to every group, over a ping socket; then over a raw
// socket alone.
func TestPingLoopback(t *testing.T) {
	netnstest.InNewNetns(t, func() {
		for _, dst := range []string{"127.0.0.1", "::1"} {
			if _, err := openPingAs(netip.MustParseAddr(dst), netip.Addr{}, pingDgram); err == nil {
				t.Logf("ping sockets allowed in a fresh namespace; the fallback is not exercised")
			}
			if r := pingWith(t, dst, pingAuto, 2*time.Second); !r.OK {
				t.Errorf("auto, %s: %s", dst, r.Reason)
			}
		}
		// The thread is in the namespace: this sysctl is the namespace's.
		if err := os.WriteFile("/proc/sys/net/ipv4/ping_group_range", []byte("0 2147483647\n"), 0o644); err != nil {
			netnstest.SkipOrFail(t, err)
		}
		for _, mode := range []struct {
			name string
			m    pingMode
		}{{"ping socket", pingDgram}, {"raw socket", pingRaw}} {
			for _, dst := range []string{"127.0.0.1", "::1"} {
				if r := pingWith(t, dst, mode.m, 2*time.Second); !r.OK {
					t.Errorf("%s, %s: %s", mode.name, dst, r.Reason)
				}
			}
		}
	})
}

// TestPingNamespace pings through a veth pair into a namespace the test
// creates: the peer's address answers; an address on the same link that
// nobody holds does not, and neither does the peer once its end of the
// link is down.
func TestPingNamespace(t *testing.T) {
	netnstest.InNewNetns(t, func() {
		peer := netnstest.NewNetns(t)
		netnstest.Veth(t,
			netnstest.End{Name: "pg0", Addr: netip.MustParsePrefix("198.51.100.1/24")},
			netnstest.End{Name: "pg1", Addr: netip.MustParsePrefix("198.51.100.2/24"), NS: peer})
		for _, m := range []pingMode{pingAuto, pingRaw} {
			if r := pingWith(t, "198.51.100.2", m, 3*time.Second); !r.OK {
				t.Errorf("mode %d: peer in the namespace judged down: %s", m, r.Reason)
			}
		}
		for _, m := range []pingMode{pingAuto, pingRaw} {
			r := pingWith(t, "198.51.100.3", m, 500*time.Millisecond)
			if r.OK || r.Reason != "no echo reply within 500ms" {
				t.Errorf("mode %d: nobody at 198.51.100.3: ok=%v %q", m, r.OK, r.Reason)
			}
		}
		peer.Do(t, func() {
			l, err := netlink.LinkByName("pg1")
			if err == nil {
				err = netlink.LinkSetDown(l)
			}
			if err != nil {
				t.Fatalf("set pg1 down: %v", err)
			}
		})
		if r := pingWith(t, "198.51.100.2", pingAuto, 500*time.Millisecond); r.OK {
			t.Error("peer answered with its link down")
		}
	})
}

func TestEchoCodec(t *testing.T) {
	token := []byte("0123456789abcdef")
	for _, v6 := range []bool{false, true} {
		req, err := echoRequest(v6, 7, token)
		if err != nil {
			t.Fatal(err)
		}
		// A reply is the request with the type changed (and, for v4, the
		// checksum, which isEchoReply does not judge).
		reply := append([]byte(nil), req...)
		if v6 {
			reply[0] = 129
		} else {
			reply[0] = 0
		}
		if !isEchoReply(reply, v6, 7, token) {
			t.Errorf("v6=%v: reply not recognised", v6)
		}
		if isEchoReply(req, v6, 7, token) {
			t.Errorf("v6=%v: the request taken for a reply", v6)
		}
		if isEchoReply(reply, v6, 8, token) {
			t.Errorf("v6=%v: another sequence number accepted", v6)
		}
		if isEchoReply(reply, v6, 7, []byte("another token...")) {
			t.Errorf("v6=%v: another token accepted", v6)
		}
		if isEchoReply(reply, !v6, 7, token) {
			t.Errorf("v6=%v: reply of the other family accepted", v6)
		}
	}
}

// FuzzIsEchoReply: any bytes are judged without panic, and accepted only
// when they carry the sequence number and token asked for.
func FuzzIsEchoReply(f *testing.F) {
	req, _ := echoRequest(false, 1, []byte("tok"))
	f.Add(req, false)
	f.Add([]byte{129, 0, 0, 0, 0, 0, 0, 1, 't', 'o', 'k'}, true)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		if isEchoReply(b, v6, 1, []byte("tok")) && (len(b) != 11 || string(b[8:]) != "tok" || b[6] != 0 || b[7] != 1) {
			t.Fatalf("accepted %x", b)
		}
	})
}
