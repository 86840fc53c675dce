package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/control"
)

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

// cmdStatus asks the running daemon for its state over the control
// socket ("status"), or for everything it holds ("dump").
func cmdStatus(name string, args []string, stdout, stderr io.Writer) int {
	fs, conf := newFlags(name, stderr)
	sock := fs.String("s", "", "control `socket` (default: the config's control_socket)")
	asJSON := fs.Bool("json", false, "print JSON for scripts")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	path := socketPath(*sock, *conf)
	ctx := context.Background()
	if name == "dump" {
		raw, err := control.Do(ctx, path, control.Command{Cmd: control.CmdDump})
		if err != nil {
			fmt.Fprintf(stderr, "lbhad: %v\n", err)
			return exitFailed
		}
		var d control.Dump
		if err := json.Unmarshal(raw, &d); err != nil {
			fmt.Fprintf(stderr, "lbhad: bad reply from the daemon: %v\n", err)
			return exitFailed
		}
		if err := control.FormatJSON(stdout, d); err != nil {
			return exitFailed
		}
		return exitOK
	}
	s, err := control.Status(ctx, path)
	if err != nil {
		fmt.Fprintf(stderr, "lbhad: %v\n", err)
		return exitFailed
	}
	if *asJSON {
		err = control.FormatJSON(stdout, s)
	} else {
		err = control.FormatStatus(stdout, s)
	}
	if err != nil {
		return exitFailed
	}
	return exitOK
}
