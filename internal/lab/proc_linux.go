package lab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Proc is a process the lab started inside a namespace. Its output goes to
// <Dir>/<Name>.out and <Name>.err.
type Proc struct {
	Name    string
	NS      string
	Cmd     *exec.Cmd
	OutPath string
	ErrPath string

	done    chan struct{}
	waitErr error
}

// Start runs argv inside namespace ns as `ip netns exec ns argv...` (which
// execs in place, so the PID is argv[0]'s) and records its PID in the
// lab's state file. name labels the log files and must be unique per lab.
func (l *Lab) Start(ns, name string, argv ...string) (*Proc, error) {
	p := &Proc{
		Name:    name,
		NS:      ns,
		OutPath: filepath.Join(l.Dir, name+".out"),
		ErrPath: filepath.Join(l.Dir, name+".err"),
		done:    make(chan struct{}),
	}
	stdout, err := os.Create(p.OutPath)
	if err != nil {
		return nil, fmt.Errorf("create log: %w", err)
	}
	stderr, err := os.Create(p.ErrPath)
	if err != nil {
		stdout.Close()
		return nil, fmt.Errorf("create log: %w", err)
	}
	p.Cmd = exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	p.Cmd.Stdout, p.Cmd.Stderr = stdout, stderr
	p.Cmd.Dir = l.Dir
	if err := p.Cmd.Start(); err != nil {
		stdout.Close()
		stderr.Close()
		return nil, fmt.Errorf("start %s in %s: %w", argv[0], ns, err)
	}
	l.recordPID(p.Cmd.Process.Pid)
	l.mu.Lock()
	l.procs = append(l.procs, p)
	l.mu.Unlock()
	go func() {
		p.waitErr = p.Cmd.Wait()
		stdout.Close()
		stderr.Close()
		close(p.done)
	}()
	return p, nil
}

// PID returns the process id.
func (p *Proc) PID() int { return p.Cmd.Process.Pid }

// Signal sends sig to the process; it returns os.ErrProcessDone once the
// process has exited.
func (p *Proc) Signal(sig os.Signal) error {
	select {
	case <-p.done:
		return os.ErrProcessDone
	default:
	}
	return p.Cmd.Process.Signal(sig)
}

// Kill sends SIGKILL and waits for the process to be reaped. It returns
// an error only if the process is still there after 5 s.
func (p *Proc) Kill() error {
	p.kill()
	if _, err := p.Wait(5 * time.Second); errors.Is(err, ErrTimeout) {
		return err
	}
	return nil
}

func (p *Proc) kill() {
	if err := p.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return
	}
}

// ErrTimeout is returned by Wait when the process is still running.
var ErrTimeout = errors.New("timed out")

// Wait waits up to d for the process to exit and returns its exit error
// (nil for status 0). It returns ErrTimeout if it is still running.
func (p *Proc) Wait(d time.Duration) (*os.ProcessState, error) {
	select {
	case <-p.done:
		return p.Cmd.ProcessState, p.waitErr
	case <-time.After(d):
		return nil, fmt.Errorf("wait for %s: %w", p.Name, ErrTimeout)
	}
}

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Output returns what the process wrote so far, stdout then stderr.
func (p *Proc) Output() string {
	a, _ := os.ReadFile(p.OutPath)
	b, _ := os.ReadFile(p.ErrPath)
	return string(a) + string(b)
}

// DumpLogs writes the tail of every process's output to the test log.
func (l *Lab) DumpLogs(t testing.TB) {
	t.Helper()
	l.mu.Lock()
	procs := append([]*Proc(nil), l.procs...)
	l.mu.Unlock()
	for _, p := range procs {
		out := p.Output()
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		if len(lines) > 60 {
			lines = append([]string{"..."}, lines[len(lines)-60:]...)
		}
		t.Logf("--- %s (pid %d, ns %s) ---\n%s", p.Name, p.PID(), p.NS, strings.Join(lines, "\n"))
	}
}
