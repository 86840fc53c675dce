package kaconv

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lbhad/lbhad/config"
)

// corpusFile is one line of testdata/corpus/MANIFEST.
type corpusFile struct {
	name     string
	accepted bool // keepalived 2.2.7 -t accepts it (missing interfaces aside)
	origin   string
	licence  string
}

func readManifest(t *testing.T) []corpusFile {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "corpus", "MANIFEST"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var files []corpusFile
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, " | ")
		if len(cols) != 6 {
			t.Fatalf("MANIFEST line %q: want 6 columns", line)
		}
		files = append(files, corpusFile{name: cols[0], accepted: cols[1] == "accepted", origin: cols[2] + " " + cols[3] + " " + cols[4], licence: cols[5]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return files
}

// TestCorpus converts real keepalived.conf files from public projects.
// For each: every vrrp_instance, virtual_server, real_server and check
// is either written or named as lost (directly or with the block that
// held it); what is written validates (and with no loss, matches the
// source's counts); and the share of the files keepalived accepts that
// convert cleanly is reported.
func TestCorpus(t *testing.T) {
	files := readManifest(t)
	if len(files) < 20 {
		t.Fatalf("the corpus has %d files, want at least 20", len(files))
	}
	onDisk, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*.conf"))
	if len(onDisk) != len(files) {
		t.Errorf("%d .conf files in testdata/corpus but %d in MANIFEST: each file needs its origin and licence", len(onDisk), len(files))
	}
	var accepted, clean, cleanAccepted int
	var blocked []string
	for _, cf := range files {
		t.Run(cf.name, func(t *testing.T) {
			if cf.licence == "" || cf.origin == "" {
				t.Errorf("no origin or licence recorded")
			}
			r, c, nodes, err := convertFile(filepath.Join("testdata", "corpus", cf.name), Options{ConfigID: "lb1"})
			if err != nil {
				t.Fatal(err)
			}
			checkFates(t, c, nodes)
			if r.Written.Instances > r.Source.Instances || r.Written.VirtualServers > r.Source.VirtualServers ||
				r.Written.RealServers > r.Source.RealServers || r.Written.Checks > r.Source.Checks {
				t.Errorf("wrote more than the source holds: source %+v, written %+v", r.Source, r.Written)
			}
			cfg, diags := config.Parse(r.HCL, cf.name+".hcl")
			// What is written validates also when something was lost: every
			// problem is a named loss, not a validator error to decipher.
			if diags.HasErrors() {
				t.Errorf("the converted config does not validate: %v", diags.Errs())
			}
			if len(r.Unsupported) == 0 {
				if r.Written != r.Source {
					t.Errorf("no loss reported, but source %+v != written %+v", r.Source, r.Written)
				}
				if diags.HasErrors() {
					t.Errorf("converted cleanly but does not validate: %v", diags.Errs())
				}
			}
			ok := len(r.Unsupported) == 0 && cfg != nil
			if ok {
				clean++
			}
			if cf.accepted {
				accepted++
				if ok {
					cleanAccepted++
				} else {
					why := "does not validate"
					if len(r.Unsupported) > 0 {
						why = r.Unsupported[0].What + ": " + r.Unsupported[0].Why
					}
					blocked = append(blocked, cf.name+": "+why)
				}
			}
		})
	}
	t.Logf("corpus: %d files, %d accepted by keepalived 2.2.7; %d of those convert cleanly and validate (%d%%); %d clean in all",
		len(files), accepted, cleanAccepted, 100*cleanAccepted/max(accepted, 1), clean)
	for _, b := range blocked {
		t.Logf("  not clean: %s", b)
	}
	// The measured count when VRRPv3, the new check kinds and server
	// groups were mapped: a mapping lost again shows up here.
	const minCleanAccepted = 16
	if cleanAccepted < minCleanAccepted {
		t.Errorf("%d keepalived-accepted files convert cleanly, want at least %d", cleanAccepted, minCleanAccepted)
	}
}

// checkFates walks the keepalived statements: each instance, service,
// real server and check must be written (carried and not lost as a
// whole) or named as lost, itself or with an enclosing block.
func checkFates(t *testing.T, c *converter, nodes []*node) {
	t.Helper()
	var walk func(ns []*node, lostAbove bool)
	walk = func(ns []*node, lostAbove bool) {
		for _, n := range ns {
			_, carried := c.carried[n]
			lost := len(c.lost[n]) > 0
			counted := n.Name == "vrrp_instance" || n.Name == "virtual_server" || n.Name == "real_server" || slices.Contains(checkKinds, n.Name)
			if counted && !carried && !lost && !lostAbove {
				t.Errorf("%s: %s neither written nor reported lost", n.Pos(), n.Text())
			}
			walk(n.Children, lostAbove || (lost && !carried))
		}
	}
	walk(nodes, false)
}

// TestCorpusKeepalivedAccepts re-measures the MANIFEST's second column
// with keepalived itself: `keepalived -t -f FILE` exits non-zero on any
// configuration error, including interfaces missing on this host, which
// say nothing about the file and are ignored here.
func TestCorpusKeepalivedAccepts(t *testing.T) {
	bin, err := exec.LookPath("keepalived")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("keepalived is not installed (scripts/deps.sh installs it)")
		}
		t.Skip("keepalived is not installed")
	}
	for _, cf := range readManifest(t) {
		t.Run(cf.name, func(t *testing.T) {
			path, _ := filepath.Abs(filepath.Join("testdata", "corpus", cf.name))
			out, err := exec.Command(bin, "-t", "-f", path, "-i", "lb1").CombinedOutput()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			var errs []string
			for _, l := range strings.Split(string(out), "\n") {
				if l == "" || strings.Contains(l, "doesn't exist") || strings.Contains(l, "Non-existent interface") {
					continue
				}
				errs = append(errs, l)
			}
			accepted := err == nil || len(errs) == 0
			if accepted != cf.accepted {
				t.Errorf("keepalived -t: accepted=%v, MANIFEST says %v; output:\n%s", accepted, cf.accepted, out)
			}
		})
	}
}
