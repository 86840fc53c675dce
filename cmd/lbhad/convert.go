package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/kaconv"
)

func init() { register(newConvertCmd) }

// newConvertCmd turns a keepalived.conf into lbhad HCL. It exits 0 only
// when everything was carried over and the result validates, so a
// migration script can trust a zero exit.
func newConvertCmd(c *cli) *cobra.Command {
	var out, configID string
	var explain bool
	cmd := &cobra.Command{
		Use:   "convert KEEPALIVED.CONF [-o FILE|DIR/] [-i ID] [--explain]",
		Short: "Migrate a keepalived config to lbhad HCL",
		Long: `Write the lbhad config equivalent to a keepalived.conf (with its include
files). Options lbhad cannot carry are listed on standard error with their
file:line; the exit status is 0 when nothing was lost and the result
validates, 1 otherwise.`,
		Example: `  lbhad convert /etc/keepalived/keepalived.conf -o lbhad.hcl
  lbhad convert /etc/keepalived/keepalived.conf -o /etc/lbhad/conf.d/ --explain`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			return exitError(convert(c, a[0], out, configID, explain))
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the HCL to `FILE` instead of standard output; to a directory, one file per keepalived file, when it names a directory or ends in /")
	cmd.Flags().StringVarP(&configID, "config-id", "i", defaultConfigID(), "keepalived's config `ID` for @id and @^id lines (keepalived -i; default: the host name up to the first dot)")
	cmd.Flags().BoolVar(&explain, "explain", false, "print on standard error, for every keepalived statement, how it was carried or why it was lost")
	_ = cmd.MarkFlagFilename("output", "hcl")
	return cmd
}

func convert(c *cli, src, out, configID string, explain bool) int {
	res, err := kaconv.ConvertFile(src, kaconv.Options{ConfigID: configID})
	if err != nil {
		fmt.Fprintf(c.stderr, "lbhad convert: %v\n", err)
		return exitFailed
	}
	name := out
	var diags hcl.Diagnostics
	switch {
	case name == "":
		name = "converted.hcl"
		if _, err := c.stdout.Write(res.HCL); err != nil {
			return exitFailed
		}
		_, diags = config.Parse(res.HCL, name)
	case isDir(name):
		if err := writeDir(name, res.Files); err != nil {
			fmt.Fprintf(c.stderr, "lbhad convert: %v\n", err)
			return exitFailed
		}
		_, _, diags = config.LoadFile(name)
	default:
		if err := os.WriteFile(name, res.HCL, 0o644); err != nil {
			fmt.Fprintf(c.stderr, "lbhad convert: %v\n", err)
			return exitFailed
		}
		_, diags = config.Parse(res.HCL, name)
	}
	if explain {
		for _, e := range res.Explain {
			fmt.Fprintf(c.stderr, "explain: %s\n", e)
		}
	}
	for _, u := range res.Unsupported {
		fmt.Fprintf(c.stderr, "not converted: %s\n", u)
	}
	if len(diags) > 0 {
		fmt.Fprintln(c.stderr, "the converted config has problems:")
		_ = config.WriteDiagnostics(c.stderr, nil, diags, 100, false)
	}
	if len(res.Unsupported) > 0 {
		fmt.Fprintf(c.stderr, "lbhad convert: %d keepalived statement(s) not carried; the converted config does not behave like the keepalived one\n", len(res.Unsupported))
	}
	if diags.HasErrors() || len(res.Unsupported) > 0 {
		return exitFailed
	}
	return exitOK
}

// isDir reports whether -o names a directory: an existing one, or a
// name ending in a slash.
func isDir(name string) bool {
	if strings.HasSuffix(name, "/") {
		return true
	}
	fi, err := os.Stat(name)
	return err == nil && fi.IsDir()
}

// writeDir writes the converted parts into dir, creating it. It refuses
// a directory that already holds *.hcl files: lbhad -c DIR would read
// them together with the new ones.
func writeDir(dir string, files []kaconv.OutFile) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.hcl"))
	if err != nil {
		return err
	}
	if len(old) > 0 {
		return fmt.Errorf("%s already holds %s (and lbhad -c %s would read it together with the converted files): choose an empty directory", dir, filepath.Base(old[0]), dir)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.HCL, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// defaultConfigID is keepalived's default config id: the node name up
// to the first dot.
func defaultConfigID() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	id, _, _ := strings.Cut(h, ".")
	return id
}
