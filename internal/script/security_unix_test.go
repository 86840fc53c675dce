//go:build unix

package script

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// writeExec writes an executable shell script body at path with mode.
func writeExec(t *testing.T, path, body string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// openDir returns a fresh directory of t with mode (set after creation,
// so umask does not interfere).
func openDir(t *testing.T, mode os.FileMode) string {
	t.Helper()
	d := t.TempDir()
	if err := os.Chmod(d, mode); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestResolveRule(t *testing.T) {
	safe := openDir(t, 0o700)
	good := writeExec(t, filepath.Join(safe, "good.sh"), "exit 0", 0o755)
	worldFile := writeExec(t, filepath.Join(safe, "world.sh"), "exit 0", 0o777)
	groupFile := writeExec(t, filepath.Join(safe, "group.sh"), "exit 0", 0o775)
	open := openDir(t, 0o777)
	inOpen := writeExec(t, filepath.Join(open, "x.sh"), "exit 0", 0o755)
	sticky := openDir(t, os.ModeSticky|0o777)
	inSticky := writeExec(t, filepath.Join(sticky, "x.sh"), "exit 0", 0o755)
	linkInOpen := filepath.Join(open, "link")
	if err := os.Symlink(good, linkInOpen); err != nil {
		t.Fatal(err)
	}
	linkToOpen := filepath.Join(safe, "to-open")
	if err := os.Symlink(inOpen, linkToOpen); err != nil {
		t.Fatal(err)
	}
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		t.Skipf("no /bin/sh: %v", err)
	}

	tests := []struct {
		name     string
		path     string
		secure   bool
		want     string // resolved path; "" for an error
		insecure bool   // the error wraps ErrInsecure
	}{
		{"private file", good, true, good, false},
		{"world-writable file", worldFile, true, "", true},
		{"world-writable file, security off", worldFile, false, worldFile, false},
		{"group-writable file", groupFile, true, "", true},
		{"file in a world-writable directory", inOpen, true, "", true},
		{"own file in a sticky directory", inSticky, true, inSticky, false},
		// The link sits where anyone may swap it, but what runs is the
		// resolved file, in a directory nobody else can change.
		{"link in an open directory to a safe file", linkInOpen, true, good, false},
		{"safe link to a file in an open directory", linkToOpen, true, "", true},
		{"a directory", safe, true, "", true},
		{"missing", filepath.Join(safe, "nope"), true, "", false},
		{"bare name from the fixed PATH", "sh", true, sh, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.path, tt.secure, nil)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Resolve(%s) = %s, want an error", tt.path, got)
				}
				if errors.Is(err, ErrInsecure) != tt.insecure {
					t.Fatalf("Resolve(%s) = %v, want insecure=%v", tt.path, err, tt.insecure)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Resolve(%s) = %q, %v; want %q", tt.path, got, err, tt.want)
			}
		})
	}
}

// TestResolveOwner needs root to give files away: a script owned by
// another user is refused unless the script runs as that user.
func TestResolveOwner(t *testing.T) {
	netnstest.RequireRoot(t) // chown
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	dir := openDir(t, 0o755)
	p := writeExec(t, filepath.Join(dir, "s.sh"), "exit 0", 0o755)
	if err := os.Chown(p, uid, -1); err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve(p, true, nil); !errors.Is(err, ErrInsecure) {
		t.Errorf("script owned by nobody, run as root: %v, want ErrInsecure", err)
	}
	if _, err := Resolve(p, true, &Credential{Uid: uint32(uid)}); err != nil {
		t.Errorf("script owned by nobody, run as nobody: %v", err)
	}
}

