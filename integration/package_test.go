//go:build integration

package integration

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// pkgFiles are the files (not directories) the packages must ship, and
// pkgAbsent what they must never ship (a live config would start the
// service with an example's addresses).
var (
	pkgFiles = []string{
		"/usr/sbin/lbhad",
		"/usr/libexec/lbhad/lbhad-bgp",
		"/lib/systemd/system/lbhad.service",
		"/lib/systemd/system/lbhad-realserver.service",
		"/etc/lbhad/lbhad.hcl.sample",
		"/etc/default/lbhad",
		"/etc/modules-load.d/lbhad.conf",
		"/usr/share/doc/lbhad/config.md",
		"/usr/share/doc/lbhad/operations.md",
	}
	pkgAbsent = []string{"/etc/lbhad/lbhad.hcl"}
)

// pkgShim is a systemctl (and deb-systemd-invoke) that records its
// arguments: the maintainer scripts run with it first on PATH.
const pkgShim = "#!/bin/sh\necho \"$(basename \"$0\") $*\" >>%s\nexit 0\n"

// TestPackageDeb builds the .deb and .rpm with scripts/package.sh, checks
// both contents lists, then installs the .deb on this machine with dpkg
// and purges it again. The maintainer scripts run in a private mount
// namespace whose /run has /run/systemd/system (PID 1 here is not
// systemd, and faking it for the whole machine would mislead other
// package installs) and with a systemctl on PATH that only records its
// calls, so the test sees every systemctl call the scripts would make
// on a systemd machine: daemon-reload on install, stop on removal, and
// never start, restart or enable. Installed, it checks the stamped
// version (lbhad version), a static binary, systemd-analyze verify of
// both units, the lbhad system user and the directory modes, and that
// no lbhad process runs; purged, that no shipped file, directory or the
// user is left. A cleanup purges whatever a failure left half-way; the
// test refuses to run where lbhad is installed or the user exists
// other than from an interrupted run of itself.
func TestPackageDeb(t *testing.T) {
	netnstest.RequireRoot(t)
	for _, tool := range []string{"dpkg", "dpkg-deb", "systemd-analyze", "unshare", "rpm", "adduser"} {
		if _, err := exec.LookPath(tool); err != nil {
			netnstest.Unavailable(t, "%s not installed (scripts/deps.sh installs it)", tool)
		}
	}
	if out, err := exec.Command("dpkg-query", "-W", "-f=${Maintainer}", "lbhad").Output(); err == nil {
		if !strings.Contains(string(out), "lbhad@example.org") {
			t.Fatalf("a package named lbhad from %q is installed here: not touching it", out)
		}
		t.Log("purging an lbhad package left by an interrupted run")
		pkgDpkg(t, nil, "--purge", "lbhad")
	}
	if _, err := user.Lookup("lbhad"); err == nil {
		t.Fatal("a user lbhad exists that no lbhad package made: not touching it")
	}
	for _, f := range append(pkgFiles, pkgAbsent...) {
		if _, err := os.Stat(f); err == nil {
			t.Fatalf("%s exists without the package: not overwriting it", f)
		}
	}

	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	version := fmt.Sprintf("0.0.0~test%d", time.Now().Unix())
	build := exec.Command("bash", "scripts/package.sh")
	build.Dir = root
	build.Env = append(os.Environ(), "OUT="+out, "LBHAD_VERSION="+version)
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("scripts/package.sh: %v\n%s", err, b)
	}
	debs, _ := filepath.Glob(filepath.Join(out, "*.deb"))
	rpms, _ := filepath.Glob(filepath.Join(out, "*.rpm"))
	if len(debs) != 1 || len(rpms) != 1 {
		t.Fatalf("want one .deb and one .rpm in %s, got %v %v", out, debs, rpms)
	}

	// Contents of both packages, before anything is installed.
	debList := pkgRun(t, "dpkg-deb", "-c", debs[0])
	rpmList := pkgRun(t, "rpm", "-qlp", rpms[0])
	for _, f := range pkgFiles {
		if !strings.Contains(debList, " ."+f+"\n") {
			t.Errorf(".deb lacks %s", f)
		}
		if !slices.Contains(strings.Split(rpmList, "\n"), f) {
			t.Errorf(".rpm lacks %s", f)
		}
	}
	for _, f := range pkgAbsent {
		if strings.Contains(debList, " ."+f+"\n") || strings.Contains(rpmList, f+"\n") {
			t.Errorf("a package ships %s", f)
		}
	}
	if s := pkgRun(t, "rpm", "-qp", "--scripts", rpms[0]); !strings.Contains(s, "useradd --system") {
		t.Errorf(".rpm scripts do not create the user:\n%s", s)
	}
	if d := pkgRun(t, "dpkg-deb", "-f", debs[0], "Depends"); !strings.Contains(d, "adduser") {
		t.Errorf(".deb Depends %q lacks adduser", d)
	}

	shimDir := t.TempDir()
	calls := filepath.Join(shimDir, "calls")
	for _, name := range []string{"systemctl", "deb-systemd-invoke", "deb-systemd-helper"} {
		if err := os.WriteFile(filepath.Join(shimDir, name), fmt.Appendf(nil, pkgShim, calls), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	installed := false
	t.Cleanup(func() {
		if installed {
			pkgDpkg(t, nil, "--purge", "lbhad")
		}
		if _, err := user.Lookup("lbhad"); err == nil {
			t.Error("cleanup: the lbhad user survived the purge; removing it")
			exec.Command("deluser", "--system", "lbhad").Run()
			exec.Command("delgroup", "--system", "lbhad").Run()
		}
	})

	installed = true
	pkgDpkg(t, &shimDir, "-i", debs[0])
	if b, _ := os.ReadFile(calls); strings.TrimSpace(string(b)) != "systemctl daemon-reload" {
		t.Errorf("install called systemctl other than daemon-reload:\n%s", b)
	}

	// The binary: stamped and static.
	if v := pkgRun(t, "/usr/sbin/lbhad", "version"); !strings.Contains(v, version) {
		t.Errorf("lbhad version = %q, want %s in it", v, version)
	}
	if v := pkgRun(t, "/usr/sbin/lbhad", "--version"); !strings.Contains(v, version) {
		t.Errorf("lbhad --version = %q, want %s in it", v, version)
	}
	if v := pkgRun(t, "/usr/libexec/lbhad/lbhad-bgp", "version"); !strings.Contains(v, version) {
		t.Errorf("lbhad-bgp version = %q, want %s in it", v, version)
	}
	if f, err := elf.Open("/usr/sbin/lbhad"); err != nil {
		t.Error(err)
	} else {
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("/usr/sbin/lbhad is dynamically linked (has PT_INTERP)")
			}
		}
		f.Close()
	}
	// verify also runs man for every man: link; the man pages ship once
	// docs/man has them (generated by lbhad gen-man).
	verify := []string{"verify"}
	if !strings.Contains(debList, "/usr/share/man/man8/lbhad.8.gz") {
		t.Log("no man pages in this tree: systemd-analyze verify --man=no")
		verify = append(verify, "--man=no")
	}
	for _, unit := range []string{"lbhad.service", "lbhad-realserver.service"} {
		cmd := exec.Command("systemd-analyze", append(verify, "/lib/systemd/system/"+unit)...)
		b, err := cmd.CombinedOutput()
		if err != nil || strings.Contains(string(b), unit) {
			t.Errorf("systemd-analyze verify %s: %v\n%s", unit, err, b)
		}
	}

	u, err := user.Lookup("lbhad")
	if err != nil {
		t.Fatalf("no lbhad user after install: %v", err)
	}
	if u.HomeDir != "/var/lib/lbhad" || len(u.Uid) == 0 || pkgAtoi(u.Uid) >= 1000 {
		t.Errorf("lbhad user %+v: want a system uid (< 1000) with home /var/lib/lbhad", u)
	}
	for path, want := range map[string]string{
		"/etc/lbhad":     "root:lbhad 2750",
		"/var/lib/lbhad": "lbhad:lbhad 750",
	} {
		if got := strings.TrimSpace(pkgRun(t, "stat", "-c", "%U:%G %a", path)); got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
	// No daemon started: none runs from the installed binary.
	if pids := pkgProcs("/usr/sbin/lbhad"); len(pids) > 0 {
		t.Errorf("lbhad runs after install: pids %v", pids)
	}
	if b, _ := exec.Command("systemctl", "is-active", "lbhad").CombinedOutput(); len(b) > 0 {
		t.Logf("systemctl is-active lbhad (PID 1 is not systemd here): %s", strings.TrimSpace(string(b)))
	}

	os.Remove(calls)
	pkgDpkg(t, &shimDir, "--purge", "lbhad")
	installed = false
	b, _ := os.ReadFile(calls)
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "systemctl daemon-reload" && !strings.HasPrefix(l, "systemctl stop lbhad.service") {
			t.Errorf("purge called %q", l)
		}
	}
	for _, f := range append(pkgFiles, "/etc/lbhad", "/var/lib/lbhad") {
		if _, err := os.Lstat(f); err == nil {
			t.Errorf("%s left after purge", f)
		}
	}
	if _, err := user.Lookup("lbhad"); err == nil {
		t.Error("user lbhad left after purge")
	}
	if _, err := user.LookupGroup("lbhad"); err == nil {
		t.Error("group lbhad left after purge")
	}
}

// pkgDpkg runs dpkg with args; with shim, in a private mount namespace
// with a tmpfs /run holding /run/systemd/system and the shim directory
// first on PATH. It waits while another dpkg or apt holds the lock.
func pkgDpkg(t *testing.T, shim *string, args ...string) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Minute); ; {
		var cmd *exec.Cmd
		if shim == nil {
			cmd = exec.Command("dpkg", args...)
		} else {
			script := `mount -t tmpfs lbhad-test /run && mkdir -p /run/systemd/system && PATH="$0:$PATH" exec dpkg "$@"`
			cmd = exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c", script, *shim}, args...)...)
		}
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		b, err := cmd.CombinedOutput()
		if err == nil {
			return
		}
		if strings.Contains(string(b), "lock") && time.Now().Before(deadline) {
			time.Sleep(2 * time.Second) // another package manager holds the dpkg lock
			continue
		}
		t.Fatalf("dpkg %s: %v\n%s", strings.Join(args, " "), err, b)
	}
}

func pkgRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	b, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
	return string(b)
}

func pkgAtoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// pkgProcs returns the pids whose executable is exe.
func pkgProcs(exe string) []string {
	var pids []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && l == exe {
			pids = append(pids, e.Name())
		}
	}
	return pids
}
