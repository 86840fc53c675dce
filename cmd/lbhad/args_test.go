package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// walk calls f for every command of the tree, the root included.
func walk(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		walk(sub, f)
	}
}

// path is a command's words after "lbhad".
func path(c *cobra.Command) []string {
	return strings.Fields(c.CommandPath())[1:]
}

func runIn(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// TestEveryCommandArgs holds every command of the tree, present and
// future, to the rules of a CLI that never guesses: -h and --help exit 0
// and show that command's own flags and no others; four stray words are
// refused with exit 2, never ignored.
func TestEveryCommandArgs(t *testing.T) {
	root := newRoot(&cli{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
	root.InitDefaultHelpCmd() // cobra adds these two on Execute
	root.InitDefaultCompletionCmd()
	n := 0
	walk(root, func(c *cobra.Command) {
		n++
		p := path(c)
		t.Run(strings.Join(append([]string{"lbhad"}, p...), " "), func(t *testing.T) {
			if c.Args == nil && c.Name() != "help" {
				t.Errorf("no Args rule: cobra would accept any stray word")
			}
			for _, h := range []string{"-h", "--help"} {
				code, out, errOut := runIn(append(append([]string{}, p...), h)...)
				if code != exitOK {
					t.Errorf("%s: exit %d, want 0; stderr %q", h, code, errOut)
				}
				if !strings.Contains(out, "Usage:\n  "+c.CommandPath()) {
					t.Errorf("%s: help does not show its usage line:\n%s", h, out)
				}
				if strings.Contains(out, "Global Flags") {
					t.Errorf("%s: help shows flags of other commands:\n%s", h, out)
				}
				c.LocalFlags().VisitAll(func(f *pflag.Flag) {
					if !f.Hidden && !strings.Contains(out, "--"+f.Name) {
						t.Errorf("%s: help lacks its flag --%s", h, f.Name)
					}
				})
				// A flag of another command must not show up here.
				for _, other := range []string{"--log-format", "--offline", "--drain-timeout", "--stats", "--numeric", "--output"} {
					name := strings.TrimPrefix(other, "--")
					if c.LocalFlags().Lookup(name) == nil && strings.Contains(out, other) && !strings.Contains(c.Long+c.Example, other) {
						t.Errorf("%s: help shows %s, which %q does not take", h, other, c.CommandPath())
					}
				}
			}
			if c.Name() == "help" {
				return // "lbhad help a b c d" names a command to explain
			}
			code, _, errOut := runIn(append(append([]string{}, p...), "w1", "w2", "w3", "w4")...)
			if code != exitUsage {
				t.Errorf("four stray words: exit %d, want %d; stderr %q", code, exitUsage, errOut)
			}
			if !strings.Contains(errOut, "Run '") && !strings.Contains(errOut, "Usage:") {
				t.Errorf("stray words: neither the usage nor a pointer to the help: %q", errOut)
			}
		})
	})
	if n < 19 {
		t.Errorf("walked %d commands; the tree lost some", n)
	}
}

// TestFlagsAfterPositionals: flags may follow the arguments anywhere,
// and one long spelling is accepted (pflag's --name), never -name.
func TestFlagsAfterPositionals(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.hcl")
	if err := os.WriteFile(good, []byte("global {\n  script_user = \"no-such-user-lbhad\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "none.sock")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"validate", good, "--offline"}, exitOK, ""},
		{[]string{"validate", "--offline", good}, exitOK, ""},
		{[]string{"validate", good, "-offline"}, exitUsage, "unknown shorthand flag"},
		{[]string{"maint", "director", "on", "--instance", "VI_1", "-s", sock}, exitFailed, "is it running?"},
		{[]string{"maint", "real-server", "web/a", "on", "--drain-timeout", "1m", "--socket", sock}, exitFailed, "is it running?"},
		{[]string{"maint", "director", "on", "--drain-timeout", "1m", "-s", sock}, exitUsage, "unknown flag: --drain-timeout"},
		{[]string{"maint", "real-server", "web/a", "on", "--instance", "VI_1"}, exitUsage, "unknown flag: --instance"},
		{[]string{"maint", "director", "maybe", "-s", sock}, exitUsage, "want on or off"},
		{[]string{"maint", "director"}, exitUsage, "accepts 1 arg"},
		{[]string{"maint", "toaster"}, exitUsage, "unknown command \"toaster\""},
		{[]string{"maint"}, exitUsage, "Usage:"},
		{[]string{"status", "--json", "-s", sock}, exitFailed, "is it running?"},
		{[]string{"ipvs", "list", "-t", "192.0.2.1:80", "-u", "192.0.2.1:53"}, exitUsage, "none of the others can be"},
		{[]string{"ipvs", "list", "-t", "192.0.2.1"}, exitUsage, "want ADDR:PORT"},
		{[]string{"ipvs", "list", "-f", "0"}, exitUsage, "want a number"},
		{[]string{"ipvs", "save", "--stats"}, exitUsage, "unknown flag: --stats"},
		{[]string{"ipvs", "list", "--persistent-conn", "--stats"}, exitUsage, "none of the others can be"},
		{[]string{"ipvs", "list", "-c", "-t", "192.0.2.1:80"}, exitUsage, "none of the others can be"},
		{[]string{"ipvs", "list", "--timeout", "--stats"}, exitUsage, "none of the others can be"},
		{[]string{"ipvs", "list", "--thresholds", "--rate"}, exitUsage, "none of the others can be"},
	} {
		code, _, errOut := runIn(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("lbhad %s: exit %d (want %d), stderr %q (want %q)", strings.Join(tc.args, " "), code, tc.code, errOut, tc.want)
		}
	}
}
