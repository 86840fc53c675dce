package main

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/lbhad/lbhad/ipvssync"
)

func init() { register(newIPVSCmd) }

// newIPVSCmd reads the kernel's table directly, like ipvsadm: it works
// whether or not the daemon runs, and shows hand-made entries too.
func newIPVSCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ipvs",
		Short: "Show the kernel's IPVS table like ipvsadm -Ln, or save it like ipvsadm -Sn",
		Long: `Read the kernel's IPVS table directly, as ipvsadm does: it works whether
or not the daemon runs, and shows entries made by hand too. The output is
byte for byte what ipvsadm prints, so scripts that parse ipvsadm keep
working.`,
		Args: args(cobra.ArbitraryArgs),
		RunE: groupRunE(c),
	}
	cmd.AddCommand(newIPVSListCmd(c), newIPVSSaveCmd(c))
	return cmd
}

// serviceFlags are ipvsadm's -t/-u/--sctp-service/-f, naming one service.
type serviceFlags struct{ tcp, udp, sctp, fwmark string }

func (s *serviceFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVarP(&s.tcp, "tcp-service", "t", "", "only the TCP service `ADDR:PORT`")
	fs.StringVarP(&s.udp, "udp-service", "u", "", "only the UDP service `ADDR:PORT`")
	fs.StringVar(&s.sctp, "sctp-service", "", "only the SCTP service `ADDR:PORT`")
	fs.StringVarP(&s.fwmark, "fwmark-service", "f", "", "only the firewall-mark service `MARK` (IPv4; \"MARK -6\" is not supported)")
	cmd.MarkFlagsMutuallyExclusive("tcp-service", "udp-service", "sctp-service", "fwmark-service")
}

// key returns the service the flags name, ok false when none.
func (s *serviceFlags) key() (ipvssync.ServiceKey, bool, error) {
	var k ipvssync.ServiceKey
	addr := func(p ipvssync.Proto, v string) (ipvssync.ServiceKey, bool, error) {
		ap, err := netip.ParseAddrPort(v)
		if err != nil {
			return k, false, usageErrorf("service %q: want ADDR:PORT, [V6ADDR]:PORT: %v", v, err)
		}
		fam := ipvssync.FamilyIPv4
		if ap.Addr().Is6() && !ap.Addr().Is4In6() {
			fam = ipvssync.FamilyIPv6
		}
		return ipvssync.ServiceKey{Family: fam, Proto: p, Addr: ap.Addr().Unmap(), Port: ap.Port()}, true, nil
	}
	switch {
	case s.tcp != "":
		return addr(ipvssync.ProtoTCP, s.tcp)
	case s.udp != "":
		return addr(ipvssync.ProtoUDP, s.udp)
	case s.sctp != "":
		return addr(ipvssync.ProtoSCTP, s.sctp)
	case s.fwmark != "":
		m, err := strconv.ParseUint(s.fwmark, 10, 32)
		if err != nil || m == 0 {
			return k, false, usageErrorf("fwmark %q: want a number from 1 to 4294967295", s.fwmark)
		}
		return ipvssync.ServiceKey{Family: ipvssync.FamilyIPv4, FWMark: uint32(m)}, true, nil
	}
	return k, false, nil
}

// selectService keeps only the service k of t, as ipvsadm -L -t does;
// a service the kernel lacks is an error, as in ipvsadm.
func selectService(t ipvssync.Table, k ipvssync.ServiceKey) (ipvssync.Table, error) {
	for tk, e := range t {
		if tk.Family == k.Family && tk.Proto == k.Proto && tk.Addr == k.Addr && tk.Port == k.Port && tk.FWMark == k.FWMark {
			return ipvssync.Table{tk: e}, nil
		}
	}
	return nil, fmt.Errorf("no such service: %s", k)
}

