package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A directory is one configuration: its *.hcl files, in lexical order,
// exactly as if they were one file; hidden files, other names and
// subdirectories are not read.
func TestLoadDir(t *testing.T) {
	cfg, files, diags := LoadFile(filepath.Join("testdata", "dir", "good"))
	if diags.HasErrors() {
		t.Fatalf("diagnostics: %v", diags)
	}
	var names []string
	for name := range files {
		names = append(names, filepath.Base(name))
	}
	if len(names) != 3 {
		t.Errorf("files read: %v, want the three *.hcl", names)
	}
	one, _, d1 := LoadFile(filepath.Join("testdata", "good", "minimal.hcl"))
	if d1.HasErrors() {
		t.Fatal(d1)
	}
	if diff := cmp.Diff([]string{"VI_1"}, cfg.SyncGroups[0].Group); diff != "" {
		t.Errorf("sync group naming an instance of another file (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(fmt.Sprint(one.Instances[0].VIPs), fmt.Sprint(cfg.Instances[0].VIPs)); diff != "" {
		t.Errorf("instance differs from the one-file config (-want +got):\n%s", diff)
	}
	if len(cfg.VirtualServers) != 1 || cfg.VirtualServers[0].Address != one.VirtualServers[0].Address {
		t.Errorf("virtual servers %+v, want the one of minimal.hcl", cfg.VirtualServers)
	}
}

// Errors name the file they are in, also when they relate two files.
func TestLoadDirErrors(t *testing.T) {
	_, _, diags := LoadFile(filepath.Join("testdata", "dir", "bad"))
	if !diags.HasErrors() {
		t.Fatal("no error for a name defined in two files")
	}
	var b strings.Builder
	if err := WriteDiagnostics(&b, nil, diags, 0, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"20-dup.hcl:1:", "10-vrrp.hcl:3", "30-range.hcl:4:"} {
		if !strings.Contains(out, want) {
			t.Errorf("diagnostics do not mention %q:\n%s", want, out)
		}
	}

	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, diags := LoadFile(empty); !diags.HasErrors() || !strings.Contains(diags.Error(), "no *.hcl file") {
		t.Errorf("empty directory: %v", diags)
	}
}
