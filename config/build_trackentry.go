package config

import "github.com/hashicorp/hcl/v2"

// trackScripts resolves an instance's or a sync group's track_script
// blocks against the defined vrrp_scripts: each entry takes the
// script's weight and reverse unless it sets its own (an own weight
// clears the script's reverse, as in keepalived). Duplicates and unknown
// names are errors and left out.
func (b *builder) trackScripts(raws []*rawTrackScript, scripts map[string]*Script, cfg *Config) []TrackScript {
	var out []TrackScript
	seen := map[string]hcl.Range{}
	for _, ts := range raws {
		if first, dup := seen[ts.Name]; dup {
			b.errorf(ts.DefRange, "Duplicate track_script", "Script %q is already tracked at %s.", ts.Name, first.String())
			continue
		}
		seen[ts.Name] = ts.DefRange
		s, known := scripts[ts.Name]
		if !known {
			b.errorf(ts.DefRange, "Unknown track_script", "No vrrp_script named %q is defined; track_script must name one of: %s.", ts.Name, nameList(scriptNames(cfg)))
			continue
		}
		t := TrackScript{Name: ts.Name, Weight: s.Weight, Reverse: s.Reverse}
		if n, ok := b.integer(ts.Weight, "weight", -maxScriptWeight, maxScriptWeight); ok {
			t.Weight, t.Reverse = int(n), false
		}
		if v, ok := b.boolean(ts.Reverse, "reverse"); ok {
			t.Reverse = v
		}
		out = append(out, t)
	}
	return out
}

// trackedFiles is trackScripts for track_file blocks and the top-level
// track_file definitions.
func (b *builder) trackedFiles(raws []*rawTrackFile, files map[string]*TrackFile, cfg *Config) []TrackedFile {
	var out []TrackedFile
	seen := map[string]hcl.Range{}
	for _, t := range raws {
		if first, dup := seen[t.Name]; dup {
			b.errorf(t.DefRange, "Duplicate track_file", "File %q is already tracked at %s.", t.Name, first.String())
			continue
		}
		seen[t.Name] = t.DefRange
		f, known := files[t.Name]
		if !known {
			b.errorf(t.DefRange, "Unknown track_file", "No top-level track_file named %q is defined; track_file must name one of: %s.", t.Name, nameList(trackFileNames(cfg)))
			continue
		}
		tf := TrackedFile{Name: t.Name, Weight: f.Weight, Reverse: f.Reverse}
		if n, ok := b.integer(t.Weight, "weight", -maxTrackFileWeight, maxTrackFileWeight); ok {
			tf.Weight, tf.Reverse = int(n), false
		}
		if v, ok := b.boolean(t.Reverse, "reverse"); ok {
			tf.Reverse = v
		}
		out = append(out, tf)
	}
	return out
}
