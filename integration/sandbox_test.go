//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
	"github.com/lbhad/lbhad/internal/netnstest"
)

// The identity and capabilities scripts/packaging/lbhad.service gives the
// daemon, as setpriv(1) sets them: an unprivileged uid (nobody stands in
// for the lbhad system user, so the test creates no user on the
// machine), CAP_NET_ADMIN and CAP_NET_RAW as ambient capabilities, the
// bounding set cut to those two, and no-new-privileges.
const (
	sandboxUID  = 65534
	sandboxCaps = "0000000000003000" // bits 12 (NET_ADMIN) and 13 (NET_RAW)
)

func sandboxArgv(bin string, args ...string) []string {
	return append([]string{"setpriv",
		fmt.Sprintf("--reuid=%d", sandboxUID), fmt.Sprintf("--regid=%d", sandboxUID), "--clear-groups",
		"--inh-caps=-all,+net_admin,+net_raw", "--ambient-caps=-all,+net_admin,+net_raw",
		"--bounding-set=-all,+net_admin,+net_raw", "--no-new-privs", bin}, args...)
}

// TestSandboxedDaemon runs lbhad as the unit runs it (sandboxArgv) in the
// VRRP lab against an ordinary lbhad peer: the sandboxed director wins
// the election (VIP added with CAP_NET_ADMIN, adverts and gratuitous ARP
// sent with CAP_NET_RAW), runs its notify_master script (which sees the
// same uid and capabilities), gives the VIP up when its vrrp_script
// fails and takes it back when the script passes, and answers lbhad
// status on its control socket. The daemon's /proc status shows exactly
// the unit's credentials. IPVS is not covered: this host's kernel has
// none (the guest tests run the daemon as root); neither are the unit's
// mount, system-call and task settings, which need systemd as PID 1
// (systemd-analyze verify checks them in TestPackageDeb).
func TestSandboxedDaemon(t *testing.T) {
	if _, err := exec.LookPath("setpriv"); err != nil {
		netnstest.Unavailable(t, "setpriv (util-linux) not installed")
	}
	b := newBed(t)
	bin := lbhadBin(t)
	// Everything the unprivileged daemon reads is world-readable, what
	// it writes is its own: as /etc/lbhad and /run/lbhad under the unit.
	dir, err := os.MkdirTemp("", "lbhad-sandbox-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	run := filepath.Join(dir, "run")
	for _, d := range []string{dir, run} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(run, sandboxUID, sandboxUID); err != nil {
		t.Fatal(err)
	}
	// The daemon's binary must be reachable by nobody too.
	sbin := filepath.Join(dir, "lbhad")
	if out, err := exec.Command("cp", bin, sbin).CombinedOutput(); err != nil {
		t.Fatalf("copy binary: %v\n%s", err, out)
	}
	flag := filepath.Join(run, "fail")
	notified := filepath.Join(run, "notified")
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	chk := script("chk.sh", fmt.Sprintf("test ! -e %s\n", flag))
	notify := script("notify.sh", fmt.Sprintf("echo \"$1 uid=$(id -u) $(grep CapEff /proc/self/status | tr -d '\\t')\" >>%s\n", notified))

	sock := filepath.Join(run, "lbhad.sock")
	in := lab.Instance{Priority: 150, Script: &lab.Script{Command: chk, Weight: -100},
		LBHADInstance: fmt.Sprintf("  notify_master = %q\n", notify+" MASTER")}
	conf := filepath.Join(dir, "d1.hcl")
	if err := os.WriteFile(conf, []byte(lab.LBHADConf("d1", sock, in)), 0o644); err != nil {
		t.Fatal(err)
	}
	b.start("lbhad", b.l.D2, lab.Instance{Priority: 100})
	p, err := b.l.Start(b.l.D1.NS, "d1-lbhad-sandboxed", sandboxArgv(sbin, "run", "-c", conf, "--log-level", "debug")...)
	if err != nil {
		t.Fatal(err)
	}
	d1 := &lab.Director{Node: b.l.D1, Kind: "lbhad", Proc: p, ConfPath: conf}
	b.dirs = append(b.dirs, d1)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sandboxed lbhad log:\n%s", d1.Log())
		}
	})

	b.waitOwner(b.l.D1, 15*time.Second, time.Second, "sandboxed d1 (priority 150) should win")

	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID()))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		fmt.Sprintf("Uid:\t%d\t%d\t%d\t%d", sandboxUID, sandboxUID, sandboxUID, sandboxUID),
		"CapEff:\t" + sandboxCaps, "CapAmb:\t" + sandboxCaps, "CapBnd:\t" + sandboxCaps, "NoNewPrivs:\t1",
	} {
		if !strings.Contains(string(status), want) {
			t.Errorf("daemon's /proc status lacks %q:\n%s", want, status)
		}
	}
	if !lab.Eventually(10*time.Second, func() bool {
		b, _ := os.ReadFile(notified)
		return strings.Contains(string(b), "MASTER")
	}) {
		t.Fatal("notify_master did not run under the sandbox")
	}
	if got, _ := os.ReadFile(notified); !strings.Contains(string(got), fmt.Sprintf("MASTER uid=%d CapEff:%s", sandboxUID, sandboxCaps)) {
		t.Errorf("notify script ran with other credentials: %q", got)
	}
	if out, err := lab.Exec(b.l.D1.NS, bin, "status", "-s", sock); err != nil || !strings.Contains(out, "MASTER") {
		t.Errorf("lbhad status over the sandboxed daemon's socket: %v\n%s", err, out)
	}

	// The tracked check fails: 150-100 < 100, the peer takes over.
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b.waitOwner(b.l.D2, 15*time.Second, time.Second, "d1's vrrp_script failed")
	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	b.waitOwner(b.l.D1, 15*time.Second, time.Second, "d1's vrrp_script passes again (preempt)")
	if d1.Proc.Exited() {
		t.Fatalf("sandboxed daemon exited:\n%s", d1.Log())
	}
}
