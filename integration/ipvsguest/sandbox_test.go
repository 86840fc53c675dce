//go:build ipvsguest && linux

package ipvsguest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lbhad/lbhad/internal/ipvstest"
	"github.com/lbhad/lbhad/internal/netnstest"
)

// TestSandboxIPVS is integration/sandbox_test.go's sandbox where IPVS
// exists: lbhad runs as an unprivileged uid (nobody, standing in for the
// lbhad system user) with exactly CAP_NET_ADMIN and CAP_NET_RAW as
// ambient capabilities, as scripts/packaging/lbhad.service runs it, and must
// still become MASTER (VIP on eth0), program its IPVS table, run a
// tcp_check and a misc_check (a script) that add and remove real servers,
// and run its notify_master script, which sees the same uid and
// capabilities. Go's exec sets the uid and ambient capabilities; it
// cannot drop the bounding set or set no-new-privileges (the host test
// does both with setpriv, which the guest lacks), which do not change
// what this process may do: an unprivileged process without file
// capabilities has only its ambient ones.
func TestSandboxIPVS(t *testing.T) {
	const (
		uid  = 65534
		caps = "0000000000003000" // CAP_NET_ADMIN (12), CAP_NET_RAW (13)
		vip  = "192.0.2.50"
	)
	src := e2eBinary(t)
	dir, err := os.MkdirTemp("", "lbhad-sandbox-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	run := filepath.Join(dir, "run")
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("mkdir", os.Mkdir(run, 0o755))
	must("chmod", os.Chmod(dir, 0o755))
	must("chown", os.Chown(run, uid, uid))
	bin := filepath.Join(dir, "lbhad")
	in, err := os.Open(src)
	must("open binary", err)
	out, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	must("copy binary", err)
	_, err = io.Copy(out, in)
	in.Close()
	must("copy binary", err)
	must("copy binary", out.Close())

	down2 := filepath.Join(run, "rs2-down")
	notified := filepath.Join(run, "notified")
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		must("write script", os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755))
		return p
	}
	chk := script("chk-rs2.sh", fmt.Sprintf("test ! -e %s\n", down2))
	notify := script("notify.sh", fmt.Sprintf("echo \"$1 uid=$(id -u) $(grep CapEff /proc/self/status | tr -d '\\t')\" >>%s\n", notified))

	director, rs := netnstest.NewNetns(t), netnstest.NewNetns(t)
	hd, err := netlink.NewHandleAt(director.Handle(), unix.NETLINK_ROUTE)
	must("handle", err)
	defer hd.Close()
	must("veth", hd.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}, PeerName: "eth0", PeerNamespace: netlink.NsFd(rs.FD())}))
	addrUp(t, hd, "eth0", "192.0.2.11/24")
	addrUp(t, hd, "lo", "")
	hr, err := netlink.NewHandleAt(rs.Handle(), unix.NETLINK_ROUTE)
	must("handle", err)
	defer hr.Close()
	addrUp(t, hr, "eth0", "192.0.2.21/24")
	addrUp(t, hr, "lo", "")
	rs1 := &e2eServer{name: "rs1", ns: rs, port: 80, ip: "192.0.2.21"}
	rs1.start(t)
	t.Cleanup(func() { rs1.stop(t) })

	conf := filepath.Join(dir, "lbhad.hcl")
	must("write config", os.WriteFile(conf, []byte(fmt.Sprintf(`global {
  router_id      = "sandbox"
  control_socket = "%[1]s/lbhad.sock"
  state_file     = "%[1]s/state.json"
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  state             = "MASTER"
  virtual_router_id = 51
  priority          = 150
  advert_int        = 1
  virtual_ipaddress = ["%[2]s/24"]
  notify_master     = "%[3]s MASTER"
}

virtual_server "web" {
  address    = "%[2]s:80"
  protocol   = "tcp"
  lb_algo    = "rr"
  lb_kind    = "DR"
  delay_loop = 1

  real_server "rs1" {
    address = "192.0.2.21:80"
    tcp_check {
      connect_timeout = 1
      fall            = 1
      rise            = 1
    }
  }
  real_server "rs2" {
    address = "192.0.2.22:80"
    misc_check {
      path      = "%[4]s"
      fall      = 1
      rise      = 1
    }
  }
}
`, run, vip, notify, chk)), 0o644))

	logPath := filepath.Join(dir, "lbhad.log")
	logf, err := os.Create(logPath)
	must("log", err)
	cmd := exec.Command(bin, "run", "-c", conf, "--log-level", "debug")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential:  &syscall.Credential{Uid: uid, Gid: uid, Groups: []uint32{}},
		AmbientCaps: []uintptr{unix.CAP_NET_ADMIN, unix.CAP_NET_RAW},
	}
	must("start sandboxed lbhad", director.Run(cmd.Start))
	logf.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("sandboxed lbhad log:\n%s", b)
		}
	})

	// Read the status once the child has exec'd lbhad: between fork and
	// exec it is still this test binary, already under the new uid but
	// before exec raises the ambient capabilities.
	var status []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var err error
		status, err = os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		must("daemon status", err)
		if strings.HasPrefix(string(status), "Name:\tlbhad\n") || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{fmt.Sprintf("Uid:\t%d\t%d\t%d\t%d", uid, uid, uid, uid), "CapEff:\t" + caps, "CapAmb:\t" + caps} {
		if !strings.Contains(string(status), want) {
			t.Errorf("daemon's /proc status lacks %q:\n%s", want, status)
		}
	}

	h := ipvstest.Handle(t, director)
	dests := func() string {
		svcs, err := h.GetServices()
		if err != nil {
			return "error: " + err.Error()
		}
		var out []string
		for _, s := range svcs {
			ds, err := h.GetDestinations(s)
			if err != nil {
				return "error: " + err.Error()
			}
			for _, d := range ds {
				out = append(out, fmt.Sprintf("%s:%d->%s:%d", s.Address, s.Port, d.Address, d.Port))
			}
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			select {
			case err := <-exited:
				t.Fatalf("%s: the sandboxed daemon exited: %v", what, err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 20 s (table: %s)", what, dests())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	both := vip + ":80->192.0.2.21:80 " + vip + ":80->192.0.2.22:80"
	waitFor("both real servers in the table", func() bool { return dests() == both })
	waitFor("VIP on eth0 (MASTER)", func() bool {
		l, err := hd.LinkByName("eth0")
		if err != nil {
			return false
		}
		addrs, _ := hd.AddrList(l, netlink.FAMILY_V4)
		for _, a := range addrs {
			if a.IP.String() == vip {
				return true
			}
		}
		return false
	})
	waitFor("notify_master ran", func() bool {
		b, _ := os.ReadFile(notified)
		return strings.Contains(string(b), "MASTER")
	})
	if b, _ := os.ReadFile(notified); !strings.Contains(string(b), fmt.Sprintf("MASTER uid=%d CapEff:%s", uid, caps)) {
		t.Errorf("notify script ran with other credentials: %q", b)
	}

	// The script check fails, then the TCP check: each removes its
	// real server; both return.
	must("fail rs2", os.WriteFile(down2, nil, 0o644))
	waitFor("rs2 out after its misc_check failed", func() bool { return dests() == vip+":80->192.0.2.21:80" })
	rs1.stop(t)
	waitFor("rs1 out after its tcp_check failed", func() bool { return dests() == "" })
	must("pass rs2", os.Remove(down2))
	rs1.start(t)
	waitFor("both back", func() bool { return dests() == both })
}
