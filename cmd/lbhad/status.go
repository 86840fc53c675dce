package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/control"
)

func init() {
	register(newStatusCmd)
	register(newDumpCmd)
}

// socketPath picks the control socket: -s, else the config's
// control_socket, else the default. A config that cannot be read is no
// reason to fail: the daemon may run with another file.
func socketPath(flagSock, conf string) string {
	if flagSock != "" {
		return flagSock
	}
	if cfg, _, diags := config.LoadFile(conf); !diags.HasErrors() && cfg.Global.ControlSocket != "" {
		return cfg.Global.ControlSocket
	}
	return config.DefaultControlSocket
}

// addSocketFlags adds -c (to find control_socket in the config) and -s.
func addSocketFlags(cmd *cobra.Command, conf, sock *string) {
	addConfigFlag(cmd, conf)
	cmd.Flags().StringVarP(sock, "socket", "s", "", "control `SOCKET` (default: the config's control_socket, else "+config.DefaultControlSocket+")")
}

func newStatusCmd(c *cli) *cobra.Command {
	var conf, sock string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the running daemon's instances, VIPs, real servers and maintenance",
		Long: `Ask the running daemon, over its control socket, for its state: VRRP
instances with state, priority and master; VIPs; virtual and real servers
with health; maintenance; the last reload. --json prints the same for
scripts.`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			s, err := control.Status(context.Background(), socketPath(sock, conf))
			if err != nil {
				fmt.Fprintf(c.stderr, "lbhad: %v\n", err)
				return exitError(exitFailed)
			}
			if asJSON {
				err = control.FormatJSON(c.stdout, s)
			} else {
				err = control.FormatStatus(c.stdout, s)
			}
			if err != nil {
				return exitError(exitFailed)
			}
			return nil
		},
	}
	addSocketFlags(cmd, &conf, &sock)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for scripts")
	return cmd
}

func newDumpCmd(c *cli) *cobra.Command {
	var conf, sock string
	cmd := &cobra.Command{
		Use:   "dump",
		Short: "Print everything the running daemon holds, as JSON (secrets redacted)",
		Long: `Ask the running daemon, over its control socket, for everything it holds:
the config it runs (secrets redacted), every component's state and
counters. The output is always JSON.`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			raw, err := control.Do(context.Background(), socketPath(sock, conf), control.Command{Cmd: control.CmdDump})
			if err != nil {
				fmt.Fprintf(c.stderr, "lbhad: %v\n", err)
				return exitError(exitFailed)
			}
			var d control.Dump
			if err := json.Unmarshal(raw, &d); err != nil {
				fmt.Fprintf(c.stderr, "lbhad: bad reply from the daemon: %v\n", err)
				return exitError(exitFailed)
			}
			if err := control.FormatJSON(c.stdout, d); err != nil {
				return exitError(exitFailed)
			}
			return nil
		},
	}
	addSocketFlags(cmd, &conf, &sock)
	return cmd
}
