//go:build linux

// Command ipvsbench runs the IPVS reconciliation benchmark (package
// bench/ipvs) and prints its result table.
//
// With -here it measures the kernel it runs on (root and IPVS needed).
// Without it, it boots the Debian kernel that integration/vm/setup.sh
// prepared under qemu (TCG, 2 vCPUs) with a copy of itself in the
// initramfs, runs itself there with -here, streams the serial console to
// stderr and prints the table on stdout. Build it static (CGO_ENABLED=0)
// so the copy runs in the guest; bench/ipvs/run.sh does all of that.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	ipvsbench "github.com/lbhad/lbhad/bench/ipvs"
	"github.com/lbhad/lbhad/integration/vm"
)

const (
	beginMark = "IPVSBENCH-TABLE-BEGIN"
	endMark   = "IPVSBENCH-TABLE-END"
)

func main() {
	here := flag.Bool("here", false, "measure this machine's kernel instead of booting the VM")
	services := flag.Int("services", 1000, "virtual services")
	dests := flag.Int("dests", 10, "real servers per virtual service")
	nruns := flag.Int("runs", 5, "runs of each measurement")
	cpus := flag.Int("cpus", 2, "guest vCPUs")
	memory := flag.Int("memory", 1024, "guest memory in MiB")
	timeout := flag.Duration("timeout", 15*time.Minute, "VM deadline")
	flag.Parse()

	if *here {
		if err := runHere(*services, *dests, *nruns); err != nil {
			fmt.Fprintln(os.Stderr, "ipvsbench:", err)
			os.Exit(1)
		}
		return
	}
	if err := runVM(*services, *dests, *nruns, *cpus, *memory, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "ipvsbench:", err)
		os.Exit(1)
	}
}

func runHere(services, dests, runs int) error {
	var b bytes.Buffer
	fmt.Fprintln(&b, beginMark)
	kernel := "unknown"
	if v, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(v))
	}
	fmt.Fprintf(&b, "kernel %s, %d CPUs, %s\n", kernel, runtime.NumCPU(), runtime.Version())
	c := ipvsbench.Config{Services: services, Dests: dests, Runs: runs}
	if _, err := ipvsbench.Run(context.Background(), c, &b, os.Stderr); err != nil {
		return err
	}
	fmt.Fprintln(&b, endMark)
	_, err := os.Stdout.Write(b.Bytes())
	return err
}

func runVM(services, dests, runs, cpus, memory int, timeout time.Duration) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	k, err := vm.FindKernel("")
	if err != nil {
		return fmt.Errorf("%w (run: sudo bash integration/vm/setup.sh)", err)
	}
	dir, err := os.MkdirTemp("", "ipvsbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	initrd := filepath.Join(dir, "base.cpio.gz")
	f, err := os.Create(initrd)
	if err != nil {
		return err
	}
	if err := vm.BuildInitramfs(f, vm.InitramfsOptions{Kernel: k}); err != nil {
		f.Close()
		return fmt.Errorf("build initramfs: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var console bytes.Buffer
	t0 := time.Now()
	code, _, err := vm.Run(ctx, vm.Options{
		Kernel: k, Initrd: initrd, CPUs: cpus, Memory: memory, TempDir: dir,
		Files: map[string]vm.File{"/lbhad/ipvsbench": {Source: self}},
		Commands: []vm.Command{{Path: "/lbhad/ipvsbench", Dir: "/tmp", Args: []string{
			"-here", "-services", strconv.Itoa(services), "-dests", strconv.Itoa(dests), "-runs", strconv.Itoa(runs),
		}}},
		Console: io.MultiWriter(os.Stderr, &console),
	})
	fmt.Fprintf(os.Stderr, "ipvsbench: boot to poweroff %v (qemu TCG, %d vCPUs, %d MiB)\n",
		time.Since(t0).Round(time.Second), cpus, memory)
	if err != nil {
		return fmt.Errorf("vm: %w", err)
	}
	if code != 0 {
		return fmt.Errorf("benchmark failed in the guest: exit code %d (console above)", code)
	}
	_, table, ok := strings.Cut(console.String(), beginMark+"\n")
	if ok {
		table, _, ok = strings.Cut(table, endMark)
	}
	if !ok {
		return errors.New("no result table in the guest's console")
	}
	fmt.Printf("qemu TCG guest: %d vCPUs, %d MiB on host %s\n%s", cpus, memory, hostCPU(), table)
	return nil
}

func hostCPU() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return fmt.Sprintf("%q x%d", strings.TrimSpace(v), runtime.NumCPU())
		}
	}
	return "?"
}
