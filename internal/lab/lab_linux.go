package lab

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// Family is the prefix of every namespace name a lab creates:
// "lbt-<runid>-<node>".
const Family = "lbt"

// StateDir holds one "<runid>.state" file per live lab: the owner process
// and every process the lab started, each with its start time.
const StateDir = "/run/lbhad-lab"

// Spec describes optional parts of a lab.
type Spec struct {
	// Servers is the number of extra real-server namespaces rs1..rsN,
	// addressed 192.0.2.21 upwards.
	Servers int
	// Dir receives process logs and config files; empty means a new
	// temporary directory that Close removes.
	Dir string
}

// Node is one namespace joined to the bridge.
type Node struct {
	Name string           // short name: "d1", "cl", "rs1"
	NS   string           // network namespace name, for `ip -n`
	Dev  string           // interface inside the namespace, always "eth0"
	Port string           // the veth end in the bridge namespace
	IP   netip.Addr       // primary address, /24
	MAC  net.HardwareAddr // MAC of Dev
}

// Lab is a running lab. Its methods are safe for concurrent use.
type Lab struct {
	ID       string // run id, unique per lab
	Prefix   string // "lbt-<id>-"
	BridgeNS string // namespace holding br0
	Dir      string

	D1, D2, Client, Spare *Node
	Servers               []*Node

	ownDir bool
	mu     sync.Mutex
	procs  []*Proc
	nodes  []*Node
	closed bool
}

// ErrNotRoot is returned by New when the caller lacks the privileges
// needed to create namespaces.
var ErrNotRoot = errors.New("lab needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN)")

// New builds a lab. On error everything already created is removed. It
// returns ErrNotRoot (wrapped) when not run as root.
func New(spec Spec) (_ *Lab, err error) {
	if os.Geteuid() != 0 {
		return nil, ErrNotRoot
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, fmt.Errorf("find iproute2: %w", err)
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	l := &Lab{ID: id, Prefix: Family + "-" + id + "-", Dir: spec.Dir}
	l.BridgeNS = l.Prefix + "br"
	if l.Dir == "" {
		if l.Dir, err = os.MkdirTemp("", "lbhad-lab-"+id+"-"); err != nil {
			return nil, fmt.Errorf("make lab dir: %w", err)
		}
		l.ownDir = true
	}
	// The state file goes first, so that a crash at any later point
	// leaves enough behind for CleanupStale.
	if err := os.MkdirAll(StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("make state dir: %w", err)
	}
	self, err := procStart(os.Getpid())
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(l.statePath(), fmt.Appendf(nil, "owner %d %d\n", os.Getpid(), self), 0o644); err != nil {
		return nil, fmt.Errorf("write lab state: %w", err)
	}
	defer func() {
		if err != nil {
			l.Close()
		}
	}()

	if err := l.addNS(l.BridgeNS); err != nil {
		return nil, err
	}
	for _, args := range [][]string{
		{"link", "add", "br0", "type", "bridge"},
		{"link", "set", "br0", "up"},
	} {
		if err := l.IP(l.BridgeNS, args...); err != nil {
			return nil, err
		}
	}
	add := func(name string, ip netip.Addr) (*Node, error) {
		n := &Node{Name: name, NS: l.Prefix + name, Dev: "eth0", Port: "p-" + name, IP: ip}
		if err := l.addNode(n); err != nil {
			return nil, err
		}
		return n, nil
	}
	if l.D1, err = add("d1", D1IP); err != nil {
		return nil, err
	}
	if l.D2, err = add("d2", D2IP); err != nil {
		return nil, err
	}
	if l.Client, err = add("cl", ClientIP); err != nil {
		return nil, err
	}
	if l.Spare, err = add("inj", SpareIP); err != nil {
		return nil, err
	}
	for i := 1; i <= spec.Servers; i++ {
		n, err := add(fmt.Sprintf("rs%d", i), netip.AddrFrom4([4]byte{192, 0, 2, byte(20 + i)}))
		if err != nil {
			return nil, err
		}
		l.Servers = append(l.Servers, n)
	}
	return l, nil
}

// NewT builds a lab for a test and removes it in t.Cleanup. Without root
// it skips with a hint, except under CI=true, where a skip would hide a
// broken runner, so it fails.
func NewT(t testing.TB, spec Spec) *Lab {
	t.Helper()
	netnstest.RequireRoot(t)
	if spec.Dir == "" {
		spec.Dir = t.TempDir()
	}
	l, err := New(spec)
	if err != nil {
		t.Fatalf("build lab: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lab %s logs in %s", l.ID, l.Dir)
			l.DumpLogs(t)
		}
		if err := l.Close(); err != nil {
			t.Errorf("close lab: %v", err)
		}
	})
	return l
}

