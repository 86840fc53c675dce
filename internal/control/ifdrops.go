package control

import (
	"slices"
	"strings"

	"github.com/lbhad/lbhad/vrrp"
)

// InterfaceDrops are the adverts an interface's VRRP socket discarded
// before they could be matched to an instance (hop limit/TTL, too short,
// version, type, length, checksum, unknown VRID), by reason. They belong
// to no instance, so InstanceStatus.Counters cannot hold them.
type InterfaceDrops struct {
	Interface string            `json:"interface"`
	Family    string            `json:"family"` // "ipv4" or "ipv6"
	Dropped   map[string]uint64 `json:"dropped,omitempty"`
}

// InterfaceDropsFrom turns vrrp.Router.InterfaceCounters (keyed by
// interface, "NAME/ipv6" for the IPv6 socket) into InterfaceDrops sorted
// by interface and family, keeping only the reasons counted.
func InterfaceDropsFrom(c map[string]vrrp.Counters) []InterfaceDrops {
	var out []InterfaceDrops
	for key, cs := range c {
		d := InterfaceDrops{Interface: key, Family: "ipv4"}
		if name, ok := strings.CutSuffix(key, "/ipv6"); ok {
			d.Interface, d.Family = name, "ipv6"
		}
		for r, n := range cs.Dropped {
			if n == 0 {
				continue
			}
			if d.Dropped == nil {
				d.Dropped = map[string]uint64{}
			}
			d.Dropped[vrrp.DropReason(r).String()] = n
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b InterfaceDrops) int {
		if c := strings.Compare(a.Interface, b.Interface); c != 0 {
			return c
		}
		return strings.Compare(a.Family, b.Family)
	})
	return out
}
