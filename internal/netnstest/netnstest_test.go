//go:build linux

package netnstest

import (
	"errors"
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

func TestRunEntersFromAnyGoroutine(t *testing.T) {
	RequireRoot(t)
	before := netnsInode(t)
	n := NewNetns(t) // outside InNewNetns: the caller's thread must not move
	if after := netnsInode(t); after != before {
		t.Fatalf("NewNetns moved the calling thread: netns %d, was %d", after, before)
	}
	var inside uint64
	err := n.Run(func() error {
		inside = netnsInode(t)
		ifs, err := net.Interfaces()
		if err != nil {
			return err
		}
		if len(ifs) != 1 || ifs[0].Name != "lo" || ifs[0].Flags&net.FlagUp == 0 {
			t.Errorf("fresh netns interfaces = %+v, want only lo, up", ifs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if inside == before {
		t.Fatal("Run ran fn in the caller's netns")
	}
	var st unix.Stat_t
	if err := unix.Stat(n.Path(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Ino != inside {
		t.Errorf("Path names netns %d, Run entered %d", st.Ino, inside)
	}
	if err := n.Run(func() error { return errors.New("boom") }); err == nil || err.Error() != "boom" {
		t.Errorf("Run returned %v, want fn's error", err)
	}
}
