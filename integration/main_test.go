//go:build integration

// Package integration runs lbhad and keepalived as real processes in
// network namespaces on the host kernel (see internal/lab) and observes
// them only from outside: addresses, packets on the wire, the client's ARP
// table and pings.
//
//	go test -tags integration ./integration/ -run 'Lab|VRRP' -v
package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
	"github.com/lbhad/lbhad/internal/netnstest"
)

const vrid = 51

var (
	buildDir  string
	buildOnce sync.Once
	lbhadPath string
	buildErr  error
)

func TestMain(m *testing.M) {
	if os.Geteuid() == 0 {
		if err := lab.CleanupStale(lab.Family); err != nil {
			fmt.Fprintf(os.Stderr, "cleaning up stale labs: %v\n", err)
		}
	}
	var err error
	buildDir, err = os.MkdirTemp("", "lbhad-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(buildDir)
	os.Exit(code)
}

// lbhadBin builds ./cmd/lbhad once per test binary (only when a test needs
// it, so `-run Lab` works while the daemon is unfinished) and returns its
// path; LBHAD_BIN overrides the build.
func lbhadBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if p := os.Getenv("LBHAD_BIN"); p != "" {
			lbhadPath = p
			return
		}
		lbhadPath = filepath.Join(buildDir, "lbhad")
		cmd := exec.Command("go", "build", "-o", lbhadPath, "./cmd/lbhad")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/lbhad: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("cannot build the daemon under test: %v", buildErr)
	}
	return lbhadPath
}

func requireKeepalived(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("keepalived"); err == nil {
		return
	}
	netnstest.Unavailable(t, "keepalived not installed: apt-get install -y keepalived")
}

// bed is one scenario's lab with a capture and a client pinger.
type bed struct {
	t    *testing.T
	l    *lab.Lab
	cap  *lab.Capture
	ping *lab.Pinger
	dirs []*lab.Director
}

func newBed(t *testing.T) *bed {
	t.Helper()
	l := lab.NewT(t, lab.Spec{})
	c, err := l.StartCapture()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return &bed{t: t, l: l, cap: c}
}

