package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/spf13/cobra"
	"io"
	"net/netip"

	"github.com/lbhad/lbhad/internal/realserver"
)

const realserverUsage = `Usage:
  lbhad realserver on|off --vip ADDR [--mode dr|tun] [--persist]
  lbhad realserver status [--vip ADDR [--mode dr|tun]]
  lbhad realserver apply          the VIPs saved by --persist (run at boot by lbhad-realserver.service)

Prepares this host as a real server behind an LVS director in DR or TUN
mode: the VIP on a device that never answers ARP for it (lo for dr,
tunl0 or ip6tnl0 for tun), arp_ignore=1 and arp_announce=2 on "all" and
every interface, and loose rp_filter on tunl0 for tun. "on" and "off" change
only what differs, so running them twice is harmless; "off" restores the
ARP settings when no other VIP is left. --persist also records the VIP in
/etc/lbhad/realserver.conf (applied at boot by lbhad-realserver.service,
once enabled) and writes /etc/sysctl.d/90-lbhad-realserver.conf.
"status" lists the VIPs and settings found; with --vip it lists what is
still missing and exits 1 unless nothing is. Root (CAP_NET_ADMIN) only.
`

// cmdRealserver is "lbhad realserver": flags here, the plan in
// internal/realserver. It parses its own arguments (flags may follow the
// action; -h exits 0) and needs nothing else from the CLI, so a command
// tree can mount it as is (with cobra: DisableFlagParsing and a RunE
// that calls it with the arguments).
func cmdRealserver(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lbhad realserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vip := fs.String("vip", "", "the virtual `address` (IPv4 or IPv6)")
	mode := fs.String("mode", "dr", "forwarding `mode`: dr or tun")
	persist := fs.Bool("persist", false, "also keep the setting across reboots (on, off)")
	root := fs.String("root", "/", "`dir`ectory under which --persist and apply find etc/ (for tests and images)")
	fs.Usage = func() {} // printed below: to stdout for -h, to stderr for a mistake
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, realserverUsage)
			return exitOK
		} else if err != nil {
			fmt.Fprint(stderr, realserverUsage)
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		pos, rest = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	usageErr := func(err error) int {
		fmt.Fprintf(stderr, "lbhad realserver: %v\n\n%s", err, realserverUsage)
		return exitUsage
	}
	if len(pos) != 1 {
		return usageErr(errors.New("want one of on, off, status, apply"))
	}
	var w realserver.Want
	if *vip != "" {
		a, err := netip.ParseAddr(*vip)
		if err != nil {
			return usageErr(fmt.Errorf("--vip: %w", err))
		}
		m, err := realserver.ParseMode(*mode)
		if err != nil {
			return usageErr(err)
		}
		w = realserver.Want{VIP: a.Unmap(), Mode: m}
		if err := w.Check(); err != nil {
			return usageErr(err)
		}
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "lbhad realserver: %v\n", err)
		return exitFailed
	}
	switch pos[0] {
	case "on", "off":
		if *vip == "" {
			return usageErr(errors.New("--vip is required"))
		}
		w.On = pos[0] == "on"
		if err := realserverApply(stdout, w); err != nil {
			return fail(err)
		}
		if *persist {
			if err := realserver.Persist(*root, w); err != nil {
				return fail(err)
			}
			fmt.Fprintf(stdout, "persisted in %s (enable at boot: systemctl enable lbhad-realserver)\n", realserver.ListFile)
		}
	case "apply":
		if *vip != "" || *persist {
			return usageErr(errors.New("apply takes no --vip or --persist: it applies the saved list"))
		}
		list, err := realserver.ReadList(*root)
		if err != nil {
			return fail(err)
		}
		for _, w := range list {
			if err := realserverApply(stdout, w); err != nil {
				return fail(err)
			}
		}
	case "status":
		if *persist {
			return usageErr(errors.New("status takes no --persist"))
		}
		st, err := realserver.Read()
		if err != nil {
			return fail(err)
		}
		realserver.WriteStatus(stdout, st)
		if *vip == "" {
			return exitOK
		}
		w.On = true
		missing := realserver.Missing(w, st)
		if len(missing) == 0 {
			fmt.Fprintf(stdout, "%v (%s): in place\n", w.VIP, w.Mode)
			return exitOK
		}
		fmt.Fprintf(stdout, "%v (%s): not in place; missing:\n", w.VIP, w.Mode)
		for _, s := range missing {
			fmt.Fprintf(stdout, "  %s\n", s)
		}
		return exitFailed
	default:
		return usageErr(fmt.Errorf("unknown action %q", pos[0]))
	}
	return exitOK
}

// realserverApply plans w against the host and carries the plan out,
// printing each step.
func realserverApply(stdout io.Writer, w realserver.Want) error {
	st, err := realserver.Read()
	if err != nil {
		return err
	}
	steps := realserver.Plan(w, st)
	state := map[bool]string{true: "on", false: "off"}[w.On]
	if len(steps) == 0 {
		fmt.Fprintf(stdout, "%v (%s) %s: already in place\n", w.VIP, w.Mode, state)
		return nil
	}
	for _, s := range steps {
		fmt.Fprintf(stdout, "%v (%s) %s: %s\n", w.VIP, w.Mode, state, s)
	}
	return realserver.Apply(steps)
}

func init() {
	register(func(c *cli) *cobra.Command {
		return &cobra.Command{
			Use: "realserver on|off|status|apply", Short: "Prepare this host as an LVS-DR/TUN real server (VIP on lo or tunl0, ARP sysctls)",
			Long: realserverUsage, DisableFlagParsing: true, Args: args(cobra.ArbitraryArgs),
			RunE: func(_ *cobra.Command, a []string) error { return exitError(cmdRealserver(a, c.stdout, c.stderr)) },
		}
	})
}
