//go:build ipvsguest && linux

package ipvsguest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/netnstest"
)

// The keepalived side of the director-pair end-to-end lab: the same lab,
// load and scenarios as runE2E, with keepalived 2.2.7 (shipped into the
// guest by integration/vm's DefaultTools) as both directors, so the
// end-to-end table has its anchor measured in the same boot.
//
// keepalived logs to stderr with one-second timestamps, too coarse for
// takeover times; each line is therefore stamped on arrival and written
// to the director's log file as the JSON lbhad writes, with keepalived's
// state lines translated to lbhad's wording ("(VI_1) Entering MASTER
// STATE" becomes "VI_1 is now MASTER"), so the lab's waits and state
// checks read both daemons alike.

const e2eKeepalivedKind = "keepalived"

func TestE2EKeepalivedPairDR(t *testing.T)  { runE2EKind(t, false, e2eKeepalivedKind) }
func TestE2EKeepalivedPairNAT(t *testing.T) { runE2EKind(t, true, e2eKeepalivedKind) }

// keepalivedBinary is where the guest has keepalived; LBHAD_E2E_KEEPALIVED
// overrides.
func keepalivedBinary(t *testing.T) string {
	t.Helper()
	p := os.Getenv("LBHAD_E2E_KEEPALIVED")
	if p == "" {
		p = "/usr/sbin/keepalived"
	}
	if _, err := os.Stat(p); err != nil {
		netnstest.Unavailable(t, "keepalived missing (%v): integration/vm ships the host's /usr/sbin/keepalived (apt-get install -y keepalived)", err)
	}
	return p
}

// startKeepalived runs keepalived (parent, VRRP and checker children) in
// d's namespace and its own process group, so a crash kills all three at
// once: killing the parent alone makes the children stop cleanly (a
// priority-0 advert), which is a SIGTERM, not a crash.
func (d *e2eDirector) startKeepalived(t *testing.T, bin string) {
	t.Helper()
	f, err := os.Create(d.logPath)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	base := filepath.Join(d.logDir, fmt.Sprintf("%s-%d", d.name, d.runs))
	cmd := exec.Command(bin, "-n", "-l", "-G", "-D", "-f", d.cfg,
		"-p", base+".pid", "-r", base+"-vrrp.pid", "-c", base+"-check.pid")
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = d.ns.Run(cmd.Start)
	pw.Close()
	if err != nil {
		pr.Close()
		f.Close()
		t.Fatalf("start keepalived on %s: %v", d.name, err)
	}
	go stampLines(pr, f)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	d.mu.Lock()
	d.cmd, d.exited, d.started = cmd, exited, time.Now()
	d.mu.Unlock()
}

// stampLines copies keepalived's output to w as JSON log lines stamped
// with the time each line arrived; it ends when every keepalived process
// has closed the pipe.
func stampLines(r io.ReadCloser, w io.WriteCloser) {
	defer r.Close()
	defer w.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		b, _ := json.Marshal(map[string]string{
			"ts":    time.Now().Format("2006-01-02T15:04:05.000Z0700"),
			"level": "info",
			"msg":   keepalivedMsg(sc.Text()),
			"raw":   sc.Text(),
		})
		w.Write(append(b, '\n'))
	}
}

// signalGroup sends sig to every process of keepalived's group.
func (d *e2eDirector) signalGroup(sig syscall.Signal) error {
	d.mu.Lock()
	cmd := d.cmd
	d.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("%s: keepalived not running", d.name)
	}
	return syscall.Kill(-cmd.Process.Pid, sig)
}

var kaTrouble = regexp.MustCompile(`(?i)warning|error|unable|can't|cannot|fail|denied|not found|no such`)

// logKeepalivedTrouble logs the lines of the directors' last runs that
// say something went wrong (missing files or libraries in the guest,
// refused options), so a run shows what keepalived met there.
func logKeepalivedTrouble(t *testing.T, ds []*e2eDirector) {
	t.Helper()
	for _, d := range ds {
		n := 0
		for _, l := range d.lines() {
			var m struct{ Raw string }
			if json.Unmarshal([]byte(l.Raw), &m) != nil || !kaTrouble.MatchString(m.Raw) {
				continue
			}
			if n++; n <= 30 {
				t.Logf("%s keepalived: %s", d.name, m.Raw)
			}
		}
		t.Logf("%s keepalived: %d lines of trouble in its last run", d.name, n)
	}
}
