// Command vrrpbench runs the VRRP benchmark (package bench/vrrp), lbhad
// against keepalived in network namespaces, and prints its markdown
// tables on stdout, progress on stderr. It needs root and keepalived;
// bench/vrrp/run.sh builds it and cmd/lbhad and runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	vrrpbench "github.com/lbhad/lbhad/bench/vrrp"
)

func main() {
	c := vrrpbench.DefaultConfig()
	flag.StringVar(&c.Lbhad, "lbhad", "", "lbhad binary (default: go build ./cmd/lbhad into a temporary directory)")
	flag.IntVar(&c.Runs, "runs", c.Runs, "failover runs per daemon and event (SIGKILL, SIGTERM)")
	flag.IntVar(&c.ScaleRuns, "scale-runs", c.ScaleRuns, "many-instance runs per daemon")
	flag.DurationVar(&c.Window, "window", c.Window, "many-instance CPU measurement window")
	flag.IntVar(&c.Links, "links", c.Links, "veth links between the directors for the many-instance runs")
	flag.IntVar(&c.PerLink, "per-link", c.PerLink, "VRRP instances (VRIDs 1..N) per link for the many-instance runs")
	flag.StringVar(&c.Only, "only", "", `run only "failover", "failover3" (VRRPv3 over IPv4 and IPv6) or "scale"`)
	flag.DurationVar(&c.ScaleAdvert, "scale-v3-advert", 0, "run the many-instance runs in VRRPv3 at this advert_int (0: VRRPv2 at 1 s)")
	flag.DurationVar(&c.V3Advert, "v3-advert", c.V3Advert, "advert_int of the VRRPv3 failover runs (0: skip them)")
	flag.StringVar(&c.AuthPass, "auth", c.AuthPass, "PASS authentication for the failover runs (empty: none)")
	kinds := flag.String("kinds", "", `daemons to run, comma-separated: "lbhad", "keepalived" (default: both)`)
	flag.Parse()
	if *kinds != "" {
		c.Kinds = strings.Split(*kinds, ",")
	}

	// A signal removes the labs and every process they started (Run
	// does that when ctx is done), then the program exits.
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "\n%v: removing labs\n", s)
		cancel()
	}()
	_, err := vrrpbench.Run(ctx, c, os.Stdout, os.Stderr)
	switch {
	case ctx.Err() != nil:
		os.Exit(130)
	case errors.Is(err, vrrpbench.ErrNotRoot), errors.Is(err, vrrpbench.ErrNoKeepalived), errors.Is(err, vrrpbench.ErrLinuxOnly):
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
