package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/lbhad/lbhad/ipvssync"
)

const ipvsUsage = `Usage:
  lbhad ipvs list [--stats | --rate]   the kernel's IPVS table, like ipvsadm -Ln
  lbhad ipvs list --daemon             the connection sync daemons, like ipvsadm -L --daemon
  lbhad ipvs save                      rules that ipvsadm -R accepts
`

// cmdIPVS reads the kernel's table directly, like ipvsadm: it works
// whether or not the daemon runs, and shows hand-made entries too.
func cmdIPVS(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, ipvsUsage)
		return exitUsage
	}
	fs := flag.NewFlagSet("lbhad ipvs "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	stats := fs.Bool("stats", false, "show traffic counters")
	rate := fs.Bool("rate", false, "show rates")
	daemons := fs.Bool("daemon", false, "show the connection sync daemons, like ipvsadm -L --daemon")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	var write func(ipvssync.Table) error
	switch args[0] {
	case "list":
		if *daemons {
			ds, err := ipvssync.ListDaemons()
			if err != nil {
				fmt.Fprintf(stderr, "lbhad: %v\n", err)
				return exitFailed
			}
			if err := ipvssync.FormatDaemons(stdout, ds); err != nil {
				return exitFailed
			}
			return exitOK
		}
		write = func(t ipvssync.Table) error {
			ver, size, err := ipvssync.KernelInfo()
			if err != nil {
				ver, size = "", 0 // FormatList fills ipvsadm's defaults
			}
			return ipvssync.FormatList(stdout, t, ipvssync.ListOptions{Stats: *stats, Rate: *rate, Version: ver, Size: size})
		}
	case "save":
		write = func(t ipvssync.Table) error { return ipvssync.FormatSave(stdout, t) }
	default:
		fmt.Fprintf(stderr, "lbhad ipvs: unknown command %q\n\n%s", args[0], ipvsUsage)
		return exitUsage
	}
	h, err := ipvssync.Open()
	if err != nil {
		fmt.Fprintf(stderr, "lbhad: %v\n", err)
		return exitFailed
	}
	defer h.Close()
	t, err := ipvssync.Read(h)
	if err != nil {
		fmt.Fprintf(stderr, "lbhad: read ipvs table: %v\n", err)
		return exitFailed
	}
	if err := write(t); err != nil {
		fmt.Fprintf(stderr, "lbhad: %v\n", err)
		return exitFailed
	}
	return exitOK
}
