package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/lbhad/lbhad/internal/control"
)

const maintUsage = `Usage:
  lbhad maint director on|off [--instance NAME] [-c FILE | -s SOCKET]
  lbhad maint real-server VS/RS on|off [--drain-timeout 5m] [-c FILE | -s SOCKET]

"director on" hands this director's VRRP instances to the peer without a
gap (the peer takes over before the VIPs leave here) and keeps them
backup, never master, until "director off". "real-server on" sets the
real server to weight 0, lets its connections finish and then takes it
out of the table (at the latest after --drain-timeout); "off" returns it
at its configured weight once its checks pass. Both survive a restart.
Root only.
`

// cmdMaint sends "maint" to the running daemon.
func cmdMaint(args []string, stdout, stderr io.Writer) int {
	fs, conf := newFlags("maint", stderr)
	sock := fs.String("s", "", "control `socket` (default: the config's control_socket)")
	inst := fs.String("instance", "", "only this vrrp_instance (director)")
	drain := fs.Duration("drain-timeout", 0, "longest wait for connections to finish (real-server; default 5m)")
	fs.Usage = func() { fmt.Fprint(stderr, maintUsage) }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUsage
	}
	a, err := maintArgs(pos, *inst, *drain)
	if err != nil {
		fmt.Fprintf(stderr, "lbhad maint: %v\n\n%s", err, maintUsage)
		return exitUsage
	}
	r, err := control.Maint(context.Background(), socketPath(*sock, *conf), a)
	if err != nil {
		fmt.Fprintf(stderr, "lbhad: %v\n", err)
		return exitFailed
	}
	fmt.Fprintln(stdout, r.Message)
	return exitOK
}

// parseInterspersed lets flags follow the positional arguments, as in
// "lbhad maint director on --instance VI_1".
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
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
