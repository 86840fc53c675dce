package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lbhad/lbhad/config"
)

// convert -o DIR/ writes one file per keepalived file, in the order lbhad
// -c DIR reads them back as the same configuration as the single file.
func TestConvertToDirectory(t *testing.T) {
	src := filepath.Join("..", "..", "internal", "kaconv", "testdata", "include.conf")
	dir := filepath.Join(t.TempDir(), "conf.d") + "/"
	var stdout, stderr bytes.Buffer
	// include.conf names an include that matches nothing and ha_suspend:
	// both are losses, so the exit status is 1; the files are written.
	if code := run([]string{"convert", "-i", "lb1", "-o", dir, src}, &stdout, &stderr); code != exitFailed {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFailed, stderr.String())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"00-include.hcl", "01-vrrp.hcl", "02-vs_api.hcl", "03-vs_web.hcl"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if strings.Contains(stderr.String(), "has problems") {
		t.Errorf("the directory does not validate:\n%s", stderr.String())
	}
	fromDir, _, diags := config.LoadFile(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var one bytes.Buffer
	if code := run([]string{"convert", "-i", "lb1", src}, &one, &stderr); code != exitFailed {
		t.Fatalf("single-file exit %d", code)
	}
	fromFile, diags := config.Parse(one.Bytes(), "one.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(fromDir.Instances) != len(fromFile.Instances) || len(fromDir.VirtualServers) != len(fromFile.VirtualServers) || fromDir.Global.RouterID != fromFile.Global.RouterID {
		t.Errorf("directory and single file differ: %d/%d instances, %d/%d services, router_id %q/%q",
			len(fromDir.Instances), len(fromFile.Instances), len(fromDir.VirtualServers), len(fromFile.VirtualServers), fromDir.Global.RouterID, fromFile.Global.RouterID)
	}

	// A second run into the same directory is refused: lbhad would read
	// the old files together with the new ones.
	stderr.Reset()
	if code := run([]string{"convert", "-o", dir, src}, &stdout, &stderr); code != exitFailed || !strings.Contains(stderr.String(), "already holds") {
		t.Errorf("rewriting a directory: exit %d, stderr %q", code, stderr.String())
	}
}
