package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/kaconv"
)

// cmdConvert turns a keepalived.conf into lbhad HCL. It exits 0 only
// when everything was carried over and the result validates, so a
// migration script can trust a zero exit.
func cmdConvert(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lbhad convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the HCL to `file` instead of standard output")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: lbhad convert [-o FILE] keepalived.conf\n\n"+
			"Writes the equivalent lbhad config. Options lbhad cannot carry are listed\n"+
			"on standard error with their file:line; the exit status is 0 when nothing\n"+
			"was dropped and the result validates, 1 otherwise.\n")
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	src := fs.Arg(0)
	hcl, dropped, err := kaconv.Convert(src)
	if err != nil {
		fmt.Fprintf(stderr, "lbhad convert: %v\n", err)
		return exitFailed
	}
	name := *out
	if name == "" {
		name = "converted.hcl"
		if _, err := stdout.Write(hcl); err != nil {
			return exitFailed
		}
	} else if err := os.WriteFile(name, hcl, 0o644); err != nil {
		fmt.Fprintf(stderr, "lbhad convert: %v\n", err)
		return exitFailed
	}
	for _, u := range dropped {
		fmt.Fprintf(stderr, "not converted: %s\n", u)
	}
	_, diags := config.Parse(hcl, name)
	if len(diags) > 0 {
		fmt.Fprintln(stderr, "the converted config has problems:")
		_ = config.WriteDiagnostics(stderr, nil, diags, 100, false)
	}
	if diags.HasErrors() || len(dropped) > 0 {
		return exitFailed
	}
	return exitOK
}
