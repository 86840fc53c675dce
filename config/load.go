package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Parse decodes and validates one configuration file held in src; filename
// is only used in diagnostics. It reports every problem it finds, sorted by
// position, not just the first. When any diagnostic is an error the
// returned *Config is nil; warnings come back alongside a usable Config.
func Parse(src []byte, filename string) (*Config, hcl.Diagnostics) {
	return parseWith(newParser(), src, filename, Options{})
}

func newParser() *hclparse.Parser { return hclparse.NewParser() }

// LoadFile reads and parses the configuration at path like Parse. The
// returned map holds the parsed source files, keyed by file name, for
// WriteDiagnostics to print snippets; it is non-nil even when reading
// failed.
//
// When path is a directory, every *.hcl file in it (not in its
// subdirectories, and not hidden ones) is read in lexical order and the
// files together form one configuration, as keepalived's
// `include conf.d/*.conf` does; diagnostics name the file they concern.
func LoadFile(path string) (*Config, map[string]*hcl.File, hcl.Diagnostics) {
	return loadFile(path, Options{})
}

func loadFile(path string, opts Options) (*Config, map[string]*hcl.File, hcl.Diagnostics) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return loadDir(path, opts)
	}
	p := hclparse.NewParser()
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, p.Files(), hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Failed to read configuration",
			Detail:   fmt.Sprintf("The configuration file %s could not be read: %v.", path, err),
		}}
	}
	cfg, diags := parseWith(p, src, path, opts)
	return cfg, p.Files(), diags
}

// WriteDiagnostics prints diags in hcl's format, with a source snippet for
// each one whose file is in files. width wraps the text (0 = no wrapping);
// color adds terminal escapes. Secrets in the snippets are masked (see
// MaskSecrets): this output goes to terminals and the journal.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, width uint, color bool) error {
	tw := hcl.NewDiagnosticTextWriter(w, MaskSecrets(files), width, color)
	for _, d := range diags {
		// A compiler-style first line (file:line:col) lets editors and
		// grep jump to the problem; hcl's snippet follows it.
		if d.Subject != nil {
			sev := "error"
			if d.Severity == hcl.DiagWarning {
				sev = "warning"
			}
			if _, err := fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, sev, d.Summary); err != nil {
				return err
			}
		}
		if err := tw.WriteDiagnostic(d); err != nil {
			return err
		}
	}
	return nil
}

// loadDir loads the *.hcl files of dir as one configuration.
func loadDir(dir string, opts Options) (*Config, map[string]*hcl.File, hcl.Diagnostics) {
	p := hclparse.NewParser()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, p.Files(), hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Failed to read configuration",
			Detail:   fmt.Sprintf("The configuration directory %s could not be read: %v.", dir, err),
		}}
	}
	var files []*hcl.File
	var diags hcl.Diagnostics
	for _, e := range entries { // os.ReadDir sorts by name
		name := e.Name()
		if strings.HasPrefix(name, ".") || filepath.Ext(name) != ".hcl" || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, name)
		src, err := os.ReadFile(path)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Failed to read configuration",
				Detail:   fmt.Sprintf("The configuration file %s could not be read: %v.", path, err),
			})
			continue
		}
		f, fd := p.ParseHCL(src, path)
		diags = append(diags, fd...)
		if f != nil {
			files = append(files, f)
		}
	}
	if len(files) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail:   fmt.Sprintf("The configuration directory %s holds no *.hcl file.", dir),
		})
	}
	if diags.HasErrors() {
		sortDiags(diags)
		return nil, p.Files(), diags
	}
	cfg, more := build(hcl.MergeFiles(files), opts)
	diags = append(diags, more...)
	sortDiags(diags)
	if diags.HasErrors() {
		return nil, p.Files(), diags
	}
	return cfg, p.Files(), diags
}

func parseWith(p *hclparse.Parser, src []byte, filename string, opts Options) (*Config, hcl.Diagnostics) {
	f, diags := p.ParseHCL(src, filename)
	if diags.HasErrors() || f == nil {
		// A syntax error leaves the body partial; semantic checks on it
		// would only report noise such as missing attributes.
		sortDiags(diags)
		return nil, diags
	}
	cfg, more := build(f.Body, opts)
	diags = append(diags, more...)
	sortDiags(diags)
	if diags.HasErrors() {
		return nil, diags
	}
	return cfg, diags
}

// build decodes and validates a configuration body: one file's, or
// several merged.
func build(body hcl.Body, opts Options) (*Config, hcl.Diagnostics) {
	var raw rawFile
	diags := gohcl.DecodeBody(body, nil, &raw)
	b := &builder{host: opts.Host}
	cfg := b.build(&raw)
	return cfg, append(diags, b.diags...)
}

// sortDiags orders diagnostics by position so that output, and golden
// files, do not depend on map iteration inside gohcl.
func sortDiags(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Byte != b.Start.Byte:
			return a.Start.Byte < b.Start.Byte
		}
		return diags[i].Summary < diags[j].Summary
	})
}
