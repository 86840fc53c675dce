// Command checkerbench runs the health-check engine benchmark (package
// bench/checker) and prints its markdown report on stdout, progress on
// stderr. By default it re-executes itself in a fresh network namespace
// (root needed; otherwise it runs in the host's). bench/checker/run.sh
// builds and runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"

	checkerbench "github.com/lbhad/lbhad/bench/checker"
	"github.com/lbhad/lbhad/internal/daemon"
)

func main() {
	checkerbench.BackendMain() // a re-executed backend process never returns
	fs := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	short := fs.Bool("short", false, "smoke run: small numbers, a few seconds, host network namespace")
	inNetns := fs.Bool("in-netns", false, "internal: this process was started in a fresh network namespace")
	c := checkerbench.DefaultConfig()
	fs.IntVar(&c.Checks, "checks", c.Checks, "tcp_check checks configured in the engine")
	fs.IntVar(&c.HTTPChecks, "http-checks", c.HTTPChecks, "http_get checks configured in the engine")
	fs.DurationVar(&c.Interval, "interval", c.Interval, "interval of every check")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "connect timeout of every check")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "measured window of each throughput phase")
	fs.DurationVar(&c.Warmup, "warmup", c.Warmup, "time before each window")
	fs.IntVar(&c.Workers, "workers", 0, "engine workers; 0 sizes the pool as internal/daemon does")
	fs.IntVar(&c.Victims, "victims", c.Victims, "backends stopped in each detection phase")
	fs.IntVar(&c.Fall, "fall", c.Fall, "fall of the detection checks")
	fs.StringVar(&c.Only, "only", "", "run only these comma-separated phases: "+strings.Join(checkerbench.Phases, ","))
	fs.StringVar(&c.Lbhad, "lbhad", "", "lbhad binary for the daemon phase (run.sh builds one; empty: the phase is skipped)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the measuring process to this file")
	netns := fs.Bool("netns", true, "run in a fresh network namespace (needs root)")
	fs.Parse(os.Args[1:])

	if *short {
		c = checkerbench.ShortConfig()
		*netns = false
	}
	if *netns && !*inNetns {
		// Run the whole benchmark again inside a new namespace; its
		// backends inherit it.
		err := checkerbench.ReexecInNetns(append(os.Args[1:], "-in-netns"))
		if err == nil {
			return
		}
		if !checkerbench.NoNetns(err) {
			fmt.Fprintln(os.Stderr, "checker bench:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "checker bench: cannot create a network namespace, using the host's:", err)
	}
	c.FreshNetns = *inNetns
	// The engine runs under the daemon's collector setting, as in
	// `lbhad run`; the loops it is compared with share it.
	daemon.SetGC()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "checker bench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if _, err := checkerbench.Run(context.Background(), c, os.Stdout, os.Stderr); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "checker bench:", err)
		os.Exit(1)
	}
}
