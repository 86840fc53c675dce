//go:build integration

package vm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// TestBoot proves the harness itself: exit codes come back, per-run files
// arrive, modules load, and a timeout kills qemu.
func TestBoot(t *testing.T) {
	k, err := FindKernel("")
	if err != nil {
		netnstest.Unavailable(t, "%v", err)
	}
	initrd := filepath.Join(t.TempDir(), "base.cpio.gz")
	f, err := os.Create(initrd)
	if err != nil {
		t.Fatal(err)
	}
	if err := BuildInitramfs(f, InitramfsOptions{Kernel: k}); err != nil {
		t.Fatal(err)
	}
	f.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	code, log, err := Run(ctx, Options{
		Kernel: k, Initrd: initrd,
		Files: map[string]File{"/lbhad/hello": {Data: []byte("hi from the host\n"), Mode: 0o644}},
		Commands: []Command{
			{Path: "/bin/cat", Args: []string{"/lbhad/hello", "/proc/net/ip_vs"}},
			{Path: "/bin/sh", Args: []string{"-c", "/usr/sbin/ip netns add t && /usr/sbin/ipvsadm -Ln && exit 5"}},
			{Path: "/bin/false"},
		},
	})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log)
	}
	if code != 5 {
		t.Errorf("exit code %d, want 5 (the first failure)", code)
	}
	for _, want := range []string{"hi from the host", "IP Virtual Server version", "Prot LocalAddress:Port"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("console lacks %q:\n%s", want, log)
		}
	}

	// A guest that never finishes is killed at the deadline.
	short, cancel2 := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel2()
	code, _, err = Run(short, Options{Kernel: k, Initrd: initrd, Commands: []Command{{Path: "/bin/sleep", Args: []string{"600"}}}})
	if !errors.Is(err, context.DeadlineExceeded) || code != -1 {
		t.Errorf("Run past its deadline = %d, %v; want -1, DeadlineExceeded", code, err)
	}
}
