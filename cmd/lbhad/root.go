package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes, as keepalived's config test uses them: 0 fine, 1 the
// config (or the daemon) failed, 2 the command line was wrong.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	defaultConf = "/etc/lbhad/lbhad.hcl"
)

// cli carries what every subcommand writes to. Subcommands take it at
// construction, so a test can run the whole tree in-process.
type cli struct {
	stdout, stderr io.Writer
}

// subcommands is the command tree's registry: a file that adds a
// subcommand appends its constructor in an init function, and nothing
// else changes (see version.go for the smallest example).
var subcommands []func(*cli) *cobra.Command

// register adds a subcommand constructor to the tree.
func register(f func(*cli) *cobra.Command) { subcommands = append(subcommands, f) }

// exitError ends a command with a status; the command has already told
// the user why.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// usageError is a command line lbhad will not guess about: exit 2 with
// the reason and a pointer to the command's help.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// args wraps a cobra argument rule so that breaking it is a usage error.
func args(rule cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := rule(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// noArgs rejects every positional argument: a stray word is a mistake
// (a missing -c, a misspelt flag), never something to ignore.
var noArgs = args(cobra.NoArgs)

const rootLong = `lbhad keeps a Linux load-balancer director pair highly available:
VRRPv2 election with virtual IPs and gratuitous ARP, IPVS virtual services
kept in step with health checks, and notifications on every change.

The default config is ` + defaultConf + `. "run" reloads on SIGHUP (an invalid
file keeps the running config) and stops cleanly on SIGTERM. "validate"
exits 0 when the file is valid and 1 when it is not, printing every
problem with file:line:col. Exit status 2 means the command line was wrong.`

const rootExample = `  lbhad validate /etc/lbhad/lbhad.hcl     # or keepalived's: lbhad -t -f FILE
  lbhad run -c /etc/lbhad/lbhad.hcl
  lbhad status
  lbhad ipvs list --stats
  lbhad convert /etc/keepalived/keepalived.conf -o lbhad.hcl`

// newRoot builds the whole command tree.
func newRoot(c *cli) *cobra.Command {
	root := &cobra.Command{
		Use:     "lbhad",
		Short:   "VRRP and IPVS for a load-balancer director pair, in the spirit of keepalived",
		Long:    rootLong,
		Example: rootExample,
		Version: versionLine(),
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// A bare "lbhad" is a mistake, not a request for help.
			cmd.SetOut(c.stderr)
			_ = cmd.Usage()
			return exitError(exitUsage)
		},
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetVersionTemplate(`{{versionText}}`)
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	for _, f := range subcommands {
		root.AddCommand(f(c))
	}
	// "lbhad completion bash|zsh|fish|powershell" is cobra's; made here
	// rather than on Execute so that it follows the rules of the rest.
	root.InitDefaultCompletionCmd()
	for _, sub := range root.Commands() {
		if sub.Name() == "completion" {
			sub.Args, sub.RunE = args(cobra.ArbitraryArgs), groupRunE(c)
		}
	}
	return root
}

func init() {
	cobra.AddTemplateFunc("versionText", versionText)
	cobra.EnableCommandSorting = true
}

// run executes one command line and returns the exit status.
func run(argv []string, stdout, stderr io.Writer) int {
	c := &cli{stdout: stdout, stderr: stderr}
	root := newRoot(c)
	// keepalived's habit: "keepalived -t -f FILE" tests a config.
	if len(argv) > 0 && (argv[0] == "-t" || argv[0] == "--config-test") {
		argv = append([]string{"validate"}, argv[1:]...)
	}
	root.SetArgs(argv)
	cmd, err := root.ExecuteC()
	var ee exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return int(ee)
	}
	// Everything else cobra or a command reports is about the command
	// line: unknown commands and flags, wrong argument counts.
	fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), err)
	fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	return exitUsage
}

// groupRunE is the RunE of a command that only groups others ("ipvs",
// "maint"): without a subcommand it prints its usage and exits 2, and
// an unknown subcommand is named as such.
func groupRunE(c *cli) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, a []string) error {
		if len(a) > 0 {
			return usageErrorf("unknown command %q for %q", a[0], cmd.CommandPath())
		}
		cmd.SetOut(c.stderr)
		_ = cmd.Usage()
		return exitError(exitUsage)
	}
}

// addConfigFlag adds -c/--config and its keepalived spelling -f/--use-file
// (hidden, one entry in the help) to a command that reads the config.
func addConfigFlag(cmd *cobra.Command, conf *string) {
	fs := cmd.Flags()
	fs.StringVarP(conf, "config", "c", defaultConf, "config `FILE` (keepalived's -f/--use-file work too)")
	fs.StringVarP(conf, "use-file", "f", defaultConf, "config `FILE`, as keepalived spells it")
	_ = fs.MarkHidden("use-file")
	_ = cmd.MarkFlagFilename("config", "hcl")
	_ = cmd.MarkFlagFilename("use-file", "hcl")
}
