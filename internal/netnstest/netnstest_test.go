//go:build linux

package netnstest

import (
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// netnsInode identifies the calling thread's network namespace.
func netnsInode(t *testing.T) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func TestInNewNetnsIsolates(t *testing.T) {
	RequireRoot(t)
	before := netnsInode(t)
	InNewNetns(t, func() {
		if netnsInode(t) == before {
			t.Fatal("fn runs in the original netns")
		}
		inside, err := net.Interfaces()
		if err != nil {
			t.Fatal(err)
		}
		if len(inside) != 1 || inside[0].Name != "lo" || inside[0].Flags&net.FlagUp == 0 {
			t.Fatalf("fresh netns interfaces = %+v, want only lo, up", inside)
		}
		other := NewNetns(t)
		if again, _ := net.Interfaces(); len(again) != 1 {
			t.Fatalf("NewNetns moved the thread: %+v", again)
		}
		other.Do(t, func() {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			l.Close()
		})
	})
	// The goroutine may now run on any thread; all of them must be back
	// in the original namespace.
	if after := netnsInode(t); after != before {
		t.Fatalf("netns after = %d, before = %d: original netns not restored", after, before)
	}
}
