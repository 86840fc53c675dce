package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/kaconv"
)

func init() { register(newConvertCmd) }

// newConvertCmd turns a keepalived.conf into lbhad HCL. It exits 0 only
// when everything was carried over and the result validates, so a
// migration script can trust a zero exit.
func newConvertCmd(c *cli) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "convert KEEPALIVED.CONF [-o FILE]",
		Short: "Migrate a keepalived config to lbhad HCL",
		Long: `Write the lbhad config equivalent to a keepalived.conf (with its include
files). Options lbhad cannot carry are listed on standard error with their
file:line; the exit status is 0 when nothing was dropped and the result
validates, 1 otherwise.`,
		Example: `  lbhad convert /etc/keepalived/keepalived.conf -o lbhad.hcl`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			return exitError(convert(c, a[0], out))
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the HCL to `FILE` instead of standard output")
	_ = cmd.MarkFlagFilename("output", "hcl")
	return cmd
}

func convert(c *cli, src, out string) int {
	hcl, dropped, err := kaconv.Convert(src)
	if err != nil {
		fmt.Fprintf(c.stderr, "lbhad convert: %v\n", err)
		return exitFailed
	}
	name := out
	if name == "" {
		name = "converted.hcl"
		if _, err := c.stdout.Write(hcl); err != nil {
			return exitFailed
		}
	} else if err := os.WriteFile(name, hcl, 0o644); err != nil {
		fmt.Fprintf(c.stderr, "lbhad convert: %v\n", err)
		return exitFailed
	}
	for _, u := range dropped {
		fmt.Fprintf(c.stderr, "not converted: %s\n", u)
	}
	_, diags := config.Parse(hcl, name)
	if len(diags) > 0 {
		fmt.Fprintln(c.stderr, "the converted config has problems:")
		_ = config.WriteDiagnostics(c.stderr, nil, diags, 100, false)
	}
	if diags.HasErrors() || len(dropped) > 0 {
		return exitFailed
	}
	return exitOK
}
