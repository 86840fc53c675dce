package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/daemon"
)

func init() { register(newRunCmd) }

func newRunCmd(c *cli) *cobra.Command {
	var conf string
	var lf logFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the daemon: VRRP, IPVS, health checks, notifications",
		Long: `Run the daemon in the foreground (systemd's Type=notify: readiness, STATUS=
and the watchdog are sent when NOTIFY_SOCKET is set).

SIGHUP reloads the config: every component checks the new file before any
applies it, and an invalid file keeps the running config. SIGTERM and
SIGINT stop it cleanly. An invalid config at start is printed with
file:line:col and the exit status is 1.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := lf.logger(c.stderr)
			if err != nil {
				return usageError{err}
			}
			return exitError(runDaemon(conf, log, c.stderr))
		},
	}
	addConfigFlag(cmd, &conf)
	lf.add(cmd)
	return cmd
}

func runDaemon(conf string, log *zap.Logger, stderr io.Writer) int {
	defer func() { _ = log.Sync() }()
	daemon.SetGC()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	wait := writeMemProfileAtStop(ctx)
	defer func() { stop(); wait() }()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default: // a reload is already pending; one is enough
			}
		}
	}()

	err := daemon.Run(ctx, daemon.Options{
		ConfigPath: conf,
		Logger:     log,
		Ports:      daemon.Ports{ServiceManager: daemon.Systemd{}},
		Reload:     reload,
	})
	var (
		cerr *daemon.ConfigError
		rej  *daemon.RejectedError
	)
	switch {
	case errors.As(err, &cerr):
		_ = config.WriteDiagnostics(stderr, cerr.Files, cerr.Diags, 100, isTerminal(stderr))
		fmt.Fprintf(stderr, "lbhad: %s is invalid; not starting\n", conf)
		return exitFailed
	case errors.As(err, &rej):
		if xerr := execFullForBGP(log, rej, append([]string{bgpBinary}, os.Args[1:]...)); xerr != nil {
			fmt.Fprintf(stderr, "lbhad: %s: %v; not starting\n", conf, xerr)
			return exitFailed
		}
		fmt.Fprintf(stderr, "lbhad: %s: %v; not starting\n", conf, rej)
		return exitFailed
	case err != nil:
		log.Error("lbhad stopped with an error", zap.Error(err))
		return exitFailed
	}
	return exitOK
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
