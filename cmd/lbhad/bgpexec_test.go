package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/lbhad/lbhad/internal/bgp"
)

// A lean lbhad becomes the full binary, same arguments, when and only
// when the daemon refused the config for lack of the BGP speaker; a
// missing full binary is an error naming it.
func TestExecFullForBGP(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "lbhad-bgp")
	oldBin, oldExec := bgpBinary, execFunc
	t.Cleanup(func() { bgpBinary, execFunc = oldBin, oldExec })
	var got []string
	execFunc = func(path string, argv, _ []string) error {
		got = append([]string{path}, argv...)
		return errors.New("exec stub")
	}
	argv := []string{full, "run", "-c", "/etc/lbhad/lbhad.hcl"}
	refused := fmt.Errorf("bgp rejects the config: %w", bgp.ErrNotLinked)

	bgpBinary = full
	if err := execFullForBGP(zap.NewNop(), errors.New("vrrp rejects the config"), argv); err != nil || got != nil {
		t.Errorf("another refusal: err %v, exec %q; want neither", err, got)
	}
	if err := execFullForBGP(zap.NewNop(), refused, argv); err == nil || !strings.Contains(err.Error(), full) || got != nil {
		t.Errorf("no full binary: err %v, exec %q; want an error naming %s and no exec", err, got, full)
	}
	if err := os.WriteFile(full, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := execFullForBGP(zap.NewNop(), refused, argv)
	if want := append([]string{full}, argv...); !slices.Equal(got, want) {
		t.Errorf("exec %q, want %q", got, want)
	}
	if err == nil || !strings.Contains(err.Error(), "exec stub") {
		t.Errorf("a failed exec: err %v, want it reported", err)
	}
}
