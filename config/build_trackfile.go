package config

import (
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
)

// Limits of a track_file weight, as keepalived has them: -254 lets a file
// value of 1 mean FAULT.
const (
	maxTrackFileWeight     = 254
	defaultTrackFileWeight = 1
)

func (b *builder) trackFiles(raws []*rawTrackFileDef, cfg *Config) map[string]*TrackFile {
	byName := map[string]*TrackFile{}
	for _, r := range raws {
		if first, dup := byName[r.Name]; dup {
			b.dupName(r.DefRange, "track_file", r.Name, first.Range)
			continue
		}
		tf := &TrackFile{Name: r.Name, Weight: defaultTrackFileWeight, Range: r.DefRange}
		b.require(r.File, "file")
		if v, ok := b.str(r.File, "file"); ok {
			if !filepath.IsAbs(v) || filepath.Clean(v) == "/" {
				b.errorf(r.File.Range(), "Invalid file", "file must be an absolute path to a file, such as \"/etc/lbhad/maint\"; it is %q.", v)
			}
			tf.File = filepath.Clean(v)
		}
		if n, ok := b.integer(r.Weight, "weight", -maxTrackFileWeight, maxTrackFileWeight); ok {
			tf.Weight = int(n)
		}
		if v, ok := b.boolean(r.InitFile, "init_file"); ok {
			tf.InitFile = v
		}
		tf.Reverse = b.boolDefault(r.Reverse, "reverse", false)
		byName[r.Name] = tf
		cfg.TrackFiles = append(cfg.TrackFiles, tf)
	}
	return byName
}

// instanceTrackFiles resolves each instance's track_file blocks. It runs
// after instances, matching them by their block's range so that a
// duplicate instance (already reported) is skipped.
func (b *builder) instanceTrackFiles(raws []*rawInstance, cfg *Config, files map[string]*TrackFile) {
	byRange := map[hcl.Range]*Instance{}
	for _, in := range cfg.Instances {
		byRange[in.Range] = in
	}
	for _, r := range raws {
		in := byRange[r.DefRange]
		if in == nil {
			continue
		}
		in.TrackFiles = append(in.TrackFiles, b.trackedFiles(r.TrackFiles, files, cfg)...)
	}
}

func trackFileNames(cfg *Config) []string {
	var names []string
	for _, f := range cfg.TrackFiles {
		names = append(names, f.Name)
	}
	return names
}
