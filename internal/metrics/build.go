package metrics

import "runtime/debug"

// BuildInfo is what lbhad_build_info says about the running binary.
type BuildInfo struct {
	Version   string // the main module's version; "(devel)" for a plain build
	Revision  string // VCS commit, "-dirty" appended for a modified tree; "unknown" without VCS data
	GoVersion string
}

// ReadBuildInfo reads the binary's own build information.
func ReadBuildInfo() BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return BuildInfoFrom(bi)
}

// BuildInfoFrom extracts BuildInfo from what the Go toolchain stamped
// into the binary; bi may be nil (a binary built without module
// support), which gives "unknown" everywhere.
func BuildInfoFrom(bi *debug.BuildInfo) BuildInfo {
	out := BuildInfo{Version: "unknown", Revision: "unknown", GoVersion: "unknown"}
	if bi == nil {
		return out
	}
	if bi.Main.Version != "" {
		out.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		out.GoVersion = bi.GoVersion
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev != "" {
		out.Revision = rev + dirty
	}
	return out
}

// SetBuildInfo replaces the build information read at New, for a
// version stamped at link time or for tests. Call it before serving.
func (m *Metrics) SetBuildInfo(b BuildInfo) { m.build = b }
