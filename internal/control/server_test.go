package control

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/config"
)

type fakeSource struct {
	mu   sync.Mutex
	snap Snapshot
	cfg  *config.Config
}

func (f *fakeSource) Snapshot() Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func (f *fakeSource) EffectiveConfig() *config.Config { return f.cfg }

// startServer serves src on a socket in a fresh directory (which Listen
// must create) and stops it when the test ends.
func startServer(t *testing.T, src Source) (*Server, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run", "lbhad.sock")
	s, err := Listen(path, src, Options{})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("socket file left behind after stop: %v", err)
		}
	})
	return s, path
}

func TestSocketModes(t *testing.T) {
	// A permissive umask must not leak into the socket's mode.
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	_, path := startServer(t, &fakeSource{})
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want socket 0600", fi.Mode())
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o755 {
		t.Errorf("directory mode %v, want 0755", di.Mode().Perm())
	}
	if m, _ := filepath.Glob(path + ".*.tmp"); len(m) > 0 {
		t.Errorf("temporary socket names left: %v", m)
	}
}

func TestStatusRoundTrip(t *testing.T) {
	want := Build(fixtureInput())
	src := &fakeSource{snap: want}
	_, path := startServer(t, src)

	raw, err := Request(path, CmdStatus)
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	var got Snapshot
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	// Times come back in a fixed zone; compare instants.
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b interface{ UnixNano() int64 }) bool { return a.UnixNano() == b.UnixNano() })); d != "" {
		t.Errorf("status round trip (-want +got):\n%s", d)
	}
	st, err := Status(context.Background(), path)
	if err != nil || st.RouterID != "lb1" {
		t.Errorf("Status = %q, %v", st.RouterID, err)
	}
}

func TestPeerCredentials(t *testing.T) {
	s, path := startServer(t, &fakeSource{})
	s.Handle("whoami", func(_ context.Context, p Peer, _ Command) (any, error) { return p, nil })
	s.Handle("change", RootOnly(func(context.Context, Peer, Command) (any, error) { return "done", nil }))

	raw, err := Request(path, "whoami")
	if err != nil {
		t.Fatal(err)
	}
	var p Peer
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	want := Peer{PID: int32(os.Getpid()), UID: uint32(os.Getuid()), GID: uint32(os.Getgid()), Known: true}
	if d := cmp.Diff(want, p); d != "" {
		t.Errorf("peer (-want +got):\n%s", d)
	}
	raw, err = Request(path, "change")
	if os.Getuid() == 0 {
		if err != nil || string(raw) != `"done"` {
			t.Errorf("root-only command as root = %s, %v", raw, err)
		}
	} else if err == nil || !strings.Contains(err.Error(), "needs root") {
		t.Errorf("root-only command as uid %d: err %v, want needs root", os.Getuid(), err)
	}
}

func TestRequireRoot(t *testing.T) {
	for _, tc := range []struct {
		peer Peer
		ok   bool
	}{
		{Peer{UID: 0, Known: true}, true},
		{Peer{UID: 1000, Known: true}, false},
		{Peer{}, false}, // unknown uid 0 is not root
	} {
		err := RequireRoot(tc.peer)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, os.ErrPermission)) {
			t.Errorf("RequireRoot(%+v) = %v", tc.peer, err)
		}
	}
}

func TestErrors(t *testing.T) {
	_, path := startServer(t, &fakeSource{})
	if _, err := Request(path, "nope"); err == nil || !strings.Contains(err.Error(), `unknown command "nope"`) {
		t.Errorf("unknown command: %v", err)
	}
	// A malformed line gets an error answer and the connection stays usable.
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("not json\n{\"cmd\":\"status\"}\n")); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(c)
	var r1, r2 Response
	if err := dec.Decode(&r1); err != nil || r1.OK || !strings.Contains(r1.Error, "not JSON") {
		t.Errorf("bad line answer %+v, %v", r1, err)
	}
	if err := dec.Decode(&r2); err != nil || !r2.OK {
		t.Errorf("second request answer %+v, %v", r2, err)
	}
}

func TestNotRunning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lbhad.sock")
	_, err := Request(path, CmdStatus)
	want := "cannot reach lbhad at " + path + ": is it running?"
	if err == nil || err.Error() != want || !errors.Is(err, ErrNotRunning) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestStaleSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lbhad.sock")

	// A socket file whose owner died: nothing answers, so it is replaced.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}
	s, err := Listen(path, &fakeSource{snap: Snapshot{RouterID: "new"}}, Options{})
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	st, err := Status(ctx, path)
	if err != nil || st.RouterID != "new" {
		t.Errorf("status from the replacing server = %q, %v", st.RouterID, err)
	}

	// A live socket is not taken over.
	if _, err := Listen(path, &fakeSource{}, Options{}); !errors.Is(err, ErrInUse) {
		t.Errorf("Listen over a live socket: %v, want ErrInUse", err)
	}
	if _, err := Status(ctx, path); err != nil {
		t.Errorf("live server disturbed by the second Listen: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}

	// A regular file is never removed.
	file := filepath.Join(dir, "not-a-socket")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(file, &fakeSource{}, Options{}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Listen over a regular file: %v", err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("regular file removed: %v", err)
	}
}

// TestIdleDeadline: a client that connects and says nothing is
// disconnected, so it cannot pin a goroutine forever.
func TestIdleDeadline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lbhad.sock")
	s, err := Listen(path, &fakeSource{}, Options{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(30 * time.Second)) // only a guard against hanging
	n, err := c.Read(make([]byte, 1))
	if n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: read %d, %v; want EOF from the server", n, err)
	}
}