func newIPVSListCmd(c *cli) *cobra.Command {
	var stats, rate, daemons, numeric, conns, timeout, thresholds, persistent, exact bool
	var svc serviceFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "The kernel's IPVS table, like ipvsadm -Ln",
		Long: `Print the kernel's IPVS table as ipvsadm -Ln does. Addresses are always
numeric; -n is accepted, as ipvsadm users type it, and changes nothing.`,
		Example: `  lbhad ipvs list -n
  lbhad ipvs list --stats --exact -t 192.0.2.50:80
  lbhad ipvs list --persistent-conn
  lbhad ipvs list -c --persistent-conn
  lbhad ipvs list --timeout
  lbhad ipvs list --daemon`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			if conns {
				f, err := os.Open(ipvssync.ConnFile)
				if err != nil {
					fmt.Fprintf(c.stderr, "lbhad: %v (is the ip_vs module loaded?)\n", err)
					return exitError(exitFailed)
				}
				defer f.Close()
				if err := ipvssync.FormatConns(c.stdout, f, persistent); err != nil {
					fmt.Fprintf(c.stderr, "lbhad: %v\n", err)
					return exitError(exitFailed)
				}
				return nil
			}
			if timeout {
				return withKernel(c, func(h ipvssync.Handle) error {
					tc, err := h.GetConfig()
					if err != nil {
						return fmt.Errorf("read timeouts: %w", err)
					}
					return ipvssync.FormatTimeout(c.stdout, tc)
				})
			}
			if daemons {
				ds, err := ipvssync.ListDaemons()
				if err != nil {
					fmt.Fprintf(c.stderr, "lbhad: %v\n", err)
					return exitError(exitFailed)
				}
				if err := ipvssync.FormatDaemons(c.stdout, ds); err != nil {
					return exitError(exitFailed)
				}
				return nil
			}
			k, one, err := svc.key()
			if err != nil {
				return err
			}
			return readTable(c, func(t ipvssync.Table) error {
				if one {
					if t, err = selectService(t, k); err != nil {
						return err
					}
				}
				ver, size, err := ipvssync.KernelInfo()
				if err != nil {
					ver, size = "", 0 // FormatList fills ipvsadm's defaults
				}
				opts := ipvssync.ListOptions{Stats: stats, Rate: rate,
					Thresholds: thresholds, Exact: exact, Single: one, Version: ver, Size: size}
				if persistent {
					if opts.PersistConns, err = ipvssync.PersistConns(t); err != nil {
						return err
					}
				}
				return ipvssync.FormatList(c.stdout, t, opts)
			})
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&stats, "stats", false, "show traffic counters")
	fs.BoolVar(&rate, "rate", false, "show rates")
	fs.BoolVar(&daemons, "daemon", false, "show the connection sync daemons, like ipvsadm -L --daemon")
	fs.BoolVarP(&numeric, "numeric", "n", false, "numeric output (always; accepted for ipvsadm's habit)")
	fs.BoolVarP(&conns, "connection", "c", false, "list the connections, like ipvsadm -Lnc")
	fs.BoolVar(&timeout, "timeout", false, "show the TCP, TCP FIN and UDP timeouts, like ipvsadm -L --timeout")
	fs.BoolVar(&thresholds, "thresholds", false, "show the real servers' connection thresholds")
	fs.BoolVar(&persistent, "persistent-conn", false, "show each real server's persistent connections; with -c, the persistence engine's name and data")
	fs.BoolVar(&exact, "exact", false, "print --stats and --rate counters in full, not scaled with K, M, G")
	// One view at a time, as in ipvsadm.
	cmd.MarkFlagsMutuallyExclusive("stats", "rate", "thresholds", "daemon", "connection", "timeout")
	cmd.MarkFlagsMutuallyExclusive("persistent-conn", "stats")
	cmd.MarkFlagsMutuallyExclusive("persistent-conn", "rate")
	cmd.MarkFlagsMutuallyExclusive("persistent-conn", "thresholds")
	cmd.MarkFlagsMutuallyExclusive("persistent-conn", "daemon")
	cmd.MarkFlagsMutuallyExclusive("persistent-conn", "timeout")
	svc.add(cmd)
	for _, view := range []string{"daemon", "connection", "timeout"} {
		for _, one := range []string{"tcp-service", "udp-service", "sctp-service", "fwmark-service", "exact"} {
			cmd.MarkFlagsMutuallyExclusive(view, one)
		}
	}
	return cmd
}

func newIPVSSaveCmd(c *cli) *cobra.Command {
	var numeric bool
	cmd := &cobra.Command{
		Use:   "save",
		Short: "The kernel's IPVS rules in the format ipvsadm -R accepts",
		Long: `Print the kernel's IPVS rules as ipvsadm -Sn does, in its order, always
naming the thresholds, so that ipvsadm -R restores them. -n is accepted
and changes nothing.`,
		Example: `  lbhad ipvs save > /etc/ipvsadm.rules`,
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			return readTable(c, func(t ipvssync.Table) error { return ipvssync.FormatSave(c.stdout, t) })
		},
	}
	cmd.Flags().BoolVarP(&numeric, "numeric", "n", false, "numeric output (always; accepted for ipvsadm's habit)")
	return cmd
}

// withKernel opens the kernel's IPVS and hands it to do; an error is
// printed and ends the command with status 1.
func withKernel(c *cli, do func(ipvssync.Handle) error) error {
	h, err := ipvssync.Open()
	if err != nil {
		fmt.Fprintf(c.stderr, "lbhad: %v\n", err)
		return exitError(exitFailed)
	}
	defer h.Close()
	if err := do(h); err != nil {
		fmt.Fprintf(c.stderr, "lbhad: %v\n", err)
		return exitError(exitFailed)
	}
	return nil
}

// readTable reads the kernel's table and hands it to write.
func readTable(c *cli, write func(ipvssync.Table) error) error {
	return withKernel(c, func(h ipvssync.Handle) error {
		t, err := ipvssync.Read(h)
		if err != nil {
			return fmt.Errorf("read ipvs table: %w", err)
		}
		return write(t)
	})
}
