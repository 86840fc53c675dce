package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Director is a VRRP daemon running on a node: lbhad (one process) or
// keepalived (a parent and a VRRP child).
type Director struct {
	Node     *Node
	Kind     string // "lbhad" or "keepalived"
	Proc     *Proc  // lbhad, or keepalived's parent
	ConfPath string
	Instance Instance // as configured, defaults applied

	childPIDFile string
	lab          *Lab
}

// StartLBHAD writes an lbhad config for in and runs
// `bin run -c CONF --log-level debug` on n, plus extra arguments.
func (l *Lab) StartLBHAD(bin string, n *Node, in Instance, extra ...string) (*Director, error) {
	sock := l.ControlSocket(n)
	conf := filepath.Join(l.Dir, n.Name+"-lbhad.hcl")
	if err := os.WriteFile(conf, []byte(LBHADConf(n.Name, sock, in)), 0o644); err != nil {
		return nil, fmt.Errorf("write lbhad config: %w", err)
	}
	argv := append([]string{bin, "run", "-c", conf, "--log-level", "debug"}, extra...)
	p, err := l.Start(n.NS, l.procName(n.Name+"-lbhad"), argv...)
	if err != nil {
		return nil, err
	}
	return &Director{Node: n, Kind: "lbhad", Proc: p, ConfPath: conf, Instance: in.withDefaults(), lab: l}, nil
}

// ControlSocket is where the lab puts n's lbhad control socket (and,
// beside it, its state file); Close removes both.
func (l *Lab) ControlSocket(n *Node) string {
	return filepath.Join(StateDir, fmt.Sprintf("%s-%s.sock", l.ID, n.Name))
}

// StartKeepalived writes a keepalived.conf for in and runs
// `keepalived -n -l -G -D --vrrp` on n with its own pid files.
func (l *Lab) StartKeepalived(n *Node, in Instance) (*Director, error) {
	conf := filepath.Join(l.Dir, n.Name+"-keepalived.conf")
	if err := os.WriteFile(conf, []byte(KeepalivedConf(n.Name, in)), 0o644); err != nil {
		return nil, fmt.Errorf("write keepalived config: %w", err)
	}
	name := l.procName(n.Name + "-keepalived")
	pid := filepath.Join(l.Dir, name+".pid")
	child := filepath.Join(l.Dir, name+"-vrrp.pid")
	p, err := l.Start(n.NS, name, "keepalived", "-n", "-l", "-G", "-D", "--vrrp", "-f", conf, "-p", pid, "-r", child)
	if err != nil {
		return nil, err
	}
	d := &Director{Node: n, Kind: "keepalived", Proc: p, ConfPath: conf, Instance: in.withDefaults(), childPIDFile: child, lab: l}
	// Record the child as soon as it exists, so a crashed test run's
	// cleanup can find it by PID too.
	go func() {
		if c := d.waitChild(5 * time.Second); c > 0 {
			l.recordPID(c)
		}
	}()
	return d, nil
}

// procName makes log names unique when a node's daemon is restarted.
func (l *Lab) procName(base string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, p := range l.procs {
		if strings.HasPrefix(p.Name, base) {
			n++
		}
	}
	if n == 0 {
		return base
	}
	return fmt.Sprintf("%s.%d", base, n+1)
}

// ChildPID returns keepalived's current VRRP child PID, or 0.
func (d *Director) ChildPID() int {
	if d.childPIDFile == "" {
		return 0
	}
	b, err := os.ReadFile(d.childPIDFile)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func (d *Director) waitChild(timeout time.Duration) int {
	var pid int
	Eventually(timeout, func() bool {
		pid = d.ChildPID()
		return pid > 0 || d.Proc.Exited()
	})
	return pid
}

// Crash simulates the director host dying: the daemon gets no chance to
// send a priority-0 advert, and the VIPs vanish from the interface as they
// would with the host (a killed process alone would leave them configured
// and answering ARP). For keepalived the parent is stopped first so it
// cannot respawn the child, then both are killed.
func (d *Director) Crash() error {
	if d.Kind == "keepalived" {
		d.Proc.Signal(syscall.SIGSTOP)
		if c := d.ChildPID(); c > 0 && sameNS(c, d.Node.NS) {
			syscall.Kill(c, syscall.SIGKILL)
		}
	}
	if err := d.Proc.Kill(); err != nil {
		return err
	}
	for _, v := range d.Instance.VIPs {
		d.lab.IP(d.Node.NS, "addr", "del", v, "dev", d.Instance.Interface) // absent if it was backup
	}
	return nil
}

// Stop asks the daemon to stop gracefully (SIGTERM) and waits up to
// timeout for it to exit.
func (d *Director) Stop(timeout time.Duration) error {
	if err := d.Proc.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop %s: %w", d.Proc.Name, err)
	}
	if _, err := d.Proc.Wait(timeout); errors.Is(err, ErrTimeout) {
		return err
	}
	return nil // a non-zero exit status is the daemon's business
}

// Log returns the daemon's output so far.
func (d *Director) Log() string { return d.Proc.Output() }

// HasVIP reports whether the node's interface holds the lab VIP.
func (d *Director) HasVIP() bool {
	ok, _ := HasAddr(d.Node.NS, d.Node.Dev, VIP.String())
	return ok
}

// sameNS reports whether process pid lives in namespace ns: a guard so
// that a stale PID file never makes us signal a stranger.
func sameNS(pid int, ns string) bool {
	a, err1 := inode(fmt.Sprintf("/proc/%d/ns/net", pid))
	b, err2 := inode(filepath.Join("/run/netns", ns))
	return err1 == nil && err2 == nil && a == b
}

// BlockMulticast stops (or, with block false, resumes) the bridge
// flooding multicast frames out to n's port, so n neither hears nor is
// heard by VRRP multicast adverts while unicast and ARP broadcast still
// flow (bridge port flag mcast_flood).
func (l *Lab) BlockMulticast(n *Node, block bool) error {
	v := "on"
	if block {
		v = "off"
	}
	_, err := Exec(l.BridgeNS, "bridge", "link", "set", "dev", n.Port, "mcast_flood", v)
	return err
}
