package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lbhad/lbhad/internal/control"
)

func init() { register(newMaintCmd) }

func newMaintCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "maint",
		Short: "Take this director or a real server out of service, without a gap",
		Long: `Take this director or a real server out of service at runtime, without
editing the config, over the control socket (root only). Every action is
logged and notified with the uid and pid that asked, and survives a
restart.`,
		Args: args(cobra.ArbitraryArgs),
		RunE: groupRunE(c),
	}
	send := func(conf, sock *string, a control.MaintArgs) error {
		r, err := control.Maint(context.Background(), socketPath(*sock, *conf), a)
		if err != nil {
			fmt.Fprintf(c.stderr, "lbhad: %v\n", err)
			return exitError(exitFailed)
		}
		fmt.Fprintln(c.stdout, r.Message)
		return nil
	}

	var dconf, dsock, inst string
	director := &cobra.Command{
		Use:   "director on|off",
		Short: "Hand this director's VIPs to the peer and stay backup (on), or rejoin (off)",
		Long: `"on" hands this director's VRRP instances to the peer without a gap (the
peer takes over before the VIPs leave here) and keeps them backup, never
master, until "off".`,
		Example:   "  lbhad maint director on --instance VI_1",
		Args:      args(cobra.ExactArgs(1)),
		ValidArgs: []string{"on", "off"},
		RunE: func(_ *cobra.Command, pos []string) error {
			a, err := maintArgs(append([]string{control.MaintDirector}, pos...), inst, 0)
			if err != nil {
				return usageError{err}
			}
			return send(&dconf, &dsock, a)
		},
	}
	addSocketFlags(director, &dconf, &dsock)
	director.Flags().StringVar(&inst, "instance", "", "only this vrrp_instance `NAME`")

	var rconf, rsock string
	var drain time.Duration
	realServer := &cobra.Command{
		Use:   "real-server VS/RS on|off",
		Short: "Drain a real server to weight 0 and out of the table (on), or return it (off)",
		Long: `"on" sets the real server to weight 0, lets its connections finish and then
takes it out of the table (at the latest after --drain-timeout); "off"
returns it at its configured weight once its checks pass. VS/RS names the
virtual_server and real_server blocks, as in web/rs1.`,
		Example: "  lbhad maint real-server web/rs1 on --drain-timeout 2m",
		Args:    args(cobra.ExactArgs(2)),
		RunE: func(_ *cobra.Command, pos []string) error {
			a, err := maintArgs(append([]string{control.MaintRealServer}, pos...), "", drain)
			if err != nil {
				return usageError{err}
			}
			return send(&rconf, &rsock, a)
		},
	}
	addSocketFlags(realServer, &rconf, &rsock)
	realServer.Flags().DurationVar(&drain, "drain-timeout", 0, "longest wait for connections to finish (default 5m)")

	cmd.AddCommand(director, realServer)
	return cmd
}

// maintArgs turns "director on" or "real-server VS/RS off" into the
// command's arguments.
func maintArgs(pos []string, instance string, drain time.Duration) (control.MaintArgs, error) {
	var a control.MaintArgs
	onoff := func(s string) (bool, error) {
		switch s {
		case "on":
			return true, nil
		case "off":
			return false, nil
		}
		return false, fmt.Errorf("want on or off, not %q", s)
	}
	var err error
	switch {
	case len(pos) == 2 && pos[0] == control.MaintDirector:
		if drain != 0 {
			return a, errors.New("--drain-timeout is for real servers")
		}
		a = control.MaintArgs{Target: control.MaintDirector, Instance: instance}
		a.On, err = onoff(pos[1])
	case len(pos) == 3 && pos[0] == control.MaintRealServer:
		if instance != "" {
			return a, errors.New("--instance is for the director")
		}
		if drain < 0 {
			return a, errors.New("--drain-timeout must not be negative")
		}
		a = control.MaintArgs{Target: control.MaintRealServer, DrainTimeout: control.Duration(drain)}
		if a.VirtualServer, a.RealServer, err = control.ParseRealServerRef(pos[1]); err != nil {
			return a, err
		}
		a.On, err = onoff(pos[2])
	default:
		return a, errors.New("want \"director on|off\" or \"real-server VS/RS on|off\"")
	}
	return a, err
}
