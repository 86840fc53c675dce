//go:build unix

package checker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/script/scripttest"
)

// writeScript writes an executable shell script into a fresh directory.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	return scripttest.Write(t, "check.sh", body)
}

func TestMiscExitCodes(t *testing.T) {
	w := func(n int) *int { return &n }
	tests := []struct {
		name    string
		code    int
		dynamic bool
		want    Result
	}{
		{"0 up", 0, false, Result{OK: true}},
		{"1 down", 1, false, Result{Reason: "exit status 1"}},
		{"7 down without dynamic", 7, false, Result{Reason: "exit status 7"}},
		{"dynamic 0 up, weight unchanged", 0, true, Result{OK: true}},
		{"dynamic 1 down", 1, true, Result{Reason: "exit status 1"}},
		{"dynamic 2 weight 0", 2, true, Result{OK: true, Weight: w(0)}},
		{"dynamic 12 weight 10", 12, true, Result{OK: true, Weight: w(10)}},
		{"dynamic 255 weight 253", 255, true, Result{OK: true, Weight: w(253)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeScript(t, fmt.Sprintf("exit %d", tt.code))
			got := mustCheck(t, Spec{Kind: KindMisc, Target: mustAddrPort("192.0.2.7:80"), Misc: &MiscSpec{Path: p, Dynamic: tt.dynamic, Timeout: 10 * time.Second}})
			if got.OK != tt.want.OK || got.Reason != tt.want.Reason || (got.Weight == nil) != (tt.want.Weight == nil) ||
				(got.Weight != nil && *got.Weight != *tt.want.Weight) {
				t.Errorf("got %+v (weight %v), want %+v", got, deref(got.Weight), tt.want)
			}
		})
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestMiscEnvironmentAndArguments(t *testing.T) {
	p := writeScript(t, `printf '%s|%s|%s|%s|%s|%s\n' "$LBHAD_RS_ADDR" "$LBHAD_RS_PORT" "$LBHAD_VS" "$LBHAD_CHECK_ID" "$1" "$2"`)
	got := mustCheck(t, Spec{
		ID: "web/192.0.2.7:8080", Kind: KindMisc, Target: mustAddrPort("192.0.2.7:8080"), VirtualServer: "web",
		Misc: &MiscSpec{Path: p + ` 'two words' "and \"more\""`},
	})
	if want := "192.0.2.7|8080|web|web/192.0.2.7:8080|two words|and \"more\"\n"; !got.OK || got.Output != want {
		t.Errorf("got %+v, want output %q", got, want)
	}

	s := writeScript(t, `echo "script=$LBHAD_SCRIPT addr=$LBHAD_RS_ADDR"; echo oops >&2; exit 1`)
	got = mustCheck(t, Spec{ID: "script/chk", Name: "chk_nginx", Kind: KindScript, Misc: &MiscSpec{Path: s}})
	if want := "script=chk_nginx addr=\noops\n"; got.OK || got.Reason != "exit status 1" || got.Output != want {
		t.Errorf("got %+v, want failure with output %q", got, want)
	}
}

func TestMiscCannotRun(t *testing.T) {
	got := mustCheck(t, Spec{Kind: KindMisc, Misc: &MiscSpec{Path: "/nonexistent/check --flag"}})
	if got.OK || got.Reason != "cannot run: /nonexistent/check: no such file or directory" {
		t.Errorf("got %+v", got)
	}
	if _, err := New(Spec{Kind: KindMisc, Misc: &MiscSpec{Path: "check 'open"}}); err == nil {
		t.Error("New accepted an unterminated quote")
	}
	if _, err := New(Spec{Kind: KindMisc, Misc: &MiscSpec{Path: "/bin/true", User: "no-such-user-lbhad"}}); err == nil {
		t.Error("New accepted an unknown user")
	}
}

// procState returns the state letter and parent pid of pid from
// /proc/pid/stat, or ok=false when the process no longer exists.
func procState(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// pid (comm) S ppid ...; comm may hold spaces, so cut at the last ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	ppid, _ = strconv.Atoi(f[1])
	return f[0][0], ppid, true
}

// waitGone waits until pid has exited (a zombie of someone else counts as
// gone: it runs nothing and init reaps it) and fails if it is still alive
// after a generous bound.
func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, ppid, ok := procState(pid)
		if !ok || (st == 'Z' && ppid != os.Getpid()) {
			return
		}
		if st == 'Z' && ppid == os.Getpid() {
			t.Fatalf("%s (pid %d) is a zombie child of the test: not reaped", what, pid)
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("%s (pid %d) still running in state %c", what, pid, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMiscTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	p := writeScript(t, fmt.Sprintf(`echo $$ > %[1]s/self.pid
sleep 100 &
echo $! > %[1]s/grandchild.pid
echo started
wait`, dir))
	got := mustCheck(t, Spec{Kind: KindMisc, Misc: &MiscSpec{Path: p, Timeout: time.Second}})
	if got.OK || got.Reason != "timeout after 1s" || got.Output != "started\n" {
		t.Errorf("got %+v, want timeout with output", got)
	}
	waitGone(t, scripttest.ReadPID(t, filepath.Join(dir, "self.pid")), "script")
	waitGone(t, scripttest.ReadPID(t, filepath.Join(dir, "grandchild.pid")), "grandchild sleep")
}

func TestMiscLeftoverGroupKilledAfterExit(t *testing.T) {
	dir := t.TempDir()
	// The background sleep keeps the output pipe open after the script
	// exits; the check must still return and must not leave it behind.
	p := writeScript(t, fmt.Sprintf(`sleep 100 &
echo $! > %s/grandchild.pid
exit 0`, dir))
	got := mustCheck(t, Spec{Kind: KindMisc, Misc: &MiscSpec{Path: p, Timeout: time.Minute}})
	if !got.OK {
		t.Errorf("got %+v", got)
	}
	waitGone(t, scripttest.ReadPID(t, filepath.Join(dir, "grandchild.pid")), "background sleep")
}

func TestMiscHugeOutputIsCapped(t *testing.T) {
	// 8 MiB to stdout and 1 MiB to stderr, far beyond any pipe buffer.
	p := writeScript(t, `head -c 8388608 /dev/zero; head -c 1048576 /dev/zero >&2; echo done >&2`)
	got := mustCheck(t, Spec{Kind: KindMisc, Misc: &MiscSpec{Path: p, Timeout: time.Minute}})
	if !got.OK {
		t.Fatalf("got reason %q", got.Reason)
	}
	if len(got.Output) != MaxScriptOutput {
		t.Errorf("kept %d bytes of output, want %d", len(got.Output), MaxScriptOutput)
	}
	t.Logf("9 MiB of output took %v", got.Latency)
}

func TestMiscRunsAsUser(t *testing.T) {
	u, err := user.Current()
	if err != nil {
		t.Skipf("no current user: %v", err)
	}
	p := writeScript(t, `id -u; id -g`)
	got := mustCheck(t, Spec{Kind: KindMisc, Misc: &MiscSpec{Path: p, User: u.Username}})
	if want := u.Uid + "\n" + u.Gid + "\n"; !got.OK || got.Output != want {
		t.Errorf("got %+v, want output %q", got, want)
	}
	if os.Geteuid() != 0 {
		return
	}
	// As root, really switch: nobody must not be able to read a 0600 file.
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	secret := writeFile(t, "secret", "x")
	os.Chmod(filepath.Dir(secret), 0o755)
	os.Chmod(filepath.Dir(filepath.Dir(secret)), 0o755) // t.TempDir's parent is 0700
	script := filepath.Join(filepath.Dir(secret), "who.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nid -u\ncat "+secret+"\n"), 0o755)
	got = mustCheck(t, Spec{Kind: KindMisc, Misc: &MiscSpec{Path: script, User: "nobody"}})
	if got.OK || !strings.HasPrefix(got.Output, nobody.Uid+"\n") {
		t.Errorf("as nobody: %+v", got)
	}
}

func TestMiscCancelled(t *testing.T) {
	p := writeScript(t, `sleep 100`)
	c, err := New(Spec{Kind: KindMisc, Misc: &MiscSpec{Path: p, Timeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if got := c.Check(ctx); got.OK || got.Reason != "cancelled" {
		t.Errorf("got %+v", got)
	}
}
