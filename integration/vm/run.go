package vm

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNoExitMarker reports that the guest stopped (or was stopped) without
// printing its exit-code marker: a kernel panic, a crash of /init or a
// timeout.
var ErrNoExitMarker = errors.New("vm: guest printed no exit marker")

// Command is one program the guest runs, by its path inside the guest.
type Command struct {
	Path string
	Args []string
	Dir  string // working directory in the guest; "" = /
}

// File is a file added to the guest by the per-run archive: the contents of
// the host file Source, or Data when Source is "".
type File struct {
	Source string
	Data   []byte
	Mode   fs.FileMode // 0 = 0o755
}

// Options describe one boot.
type Options struct {
	Kernel Kernel
	// Initrd is a base image written by [BuildInitramfs].
	Initrd string
	// Files maps guest paths to per-run files, e.g. test binaries.
	Files map[string]File
	// Commands run in order; every one runs even after a failure, and the
	// exit code is that of the first one that failed.
	Commands []Command
	// Console, when set, receives the serial console as it arrives
	// (carriage returns removed), e.g. a file or a t.Log line writer.
	Console io.Writer
	Memory  int    // MiB; 0 = 1024
	CPUs    int    // 0 = 2
	Accel   string // "tcg" (default) or "kvm"; see [ProbeKVM]
	Append  string // extra kernel command line
	QEMU    string // "" = qemu-system-x86_64
	// TempDir holds the combined initrd; "" = os.TempDir().
	TempDir string
}

// Run boots the guest once, runs opts.Commands in it and returns the exit
// code it reported and the whole console log. err is non-nil when qemu could
// not start, when ctx ended first (qemu is then killed by its PID; err wraps
// ctx.Err()), or when no exit marker arrived (err wraps [ErrNoExitMarker]);
// exitCode is then -1.
func Run(ctx context.Context, opts Options) (exitCode int, consoleLog []byte, err error) {
	if opts.Kernel.Image == "" || opts.Initrd == "" {
		return -1, nil, fmt.Errorf("vm run: kernel and initrd are required: %w", ErrNotSetUp)
	}
	nonce := make([]byte, 6)
	if _, err := rand.Read(nonce); err != nil {
		return -1, nil, fmt.Errorf("vm run: nonce: %w", err)
	}
	tag := hex.EncodeToString(nonce)
	if opts.Files, err = withExtraFiles(opts.Files); err != nil {
		return -1, nil, fmt.Errorf("vm run: %w", err)
	}

	initrd, err := os.CreateTemp(opts.TempDir, "lbhad-vm-initrd-*")
	if err != nil {
		return -1, nil, fmt.Errorf("vm run: %w", err)
	}
	defer os.Remove(initrd.Name())
	if err := writeInitrd(initrd, opts, tag); err != nil {
		initrd.Close()
		return -1, nil, fmt.Errorf("vm run: write initrd: %w", err)
	}
	if err := initrd.Close(); err != nil {
		return -1, nil, fmt.Errorf("vm run: write initrd: %w", err)
	}

	qemu := opts.QEMU
	if qemu == "" {
		qemu = "qemu-system-x86_64"
	}
	if _, err := exec.LookPath(qemu); err != nil {
		return -1, nil, fmt.Errorf("vm run: %w", errors.Join(ErrNotSetUp, err))
	}
	cmd := exec.CommandContext(ctx, qemu, qemuArgs(opts, initrd.Name())...)
	var console bytes.Buffer
	var mu sync.Mutex
	sink := io.Writer(&console)
	if opts.Console != nil {
		sink = io.MultiWriter(&console, opts.Console)
	}
	cmd.Stdout = &crStripper{w: sink, mu: &mu}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second // exec kills qemu by PID when ctx ends
	runErr := cmd.Run()
	mu.Lock()
	log := append([]byte(nil), console.Bytes()...)
	mu.Unlock()

	code, found := findMarker(log, tag)
	switch {
	case ctx.Err() != nil:
		return -1, log, fmt.Errorf("vm run: %w (console tail: %s)", ctx.Err(), tail(log))
	case found:
		return code, log, nil
	case runErr != nil:
		return -1, log, fmt.Errorf("vm run: qemu: %w: %s (console tail: %s): %w", runErr, bytes.TrimSpace(stderr.Bytes()), tail(log), ErrNoExitMarker)
	default:
		return -1, log, fmt.Errorf("vm run: %s (console tail: %s): %w", bytes.TrimSpace(stderr.Bytes()), tail(log), ErrNoExitMarker)
	}
}

