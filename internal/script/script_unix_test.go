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
	"syscall"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/script/scripttest"
)

func TestLookupUser(t *testing.T) {
	u, err := user.Current()
	if err != nil {
		t.Skipf("no current user: %v", err)
	}
	c, err := LookupUser(u.Username)
	if err != nil {
		t.Fatal(err)
	}
	if strconv.Itoa(int(c.Uid)) != u.Uid || strconv.Itoa(int(c.Gid)) != u.Gid {
		t.Errorf("LookupUser(%s) = uid %d gid %d, want %s %s", u.Username, c.Uid, c.Gid, u.Uid, u.Gid)
	}
	if root := os.Geteuid() == 0; c.NoSetGroups == root {
		t.Errorf("NoSetGroups = %v as euid %d", c.NoSetGroups, os.Geteuid())
	}
	if strconv.Itoa(os.Getegid()) == u.Gid {
		if c, err := LookupUserUnlessSelf(u.Username); c != nil || err != nil {
			t.Errorf("LookupUserUnlessSelf(self) = %+v, %v; want nil, nil", c, err)
		}
	}
	for _, f := range []func(string) (*Credential, error){LookupUser, LookupUserUnlessSelf} {
		if _, err := f("no-such-user-lbhad"); err == nil {
			t.Error("unknown user accepted")
		}
	}
	if os.Geteuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Skipf("no user nobody: %v", err)
		}
		c, err := LookupUserUnlessSelf("nobody")
		if err != nil || c == nil || strconv.Itoa(int(c.Uid)) != nobody.Uid {
			t.Errorf("LookupUserUnlessSelf(nobody) = %+v, %v; want uid %s", c, err, nobody.Uid)
		}
	}
}

// waitGone fails unless the pid recorded in file dies within a generous
// bound, and kills it in any case.
func waitGone(t *testing.T, file string) {
	t.Helper()
	pid := scripttest.ReadPID(t, file)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	for deadline := time.Now().Add(10 * time.Second); scripttest.Alive(pid); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d from %s survived", pid, file)
		}
	}
}

func TestRunKillsGroup(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		timeout time.Duration
		run     func(*exec.Cmd) error
		wantErr func(err error, ctx context.Context) bool
	}{
		{"Run sweeps leftovers after exit", "sleep 100 &\necho $! > %s\nexit 0", time.Minute,
			func(c *exec.Cmd) error { return Run(context.Background(), c, Options{}) },
			func(err error, _ context.Context) bool { return err == nil }},
		// Plain cmd.Run: the kill must come from Command's Cancel alone.
		{"Command kills group at timeout", "sleep 100 &\necho $! > %s\nwait", 300 * time.Millisecond, (*exec.Cmd).Run,
			func(err error, ctx context.Context) bool {
				return err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			p := scripttest.Write(t, "s.sh", fmt.Sprintf(tt.body, pidFile))
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			cmd := Command(ctx, []string{p}, nil)
			if err := tt.run(cmd); !tt.wantErr(err, ctx) {
				t.Errorf("Run = %v (ctx %v)", err, ctx.Err())
			}
			waitGone(t, pidFile)
		})
	}
}

func TestCommandRunsAs(t *testing.T) {
	u, err := user.Current()
	if err != nil {
		t.Skipf("no current user: %v", err)
	}
	name := u.Username
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("nobody"); err == nil {
			name = "nobody" // really switch
		}
	}
	want, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := LookupUser(name)
	if err != nil {
		t.Fatal(err)
	}
	cmd := Command(context.Background(), []string{"id", "-u"}, c)
	var out strings.Builder
	cmd.Stdout = &out
	if err := Run(context.Background(), cmd, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out.String()); got != want.Uid {
		t.Errorf("ran as uid %s, want %s (%s)", got, want.Uid, name)
	}
}
