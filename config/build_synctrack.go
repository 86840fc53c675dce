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
		for _, t := range b.trackScripts(r.TrackScripts, scripts, cfg) {
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
		for _, tf := range b.trackedFiles(r.TrackFiles, files, cfg) {
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
