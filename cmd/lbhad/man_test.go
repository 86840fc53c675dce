package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite docs/man from the command tree and docs/config.md")

// TestManPagesCurrent fails when the committed man pages drift from
// their sources, the command tree (--help) and docs/config.md: run
// "go generate ./cmd/lbhad" (or this test with -update) after changing
// either. groff, where installed, must render them without a warning.
func TestManPagesCurrent(t *testing.T) {
	md, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	root := newRoot(&cli{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
	for name, got := range map[string]string{
		"lbhad.8":     manCommands(root),
		"lbhad.hcl.5": manConfig(string(md)),
	} {
		path := filepath.Join("../../docs/man", name)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(string(want), got); d != "" {
			t.Errorf("%s is stale; run go generate ./cmd/lbhad (-committed +generated):\n%s", path, d)
		}
		if groff, err := exec.LookPath("groff"); err == nil {
			out, err := exec.Command(groff, "-ww", "-z", "-man", path).CombinedOutput()
			if err != nil || len(out) > 0 {
				t.Errorf("groff on %s: %v\n%s", name, err, out)
			}
		}
	}
	for _, want := range []string{".SS \"lbhad gen-man", ".SS \"lbhad help"} {
		if bytes.Contains([]byte(manCommands(root)), []byte(want)) {
			t.Errorf("lbhad.8 shows %q, which is not for users", want)
		}
	}
}

// TestCompletion: cobra writes the completion scripts from the same
// tree, so they cannot drift; each shell gets one that names lbhad's
// commands' flags.
func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, out, errOut := runIn("completion", sh)
		if code != exitOK || !bytes.Contains([]byte(out), []byte("lbhad")) {
			t.Errorf("completion %s: exit %d, stderr %q", sh, code, errOut)
		}
	}
	// The shells ask the binary itself; -c completes .hcl files.
	code, out, _ := runIn("__complete", "validate", "--format", "")
	if code != exitOK || !bytes.Contains([]byte(out), []byte("json")) {
		t.Errorf("completing --format: exit %d, %q", code, out)
	}
}
