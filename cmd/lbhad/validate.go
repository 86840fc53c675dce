package main

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/daemon"
)

// diagnostic is one problem as "validate --format json" prints it, for
// editors and CI annotations. Line and column are 1-based; 0 where the
// problem has no position in the file (a refused CA file, a script).
type diagnostic struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	EndLine  int    `json:"end_line,omitempty"`
	EndCol   int    `json:"end_column,omitempty"`
	Severity string `json:"severity"`
	Summary  string `json:"summary,omitempty"`
	Message  string `json:"message"`
}

type validateReport struct {
	File           string       `json:"file"`
	Valid          bool         `json:"valid"`
	Instances      int          `json:"vrrp_instances"`
	VirtualServers int          `json:"virtual_servers"`
	Diagnostics    []diagnostic `json:"diagnostics"`
}

func init() { register(newValidateCmd) }

func newValidateCmd(c *cli) *cobra.Command {
	var conf, format string
	var offline bool
	cmd := &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a config and exit: 0 valid, 1 invalid (also: lbhad -t)",
		Long: `Check a config file and exit 0 when it is valid, 1 when it is not, printing
every problem with file:line:col. The file is the argument, else -c,
else ` + defaultConf + `.

By default validate also checks the host the way start and reload will:
the interfaces the config names exist, the users exist, the scripts exist,
are executable and pass script security, the CA and certificate files
can be read, the state file and control socket can be created, and every
component accepts the config. --offline checks the file alone, for a
config repository, CI, or a file meant for another machine.

A reload that runs validate before SIGHUP (see lbhad.service) fails
visibly on a bad file instead of only being logged.`,
		Example: `  lbhad validate /etc/lbhad/lbhad.hcl
  lbhad validate --offline --format json examples/dr-pair.hcl
  lbhad -t -f /etc/lbhad/lbhad.hcl`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if len(a) == 1 {
				if cmd.Flags().Changed("config") || cmd.Flags().Changed("use-file") {
					return usageErrorf("give the file as the argument or with -c, not both")
				}
				conf = a[0]
			}
			if format != "text" && format != "json" {
				return usageErrorf("--format is text or json, not %q", format)
			}
			rep, files, diags := validate(conf, offline)
			if format == "json" {
				enc := json.NewEncoder(c.stdout)
				enc.SetIndent("", "  ")
				_ = enc.Encode(rep)
			} else {
				if len(diags) > 0 {
					_ = config.WriteDiagnostics(c.stderr, files, diags, 100, isTerminal(c.stderr))
				}
				if rep.Valid {
					fmt.Fprintf(c.stdout, "%s: valid (%d vrrp instances, %d virtual servers)\n", conf, rep.Instances, rep.VirtualServers)
				} else {
					fmt.Fprintf(c.stderr, "%s: invalid\n", conf)
				}
			}
			if !rep.Valid {
				return exitError(exitFailed)
			}
			return nil
		},
	}
	addConfigFlag(cmd, &conf)
	fs := cmd.Flags()
	fs.BoolVar(&offline, "offline", false, "check the file only, not this host (for CI, or a file for another machine)")
	fs.StringVar(&format, "format", "text", "output `FORMAT`: text, or json (diagnostics with file, line, column, severity)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// validate runs every check in the order start and reload run them and
// returns the report with all diagnostics, positioned where possible.
func validate(conf string, offline bool) (validateReport, map[string]*hcl.File, hcl.Diagnostics) {
	rep := validateReport{File: conf, Diagnostics: []diagnostic{}}
	var opts config.Options
	if !offline {
		opts.Host = config.OSHost{}
	}
	cfg, files, diags := config.LoadFileWith(conf, opts)
	if !diags.HasErrors() {
		rep.Instances, rep.VirtualServers = len(cfg.Instances), len(cfg.VirtualServers)
		// Scripts are checked as they will be run: a command that does
		// not split, a program that is missing, or (with
		// enable_script_security) one that others could rewrite.
		for _, err := range scriptErrs(cfg, offline) {
			diags = append(diags, unplaced(conf, "Unusable script", err))
		}
		if !offline {
			diags = append(diags, hostDiags(cfg, osProbe{})...)
		}
		// The components' own checks, as start and reload run them: what
		// the daemon would refuse, validate refuses first.
		if !offline && !diags.HasErrors() {
			if err := daemon.CheckConfig(cfg); err != nil {
				diags = append(diags, unplaced(conf, "Config refused", err))
			}
		}
	}
	rep.Valid = !diags.HasErrors()
	for _, d := range diags {
		rep.Diagnostics = append(rep.Diagnostics, toDiagnostic(conf, d))
	}
	return rep, files, diags
}

// unplaced is a diagnostic without a source range, naming the file.
func unplaced(conf, summary string, err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: conf + ": " + err.Error()}
}

func toDiagnostic(conf string, d *hcl.Diagnostic) diagnostic {
	out := diagnostic{File: conf, Severity: "error", Summary: d.Summary, Message: d.Detail}
	if d.Severity == hcl.DiagWarning {
		out.Severity = "warning"
	}
	if out.Message == "" {
		out.Message = d.Summary
	}
	if s := d.Subject; s != nil {
		out.File, out.Line, out.Column = s.Filename, s.Start.Line, s.Start.Column
		out.EndLine, out.EndCol = s.End.Line, s.End.Column
	}
	return out
}