func TestRunRefusesInsecure(t *testing.T) {
	dir := openDir(t, 0o700)
	marker := filepath.Join(dir, "ran")
	p := writeExec(t, filepath.Join(dir, "s.sh"), "touch "+marker, 0o777)
	err := Run(context.Background(), Command(context.Background(), []string{p}, nil), Options{Secure: true})
	if !errors.Is(err, ErrInsecure) {
		t.Fatalf("Run(world-writable, secure) = %v, want ErrInsecure", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the refused script ran")
	}
	if err := Run(context.Background(), Command(context.Background(), []string{p}, nil), Options{}); err != nil {
		t.Fatalf("Run(world-writable, security off) = %v", err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("without script security the script did not run")
	}
}

func TestRunCleanEnv(t *testing.T) {
	t.Setenv("LBHAD_TEST_SECRET", "hunter2")
	t.Setenv("PATH", "/nonexistent:"+os.Getenv("PATH"))
	dir := openDir(t, 0o700)
	out := filepath.Join(dir, "env")
	p := writeExec(t, filepath.Join(dir, "s.sh"), "env > "+out, 0o755)
	cmd := Command(context.Background(), []string{p}, nil)
	if err := Run(context.Background(), cmd, Options{Secure: true}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	env := string(b)
	if strings.Contains(env, "hunter2") {
		t.Errorf("the daemon's environment leaked into the script:\n%s", env)
	}
	if !strings.Contains(env, "PATH="+DefaultPath+"\n") {
		t.Errorf("PATH is not the fixed one:\n%s", env)
	}
}

// TestSymlinkSwapRace flips a link, in a directory anyone may write,
// between a safe script and an attacker's one while Run executes the
// link 1,000 times with script security: the attacker's script, which
// would leave a marker file, must never run. The control below shows
// that the same race beats the old check-then-exec-the-name.
func TestSymlinkSwapRace(t *testing.T) {
	const runs = 1000
	safeDir := openDir(t, 0o700)
	evilDir := openDir(t, 0o777)
	marker := filepath.Join(t.TempDir(), "pwned")
	safe := writeExec(t, filepath.Join(safeDir, "safe.sh"), "exit 0", 0o755)
	evil := writeExec(t, filepath.Join(evilDir, "evil.sh"), "touch "+marker, 0o755)
	link := filepath.Join(evilDir, "notify.sh")

	flip := func(t *testing.T) (stop func()) {
		var done atomic.Bool
		var wg sync.WaitGroup
		tmp := link + ".tmp"
		wg.Go(func() {
			for i := 0; !done.Load(); i++ {
				target := safe
				if i%2 == 1 {
					target = evil
				}
				_ = os.Remove(tmp)
				if err := os.Symlink(target, tmp); err != nil {
					t.Error(err)
					return
				}
				if err := os.Rename(tmp, link); err != nil { // atomic swap
					t.Error(err)
					return
				}
			}
		})
		return func() { done.Store(true); wg.Wait() }
	}

	t.Run("Run", func(t *testing.T) {
		stop := flip(t)
		ran, refused := 0, 0
		for range runs {
			err := Run(context.Background(), Command(context.Background(), []string{link}, nil), Options{Secure: true})
			switch {
			case err == nil:
				ran++
			case errors.Is(err, ErrInsecure):
				refused++
			default:
				// Resolving a link while it is being replaced can fail
				// with ENOENT (seen a few times per 1,000); it ran
				// nothing either way.
				t.Logf("run: %v", err)
			}
		}
		stop()
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("the attacker's script ran (safe runs %d, refusals %d)", ran, refused)
		}
		t.Logf("%d runs: %d ran the safe script, %d refused the attacker's", runs, ran, refused)
		if ran == 0 || refused == 0 {
			t.Fatalf("the race was not exercised: %d safe runs, %d refusals", ran, refused)
		}
	})

	t.Run("control: check the link, exec the name", func(t *testing.T) {
		stop := flip(t)
		defer stop()
		deadline := time.Now().Add(30 * time.Second)
		for i := 0; i < runs && time.Now().Before(deadline); i++ {
			if _, err := Resolve(link, true, nil); err != nil {
				continue
			}
			_ = exec.Command(link).Run()
			if _, err := os.Stat(marker); err == nil {
				t.Logf("the old way ran the attacker's script after %d tries", i+1)
				return
			}
		}
		t.Fatal("the race never beat check-then-exec-the-name: the harness proves nothing")
	})
}

// TestRunNice: a misc_check or notify script runs ScriptNice below the
// daemon; a vrrp_script (Track) at the daemon's own priority.
func TestRunNice(t *testing.T) {
	dir := openDir(t, 0o700)
	for _, tt := range []struct {
		track bool
		delta int
	}{{false, ScriptNice}, {true, 0}} {
		out := filepath.Join(dir, fmt.Sprint("nice-", tt.track))
		// The script reads its own nice value after a moment, when the
		// renice has surely happened.
		p := writeExec(t, filepath.Join(dir, fmt.Sprint("s-", tt.track, ".sh")), "sleep 0.2; nice > "+out, 0o755)
		if err := Run(context.Background(), Command(context.Background(), []string{p}, nil), Options{Track: tt.track}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(20-raw+tt.delta, 19); got != want {
			t.Errorf("track=%v: script nice %d, want %d", tt.track, got, want)
		}
	}
}
