package config

import (
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// syncGroupTracking applies a vrrp_sync_group's track_interface,
// track_script and track_file to every member instance, as keepalived
// does: each member's priority moves by the weights, or it faults, as
// if the entry were its own. Where a member already tracks the same
// interface, script or file, the group's entry replaces it unless the
// member's is unweighted (keepalived keeps an unweighted member entry).
// It runs after syncGroups, matching groups by their block's range so
// that a duplicate group (already reported) is skipped.
func (b *builder) syncGroupTracking(raws []*rawSyncGroup, cfg *Config, scripts map[string]*Script, files map[string]*TrackFile) {
	byRange := map[hcl.Range]*SyncGroup{}
	for _, g := range cfg.SyncGroups {
		byRange[g.Range] = g
	}
	insts := map[string]*Instance{}
	for _, in := range cfg.Instances {
		insts[in.Name] = in
	}
	for _, r := range raws {
		g := byRange[r.DefRange]
		if g == nil {
			continue
		}
		var members []*Instance
		for _, n := range g.Group {
			if in := insts[n]; in != nil {
				members = append(members, in)
			}
		}
		if ifs, ok := b.strList(r.TrackInterface, "track_interface"); ok {
			for _, s := range ifs {
				ti, err := parseTrackInterface(s)
				if err != nil {
					b.errorf(r.TrackInterface.Range(), "Invalid track_interface", "track_interface must list interface names, each optionally followed by keepalived's \"weight W [reverse]\" (W from -253 to 253); %q %v.", s, err)
					continue
				}
				for _, in := range members {
					mergeTrackInterface(in, ti)
				}
			}
		}
		seen := map[string]hcl.Range{}
		for _, ts := range r.TrackScripts {
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
			for _, in := range members {
				i := slices.IndexFunc(in.TrackScripts, func(x TrackScript) bool { return x.Name == t.Name })
				switch {
				case i < 0:
					in.TrackScripts = append(in.TrackScripts, t)
				case in.TrackScripts[i].Weight != 0:
					in.TrackScripts[i] = t
				}
			}
		}
		seen = map[string]hcl.Range{}
		for _, tr := range r.TrackFiles {
			if first, dup := seen[tr.Name]; dup {
				b.errorf(tr.DefRange, "Duplicate track_file", "File %q is already tracked at %s.", tr.Name, first.String())
				continue
			}
			seen[tr.Name] = tr.DefRange
			f, known := files[tr.Name]
			if !known {
				b.errorf(tr.DefRange, "Unknown track_file", "No top-level track_file named %q is defined; track_file must name one of: %s.", tr.Name, nameList(trackFileNames(cfg)))
				continue
			}
			tf := TrackedFile{Name: tr.Name, Weight: f.Weight, Reverse: f.Reverse}
			if n, ok := b.integer(tr.Weight, "weight", -maxTrackFileWeight, maxTrackFileWeight); ok {
				tf.Weight, tf.Reverse = int(n), false
			}
			if v, ok := b.boolean(tr.Reverse, "reverse"); ok {
				tf.Reverse = v
			}
			for _, in := range members {
				i := slices.IndexFunc(in.TrackFiles, func(x TrackedFile) bool { return x.Name == tf.Name })
				switch {
				case i < 0:
					in.TrackFiles = append(in.TrackFiles, tf)
				case in.TrackFiles[i].Weight != 0:
					in.TrackFiles[i] = tf
				}
			}
		}
	}
}

// mergeTrackInterface adds a sync group's tracked interface to a member.
func mergeTrackInterface(in *Instance, ti TrackedInterface) {
	i := slices.IndexFunc(in.TrackInterfaceWeights, func(x TrackedInterface) bool { return x.Name == ti.Name })
	if !slices.Contains(in.TrackInterfaces, ti.Name) {
		in.TrackInterfaces = append(in.TrackInterfaces, ti.Name)
	} else if i < 0 {
		return // the member tracks it unweighted: that stays
	}
	weighted := ti.Weight != 0 || ti.Reverse
	switch {
	case i >= 0 && weighted:
		in.TrackInterfaceWeights[i] = ti
	case i >= 0:
		in.TrackInterfaceWeights = slices.Delete(in.TrackInterfaceWeights, i, i+1)
	case weighted:
		in.TrackInterfaceWeights = append(in.TrackInterfaceWeights, ti)
	}
}
