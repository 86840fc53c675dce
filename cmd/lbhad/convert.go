package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/lbhad/lbhad/config"
	"github.com/lbhad/lbhad/internal/kaconv"
)

// cmdConvert turns a keepalived.conf into lbhad HCL. It exits 0 only
// when everything was carried over and the result validates, so a
// migration script can trust a zero exit.
func cmdConvert(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lbhad convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the HCL to `file` instead of standard output; to a directory, one file per keepalived file, when it names a directory or ends in /")
	explain := fs.Bool("explain", false, "print on standard error, for every keepalived statement, how it was carried or why it was lost")
	configID := fs.String("i", defaultConfigID(), "keepalived's config `id` for @id and @^id lines (keepalived -i; default: the host name up to the first dot)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: lbhad convert [-o FILE|DIR/] [-i ID] [--explain] keepalived.conf\n\n"+
			"Writes the equivalent lbhad config. Options lbhad cannot carry are listed\n"+
			"on standard error with their file:line; the exit status is 0 when nothing\n"+
			"was lost and the result validates, 1 otherwise.\n\n")
		fs.PrintDefaults()
	}
	// Flags may also follow the file (lbhad convert keepalived.conf -o x).
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		fs.Usage()
		return exitUsage
	}
	src := files[0]
	res, err := kaconv.ConvertFile(src, kaconv.Options{ConfigID: *configID})
	if err != nil {
		fmt.Fprintf(stderr, "lbhad convert: %v\n", err)
		return exitFailed
	}
	name := *out
	var diags hcl.Diagnostics
	switch {
	case name == "":
		name = "converted.hcl"
		if _, err := stdout.Write(res.HCL); err != nil {
			return exitFailed
		}
		_, diags = config.Parse(res.HCL, name)
	case isDir(name):
		if err := writeDir(name, res.Files); err != nil {
			fmt.Fprintf(stderr, "lbhad convert: %v\n", err)
			return exitFailed
		}
		_, _, diags = config.LoadFile(name)
	default:
		if err := os.WriteFile(name, res.HCL, 0o644); err != nil {
			fmt.Fprintf(stderr, "lbhad convert: %v\n", err)
			return exitFailed
		}
		_, diags = config.Parse(res.HCL, name)
	}
	if *explain {
		for _, e := range res.Explain {
			fmt.Fprintf(stderr, "explain: %s\n", e)
		}
	}
	for _, u := range res.Unsupported {
		fmt.Fprintf(stderr, "not converted: %s\n", u)
	}
	if len(diags) > 0 {
		fmt.Fprintln(stderr, "the converted config has problems:")
		_ = config.WriteDiagnostics(stderr, nil, diags, 100, false)
	}
	if len(res.Unsupported) > 0 {
		fmt.Fprintf(stderr, "lbhad convert: %d keepalived statement(s) not carried; the converted config does not behave like the keepalived one\n", len(res.Unsupported))
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
