//go:build integration

package integration

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/internal/lab"
	"github.com/lbhad/lbhad/internal/netnstest"
)

// stateFS is a small tmpfs the test mounts for one lbhad's state file,
// so it can be filled and made read-only without touching the host.
type stateFS struct {
	t   *testing.T
	dir string
}

func mountStateFS(t *testing.T, dir string) *stateFS {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		failOrSkipCI(t, "mount tmpfs: %v: %s", err, out)
	}
	fs := &stateFS{t: t, dir: dir}
	// Unmount also when the test fails; lazily, in case a daemon still
	// has the directory open.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return fs
}

// fill writes until the file system is full.
func (fs *stateFS) fill() {
	fs.t.Helper()
	f, err := os.Create(filepath.Join(fs.dir, "fill"))
	if err != nil {
		fs.t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				fs.t.Fatalf("fill: %v", err)
			}
			return
		}
	}
}

func (fs *stateFS) remount(opt string) {
	fs.t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opt, fs.dir).CombinedOutput(); err != nil {
		fs.t.Fatalf("remount %s: %v: %s", opt, err, out)
	}
}

func failOrSkipCI(t *testing.T, format string, args ...any) {
	t.Helper()
	netnstest.Unavailable(t, format, args...)
}

// startWithState runs lbhad on n with its state file at state.
func startWithState(b *bed, n *lab.Node, in lab.Instance, state string) *lab.Proc {
	b.t.Helper()
	sock := b.l.ControlSocket(n)
	conf := lab.LBHADConf(n.Name, sock, in)
	def := strings.TrimSuffix(sock, ".sock") + ".state.json"
	if !strings.Contains(conf, def) {
		b.t.Fatalf("lab config has no state_file %s:\n%s", def, conf)
	}
	path := filepath.Join(b.l.Dir, n.Name+"-state-lbhad.hcl")
	if err := os.WriteFile(path, []byte(strings.Replace(conf, def, state, 1)), 0o644); err != nil {
		b.t.Fatal(err)
	}
	p, err := b.l.Start(n.NS, n.Name+"-lbhad-"+time.Now().Format("150405.000"), lbhadBin(b.t), "run", "-c", path, "--log-level", "debug")
	if err != nil {
		b.t.Fatal(err)
	}
	return p
}

// maintTry runs "lbhad maint ARGS" against n and returns its output.
func (b *bed) maintTry(n *lab.Node, args ...string) (string, error) {
	argv := append(append([]string{"maint"}, args...), "-s", b.sock(n))
	out, err := exec.Command(lbhadBin(b.t), argv...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// directorMaint reports whether n's daemon holds the whole director in
// maintenance, and who set it.
func (b *bed) directorMaint(n *lab.Node) (bool, string) {
	b.t.Helper()
	var s control.Snapshot
	if !lab.Eventually(10*time.Second, func() bool {
		var err error
		s, err = control.Status(context.Background(), b.sock(n))
		return err == nil && len(s.Instances) == 1
	}) {
		b.t.Fatalf("no status from %s", n.Name)
	}
	if m := s.Maintenance; m != nil {
		for _, d := range m.Directors {
			if d.Instance == "" {
				return true, d.By
			}
		}
	}
	return false, ""
}

// TestMaintStateFileFaults (fault matrix 8): with the state file on a
// full file system and on a read-only one, "maint" fails with a clear
// error and nothing is lost (the daemon and the file still say what they
// said); a corrupt state file at start holds the director in maintenance
// and says so in the log and the status.
func TestMaintStateFileFaults(t *testing.T) {
	b := newBed(t)
	fs := mountStateFS(t, filepath.Join(b.l.Dir, "statefs"))
	state := filepath.Join(fs.dir, "state.json")
	in := lab.Instance{Priority: 150}
	p := startWithState(b, b.l.D1, in, state)
	b.waitOwner(b.l.D1, 15*time.Second, 0, "lbhad started")

	if out, err := b.maintTry(b.l.D1, "director", "on"); err != nil {
		t.Fatalf("maint director on: %v\n%s", err, out)
	}
	saved, err := os.ReadFile(state)
	if err != nil || !strings.Contains(string(saved), `"director"`) {
		t.Fatalf("state file after on: %v\n%s", err, saved)
	}

	check := func(fault, wantErr string) {
		t.Helper()
		out, err := b.maintTry(b.l.D1, "director", "off")
		t.Logf("%s: lbhad maint director off: %v: %s", fault, err, out)
		if err == nil {
			t.Errorf("%s: maint director off succeeded", fault)
		}
		for _, w := range []string{wantErr, "maintenance not changed"} {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q: %s", fault, w, out)
			}
		}
		if on, _ := b.directorMaint(b.l.D1); !on {
			t.Errorf("%s: the daemon dropped maintenance", fault)
		}
		if now, _ := os.ReadFile(state); string(now) != string(saved) {
			t.Errorf("%s: state file changed:\n%s", fault, now)
		}
		ents, _ := os.ReadDir(fs.dir)
		for _, e := range ents {
			if strings.Contains(e.Name(), ".tmp") {
				t.Errorf("%s: temporary file left: %s", fault, e.Name())
			}
		}
	}

	fs.fill()
	check("full file system", "no space left on device")
	if err := os.Remove(filepath.Join(fs.dir, "fill")); err != nil {
		t.Fatal(err)
	}
	fs.remount("ro")
	check("read-only file system", "read-only file system")
	fs.remount("rw")

	// The state is intact: the master stays in maintenance across a
	// restart (it stays backup; no peer runs, so the VIP is nobody's).
	p.Kill()
	corrupt := []byte(`{"version": 1, "director": {"since": "2026-`)
	if err := os.WriteFile(state, corrupt, 0o644); err != nil {
		t.Fatal(err)
	}
	p2 := startWithState(b, b.l.D1, in, state)
	on, by := b.directorMaint(b.l.D1)
	if !on || !strings.Contains(by, "state file unusable") {
		t.Errorf("corrupt state file: director maintenance %v (by %q)", on, by)
	}
	if st, _ := b.instMaint(b.l.D1); st == "MASTER" {
		t.Errorf("corrupt state file: instance is %s", st)
	}
	if !lab.Eventually(5*time.Second, func() bool {
		return strings.Contains(p2.Output(), "maintenance state file unusable, director held in maintenance")
	}) {
		t.Errorf("no error log about the corrupt state file:\n%s", p2.Output())
	}
	if kept, err := os.ReadFile(state + ".corrupt"); err != nil || string(kept) != string(corrupt) {
		t.Errorf("copy of the corrupt file: %v %q", err, kept)
	}
	t.Logf("corrupt state file: held in maintenance by %q", by)
	// And the operator can take it out of maintenance again.
	if out, err := b.maintTry(b.l.D1, "director", "off"); err != nil {
		t.Fatalf("maint director off after corrupt file: %v\n%s", err, out)
	}
	b.waitOwner(b.l.D1, 15*time.Second, 0, "maintenance off")
	p2.Kill()
}
