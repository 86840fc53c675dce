package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Build stamps. A package build sets them with
//
//	go build -ldflags "-X main.version=1.2.3 -X main.revision=$(git rev-parse HEAD) -X main.revisionTime=2026-12-01T00:00:00Z"
//
// version wins over the module version; revision and revisionTime are
// used only where the Go build info has no VCS stamp (a build from a
// tarball, or with -buildvcs=false).
var (
	version      = ""
	revision     = ""
	revisionTime = ""
)

// buildInfo is what "lbhad version" prints, gathered once.
type buildInfo struct {
	Version, Revision, Time, GoVersion, Platform string
	Dirty                                        bool
}

func readBuildInfo() buildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return buildInfoFrom(bi, version, revision, revisionTime)
}

// buildInfoFrom merges the Go build info (nil when the binary has none)
// with the -ldflags stamps: a stamped version wins, the VCS settings win
// over stamped revision and time.
func buildInfoFrom(bi *debug.BuildInfo, version, revision, revisionTime string) buildInfo {
	b := buildInfo{Version: version, Revision: revision, Time: revisionTime,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		return b.withDefaults()
	}
	if b.Version == "" && bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Dirty = s.Value == "true"
		}
	}
	return b.withDefaults()
}

func (b buildInfo) withDefaults() buildInfo {
	if b.Version == "" {
		b.Version = "(devel)"
	}
	return b
}

// versionLine is the first line: "lbhad VERSION".
func versionLine() string { return readBuildInfo().Version }

// versionText is the whole of "lbhad version": one line a script can
// cut, then what a bug report needs.
func versionText() string { return readBuildInfo().text() }

func (b buildInfo) text() string {
	var s strings.Builder
	fmt.Fprintf(&s, "lbhad %s\n", b.Version)
	rev := b.Revision
	if rev == "" {
		rev = "unknown (built without VCS information)"
	}
	if b.Dirty {
		rev += " (modified)"
	}
	fmt.Fprintf(&s, "  revision: %s\n", rev)
	if b.Time != "" {
		fmt.Fprintf(&s, "  time:     %s\n", b.Time)
	}
	fmt.Fprintf(&s, "  go:       %s %s\n", b.GoVersion, b.Platform)
	return s.String()
}

func init() {
	register(func(c *cli) *cobra.Command {
		return &cobra.Command{
			Use:   "version",
			Short: "Print the version, VCS revision, build time and Go version",
			Long: `Print the version, VCS revision and time, whether the tree was modified,
and the Go version, from the binary's build information. The first line
is "lbhad VERSION". lbhad --version prints the same.`,
			Args: noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				_, err := fmt.Fprint(c.stdout, versionText())
				return err
			},
		}
	})
}