func qemuArgs(o Options, initrd string) []string {
	mem, cpus := o.Memory, o.CPUs
	if mem == 0 {
		mem = 1024
	}
	if cpus == 0 {
		cpus = 2
	}
	args := []string{
		"-M", "pc", "-cpu", "max", "-smp", strconv.Itoa(cpus), "-m", strconv.Itoa(mem),
		"-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
		"-kernel", o.Kernel.Image, "-initrd", initrd,
		"-append", strings.TrimSpace("console=ttyS0 quiet panic=-1 rdinit=/init " + o.Append),
	}
	if o.Accel == "kvm" {
		args = append(args, "-enable-kvm")
	} else {
		args = append(args, "-accel", "tcg")
	}
	return args
}

// writeInitrd concatenates the base image and a second gzip'd cpio holding
// opts.Files and /lbhad/run.sh. The kernel unpacks both in turn.
func writeInitrd(w io.Writer, o Options, tag string) error {
	base, err := os.Open(o.Initrd)
	if err != nil {
		return err
	}
	defer base.Close()
	if _, err := io.Copy(w, base); err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	c := newCPIOWriter(zw)
	c.dirs["lbhad"] = true // exists in the base image
	for _, name := range sortedKeys(o.Files) {
		f := o.Files[name]
		body := f.Data
		if f.Source != "" {
			if body, err = os.ReadFile(f.Source); err != nil {
				return err
			}
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o755
		}
		if err := c.File(path.Clean("/"+name), mode, body); err != nil {
			return err
		}
	}
	if err := c.File("lbhad/run.sh", 0o755, []byte(runScript(o.Commands, tag))); err != nil {
		return err
	}
	if err := c.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// runScript runs the commands and prints the marker Run looks for.
func runScript(cmds []Command, tag string) string {
	var b strings.Builder
	b.WriteString("rc=0\n")
	for i, c := range cmds {
		dir := c.Dir
		if dir == "" {
			dir = "/"
		}
		fmt.Fprintf(&b, "cd %s\n", shellQuote(dir))
		b.WriteString(shellQuote(c.Path))
		for _, a := range c.Args {
			b.WriteString(" " + shellQuote(a))
		}
		b.WriteString(" </dev/null\n")
		fmt.Fprintf(&b, "r=$?; echo \"lbhad-vm: command %d exited $r\"; [ $rc -eq 0 ] && rc=$r\n", i)
	}
	fmt.Fprintf(&b, "echo \"LBHAD-VM-EXIT %s $rc\"\n", tag)
	return b.String()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// findMarker returns the exit code of the line "LBHAD-VM-EXIT <tag> <n>".
func findMarker(log []byte, tag string) (int, bool) {
	re := regexp.MustCompile(`(?m)^LBHAD-VM-EXIT ` + regexp.QuoteMeta(tag) + ` (\d+)\s*$`)
	m := re.FindSubmatch(log)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(string(m[1]))
	return n, err == nil
}

func tail(b []byte) string {
	const n = 2000
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strconv.Quote(string(b))
}

// crStripper drops the carriage returns the serial console adds.
type crStripper struct {
	w  io.Writer
	mu *sync.Mutex
}

func (c *crStripper) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.w.Write(bytes.ReplaceAll(p, []byte("\r"), nil)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// ProbeKVM reports whether qemu with -enable-kvm really boots this kernel:
// /dev/kvm can exist but hang a guest forever (a nested software KVM), so
// it boots an empty run with a short deadline. It costs one boot (seconds)
// when KVM works and the deadline when it does not; callers opt in to it.
func ProbeKVM(ctx context.Context, k Kernel, initrd string, timeout time.Duration) bool {
	if _, err := os.Stat("/dev/kvm"); err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	code, _, err := Run(ctx, Options{Kernel: k, Initrd: initrd, Accel: "kvm", Commands: []Command{{Path: "/bin/true"}}})
	return err == nil && code == 0
}
