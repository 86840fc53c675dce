package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/daemon"
	"github.com/lbhad/lbhad/notify"
)

// Exit codes, as keepalived's config test uses them: 0 fine, 1 the
// config (or the daemon) failed, 2 the command line was wrong.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	defaultConf = "/etc/lbhad/lbhad.hcl"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

const usage = `lbhad keeps a Linux load-balancer director pair highly available:
VRRPv2 election with virtual IPs and gratuitous ARP, IPVS virtual services
kept in step with health checks, and notifications on every change.

Usage:
  lbhad run      [-c FILE] [--log-format console|json] [--log-level LEVEL]
  lbhad validate [-c FILE] [--offline]  check a config and exit (also: lbhad -t)
  lbhad status   [-c FILE | -s SOCKET] [--json]   the running daemon's state
  lbhad dump     [-c FILE | -s SOCKET]   everything the daemon holds, as JSON
  lbhad ipvs list [--stats|--rate] the kernel's IPVS table, like ipvsadm -Ln
  lbhad ipvs save                  IPVS rules in ipvsadm -R format
  lbhad maint director|real-server VS/RS on|off   take out of service, zero gap
  lbhad convert [-o FILE] keepalived.conf   migrate a keepalived config
  lbhad version
  lbhad help

The default config is /etc/lbhad/lbhad.hcl. "run" reloads on SIGHUP
(an invalid file keeps the running config) and stops cleanly on SIGTERM.
"validate" exits 0 when the file is valid and 1 when it is not, printing
every problem with file:line:col; it also checks that the users and
files the config names exist here (--offline skips that, and the checks
that need them, for a file meant for another machine). A reload that
runs "validate" before SIGHUP (see lbhad.service) fails visibly on a bad
file instead of only being logged.
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stderr)
	case "validate", "-t", "--config-test":
		return cmdValidate(args[1:], stdout, stderr)
	case "status", "dump":
		return cmdStatus(args[0], args[1:], stdout, stderr)
	case "convert":
		return cmdConvert(args[1:], stdout, stderr)
	case "ipvs":
		return cmdIPVS(args[1:], stdout, stderr)
	case "maint":
		return cmdMaint(args[1:], stdout, stderr)
	case "realserver":
		return cmdRealserver(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "lbhad", buildVersion())
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "lbhad: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}

func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("lbhad "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	conf := fs.String("c", defaultConf, "config `file`")
	fs.StringVar(conf, "config", defaultConf, "config `file` (same as -c)")
	return fs, conf
}

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs, conf := newFlags("validate", stderr)
	offline := fs.Bool("offline", false, "do not check users and files on this host (validating for another machine)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	var opts config.Options
	if !*offline {
		opts.Host = config.OSHost{}
	}
	cfg, files, diags := config.LoadFileWith(*conf, opts)
	if len(diags) > 0 {
		_ = config.WriteDiagnostics(stderr, files, diags, 100, isTerminal(stderr))
	}
	if diags.HasErrors() {
		fmt.Fprintf(stderr, "%s: invalid\n", *conf)
		return exitFailed
	}
	// Scripts are checked on disk as they will be run: a command that
	// does not split, or (with enable_script_security) one that others
	// could rewrite, would be refused at run time.
	if errs := notify.ValidateScripts(cfg); len(errs) > 0 {
		for _, err := range errs {
			fmt.Fprintf(stderr, "%s: script: %v\n", *conf, err)
		}
		fmt.Fprintf(stderr, "%s: invalid\n", *conf)
		return exitFailed
	}
	// The components' own checks, as start and reload run them: what
	// the daemon would refuse, validate refuses first.
	if !*offline {
		if err := daemon.CheckConfig(cfg); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n%s: invalid\n", *conf, err, *conf)
			return exitFailed
		}
	}
	fmt.Fprintf(stdout, "%s: valid (%d vrrp instances, %d virtual servers)\n", *conf, len(cfg.Instances), len(cfg.VirtualServers))
	return exitOK
}

func cmdRun(args []string, stderr io.Writer) int {
	fs, conf := newFlags("run", stderr)
	format := fs.String("log-format", "console", "log format: console or json")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	log, err := newLogger(*format, *level, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "lbhad: %v\n", err)
		return exitUsage
	}
	defer func() { _ = log.Sync() }()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
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

	err = daemon.Run(ctx, daemon.Options{
		ConfigPath: *conf,
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
		fmt.Fprintf(stderr, "lbhad: %s is invalid; not starting\n", *conf)
		return exitFailed
	case errors.As(err, &rej):
		fmt.Fprintf(stderr, "lbhad: %s: %v; not starting\n", *conf, rej)
		return exitFailed
	case err != nil:
		log.Error("lbhad stopped with an error", zap.Error(err))
		return exitFailed
	}
	return exitOK
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