// start runs kind ("lbhad" or "keepalived") on n with instance in.
// LBHAD_UNDER_TEST=keepalived swaps keepalived in for lbhad everywhere, to
// check the scenarios themselves against the reference implementation.
func (b *bed) start(kind string, n *lab.Node, in lab.Instance) *lab.Director {
	b.t.Helper()
	if kind == "lbhad" && os.Getenv("LBHAD_UNDER_TEST") == "keepalived" {
		kind = "keepalived"
	}
	var d *lab.Director
	var err error
	switch kind {
	case "lbhad":
		d, err = b.l.StartLBHAD(lbhadBin(b.t), n, in)
	case "keepalived":
		requireKeepalived(b.t)
		d, err = b.l.StartKeepalived(n, in)
	default:
		b.t.Fatalf("unknown daemon %q", kind)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	b.dirs = append(b.dirs, d)
	return d
}

// exited describes daemons that exited on their own, to explain a
// timeout (a crashed or refused daemon is the usual cause).
func (b *bed) exited() string {
	var s []string
	for _, d := range b.dirs {
		if d.Proc.Exited() && d.Proc.Cmd.ProcessState != nil && !d.Proc.Cmd.ProcessState.Success() &&
			d.Proc.Cmd.ProcessState.String() != "signal: killed" {
			s = append(s, fmt.Sprintf("%s %s exited: %v", d.Node.Name, d.Kind, d.Proc.Cmd.ProcessState))
		}
	}
	if len(s) == 0 {
		return ""
	}
	return " [" + strings.Join(s, "; ") + "]"
}

// owners names the nodes holding the VIP, e.g. "[d1]".
func (b *bed) owners() []string {
	var names []string
	for _, n := range b.l.Owners(lab.VIP) {
		names = append(names, n.Name)
	}
	return names
}

// waitOwner waits until exactly want holds the VIP and keeps it for
// settle (to catch flapping), failing the test otherwise.
func (b *bed) waitOwner(want *lab.Node, timeout, settle time.Duration, why string) time.Time {
	b.t.Helper()
	only := func() bool {
		o := b.owners()
		return len(o) == 1 && o[0] == want.Name
	}
	if !lab.Eventually(timeout, only) {
		b.t.Fatalf("%s: want VIP on %s only within %v, held by %v%s", why, want.Name, timeout, b.owners(), b.exited())
	}
	at := time.Now()
	deadline := at.Add(settle)
	for time.Now().Before(deadline) {
		if !only() {
			b.t.Fatalf("%s: VIP moved to %v within %v of settling on %s", why, b.owners(), settle, want.Name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return at
}

// holdsFor fails unless the VIP stays on exactly want for d.
func (b *bed) holdsFor(want *lab.Node, d time.Duration, why string) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if o := b.owners(); len(o) != 1 || o[0] != want.Name {
			b.t.Fatalf("%s: VIP expected to stay on %s, held by %v", why, want.Name, o)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startPing starts the client's 10 ms pinger to the VIP and waits for the
// first reply.
func (b *bed) startPing() {
	b.t.Helper()
	p, err := lab.StartPinger(b.l.Client.NS, lab.VIP, 10*time.Millisecond)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(p.Stop)
	b.ping = p
	if !p.WaitReply(time.Time{}, 5*time.Second) {
		b.t.Fatalf("client gets no ping reply from the VIP (owners %v)", b.owners())
	}
}

// waitARP waits until the client's ARP entry for the VIP is want's MAC.
func (b *bed) waitARP(want *lab.Node, timeout time.Duration) time.Time {
	b.t.Helper()
	var last string
	ok := lab.Eventually(timeout, func() bool {
		mac, err := lab.NeighMAC(b.l.Client.NS, lab.VIP)
		if err != nil {
			last = err.Error()
			return false
		}
		last = mac.String()
		return last == want.MAC.String()
	})
	if !ok {
		b.t.Fatalf("client ARP entry for the VIP is %s, want %s (%s)", last, want.MAC, want.Name)
	}
	return time.Now()
}

// lastAdvert returns the time of the last advert n sent before t.
func (b *bed) lastAdvert(n *lab.Node, before time.Time) (lab.Frame, bool) {
	var last lab.Frame
	found := false
	for _, f := range b.cap.Adverts(vrid, n.MAC, time.Time{}) {
		if f.Time.Before(before) {
			last, found = f, true
		}
	}
	return last, found
}

// firstAdvert returns the first advert n sent after t.
func (b *bed) firstAdvert(n *lab.Node, after time.Time) (lab.Frame, bool) {
	fs := b.cap.Adverts(vrid, n.MAC, after)
	if len(fs) == 0 {
		return lab.Frame{}, false
	}
	return fs[0], true
}

// failover crashes (or stops, if graceful) master and checks that backup
// takes over: VIP, client ARP entry, pings resume. It returns the client's
// longest ping gap and the time from the master's last advert to the
// backup's first.
func (b *bed) failover(master, backup *lab.Director, graceful bool, bound time.Duration) (gap lab.Gap, takeover time.Duration) {
	b.t.Helper()
	if b.ping == nil {
		b.startPing()
	}
	t0 := time.Now()
	if graceful {
		if err := master.Stop(10 * time.Second); err != nil {
			b.t.Fatalf("SIGTERM %s: %v", master.Node.Name, err)
		}
	} else if err := master.Crash(); err != nil {
		b.t.Fatalf("crash %s: %v", master.Node.Name, err)
	}
	b.waitOwner(backup.Node, bound, 0, "after the master went away")
	b.waitARP(backup.Node, 5*time.Second)
	if !b.ping.WaitReply(time.Now(), 5*time.Second) {
		b.t.Fatalf("client gets no ping reply after failover to %s", backup.Node.Name)
	}
	gap = b.ping.LongestGap(t0.Add(-100*time.Millisecond), time.Now())
	last, ok1 := b.lastAdvert(master.Node, time.Now())
	first, ok2 := b.firstAdvert(backup.Node, t0)
	if ok1 && ok2 {
		takeover = first.Time.Sub(last.Time)
	}
	b.t.Logf("%s -> %s (%s, %s): client ping gap %v, last advert of old master -> first advert of new master %v",
		master.Node.Name, backup.Node.Name, master.Kind, map[bool]string{true: "SIGTERM", false: "SIGKILL"}[graceful],
		gap.Len.Round(time.Millisecond), takeover.Round(time.Millisecond))
	return gap, takeover
}

// hasLine reports whether log contains a line holding all words
// (case-insensitive).
func hasLine(log string, words ...string) bool {
	for _, line := range strings.Split(log, "\n") {
		l := strings.ToLower(line)
		all := true
		for _, w := range words {
			if !strings.Contains(l, strings.ToLower(w)) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// ipSteps runs each `ip` command in ns in order and fails the test on
// the first error (which names the command, the namespace and ip's
// output).
func (b *bed) ipSteps(ns string, steps [][]string) {
	b.t.Helper()
	for _, args := range steps {
		if err := b.l.IP(ns, args...); err != nil {
			b.t.Fatal(err)
		}
	}
}