// Nodes returns every node of the lab.
func (l *Lab) Nodes() []*Node {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*Node(nil), l.nodes...)
}

func (l *Lab) statePath() string { return filepath.Join(StateDir, l.ID+".state") }

func (l *Lab) addNS(name string) error {
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return fmt.Errorf("add netns %s: %w: %s", name, err, bytes.TrimSpace(out))
	}
	return l.IP(name, "link", "set", "lo", "up")
}

func (l *Lab) addNode(n *Node) error {
	if err := l.addNS(n.NS); err != nil {
		return err
	}
	steps := []struct {
		ns   string
		args []string
	}{
		{l.BridgeNS, []string{"link", "add", n.Port, "type", "veth", "peer", "name", n.Dev, "netns", n.NS}},
		{l.BridgeNS, []string{"link", "set", n.Port, "master", "br0"}},
		{l.BridgeNS, []string{"link", "set", n.Port, "up"}},
		{n.NS, []string{"addr", "add", n.IP.String() + "/24", "dev", n.Dev}},
		{n.NS, []string{"link", "set", n.Dev, "up"}},
	}
	for _, s := range steps {
		if err := l.IP(s.ns, s.args...); err != nil {
			return err
		}
	}
	mac, err := LinkMAC(n.NS, n.Dev)
	if err != nil {
		return err
	}
	n.MAC = mac
	l.mu.Lock()
	l.nodes = append(l.nodes, n)
	l.mu.Unlock()
	return nil
}

// IP runs `ip -n ns ARGS...` and returns its output in the error.
func (l *Lab) IP(ns string, args ...string) error {
	_, err := Exec(ns, append([]string{"ip"}, args...)...)
	return err
}

// Exec runs a short command inside namespace ns and returns its combined
// output; the error includes the output.
func Exec(ns string, argv ...string) (string, error) {
	full := append([]string{"netns", "exec", ns}, argv...)
	out, err := exec.Command("ip", full...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s in %s: %w: %s", strings.Join(argv, " "), ns, err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// Close stops every process the lab started and anything else still
// running inside its namespaces, deletes the namespaces and the state
// file, and removes the lab directory if New made it. It is idempotent.
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	procs := append([]*Proc(nil), l.procs...)
	l.mu.Unlock()

	var errs []error
	for _, p := range procs {
		p.kill()
	}
	for _, p := range procs {
		p.Wait(2 * time.Second)
	}
	errs = append(errs, removeRun(l.ID)...)
	if l.ownDir {
		os.RemoveAll(l.Dir)
	}
	return errors.Join(errs...)
}

// CleanupStale removes what earlier labs of the given family (normally
// Family) left behind when their test process died: it kills recorded
// processes that are still the same processes, kills processes living in
// the stale namespaces, and deletes those namespaces. Labs whose owner
// process is still alive are left alone, so concurrent runs are safe.
func CleanupStale(family string) error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	runs := map[string]bool{}
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if id, ok := runIDOf(family, e.Name()); ok {
			runs[id] = true
		}
	}
	states, _ := filepath.Glob(filepath.Join(StateDir, "*.state"))
	for _, s := range states {
		runs[strings.TrimSuffix(filepath.Base(s), ".state")] = true
	}
	var errs []error
	for id := range runs {
		st := readState(id)
		if st.owner != nil && st.owner.alive() {
			continue
		}
		for _, p := range st.procs {
			if p.alive() {
				syscall.Kill(p.pid, syscall.SIGKILL)
			}
		}
		errs = append(errs, removeRunFamily(family, id)...)
	}
	return errors.Join(errs...)
}

func removeRun(id string) []error { return removeRunFamily(Family, id) }

// removeRunFamily kills every process inside the run's namespaces, deletes
// the namespaces and the state file.
func removeRunFamily(family, id string) []error {
	var errs []error
	prefix := family + "-" + id + "-"
	entries, _ := os.ReadDir("/run/netns")
	var names []string
	inodes := map[nsID]bool{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
			if ino, err := inode(filepath.Join("/run/netns", e.Name())); err == nil {
				inodes[ino] = true
			}
		}
	}
	// Processes inside our namespaces were started by this lab (or are
	// their children, such as keepalived's VRRP child or a check script).
	for i := 0; i < 20; i++ {
		left := killInNamespaces(inodes)
		if left == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, n := range names {
		out, err := exec.Command("ip", "netns", "del", n).CombinedOutput()
		if _, statErr := os.Stat(filepath.Join("/run/netns", n)); err != nil && errors.Is(statErr, os.ErrNotExist) {
			continue // a concurrent CleanupStale got there first
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("delete netns %s: %w: %s", n, err, bytes.TrimSpace(out)))
		}
	}
	// A killed lbhad cannot remove its control socket; the lab named it,
	// and the daemons' state files beside it.
	socks, _ := filepath.Glob(filepath.Join(StateDir, id+"-*.sock"))
	states, _ := filepath.Glob(filepath.Join(StateDir, id+"-*.state.json*"))
	socks = append(socks, states...)
	for _, s := range socks {
		if err := os.Remove(s); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := os.Remove(filepath.Join(StateDir, id+".state")); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errs
}

// killInNamespaces sends SIGKILL to every process whose network namespace
// is one of inodes and returns how many it found.
func killInNamespaces(inodes map[nsID]bool) int {
	if len(inodes) == 0 {
		return 0
	}
	dirs, _ := os.ReadDir("/proc")
	n := 0
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		ino, err := inode(fmt.Sprintf("/proc/%d/ns/net", pid))
		if err != nil || !inodes[ino] {
			continue
		}
		syscall.Kill(pid, syscall.SIGKILL)
		n++
	}
	return n
}

// nsID names a namespace by the device and inode of its nsfs file.
type nsID struct{ dev, ino uint64 }

func inode(path string) (nsID, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nsID{}, err
	}
	return nsID{uint64(st.Dev), st.Ino}, nil
}

// pidStart identifies a process across PID reuse.
type pidStart struct {
	pid   int
	start uint64
}

func (p pidStart) alive() bool {
	s, err := procStart(p.pid)
	return err == nil && s == p.start
}

type runState struct {
	owner *pidStart
	procs []pidStart
}

func readState(id string) runState {
	var st runState
	f, err := os.Open(filepath.Join(StateDir, id+".state"))
	if err != nil {
		return st
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kind string
		var p pidStart
		if _, err := fmt.Sscanf(sc.Text(), "%s %d %d", &kind, &p.pid, &p.start); err != nil {
			continue
		}
		switch kind {
		case "owner":
			st.owner = &p
		case "proc":
			st.procs = append(st.procs, p)
		}
	}
	return st
}

func (l *Lab) recordPID(pid int) {
	start, err := procStart(pid)
	if err != nil {
		return // already gone
	}
	f, err := os.OpenFile(l.statePath(), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "proc %d %d\n", pid, start)
	f.Close()
}

// procStart returns field 22 of /proc/PID/stat, the start time in clock
// ticks since boot.
func procStart(pid int) (uint64, error) {
	f, err := StatFields(pid)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(f[19], 10, 64)
}

func newID() (string, error) {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make run id: %w", err)
	}
	return hex.EncodeToString(b), nil
}
