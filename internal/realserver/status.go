package realserver

import (
	"fmt"
	"io"
	"slices"
)

// WriteStatus prints what st holds for real-server use: the VIPs on lo,
// tunl0 and ip6tnl0, then the ARP and rp_filter sysctls of "all" and of
// every link, marking those that differ from what a DR/TUN real server
// needs.
func WriteStatus(w io.Writer, st State) {
	vips := VIPs(st)
	if len(vips) == 0 {
		fmt.Fprintln(w, "VIPs: none (no address on lo besides loopback, none on tunl0/ip6tnl0)")
	} else {
		fmt.Fprintln(w, "VIPs:")
		for _, v := range vips {
			fmt.Fprintf(w, "  %-39s %-3s on %s\n", v.VIP, v.Mode, v.Device())
		}
	}
	fmt.Fprintln(w, "sysctls (IPv4; the kernel uses the larger of all and the interface):")
	devs := []string{allDevices}
	for _, l := range st.Links {
		if l.Name != Loopback {
			devs = append(devs, l.Name)
		}
	}
	for _, d := range devs {
		for _, n := range []struct{ name, want string }{{"arp_ignore", arpIgnoreOn}, {"arp_announce", arpAnnounceOn}, {"rp_filter", ""}} {
			k := SysctlKey(d, n.name)
			v, ok := st.Sysctl[k]
			if !ok {
				continue
			}
			note := ""
			if n.want != "" && v != n.want && d == allDevices {
				note = "   (a DR/TUN real server needs " + n.want + ")"
			}
			if n.name == "rp_filter" && d == Tunnel4 && v == "1" {
				note = "   (strict: TUN needs 0 or 2)"
			}
			fmt.Fprintf(w, "  %-40s %s%s\n", k, v, note)
		}
	}
}

// Missing returns the steps still needed for w in st (Plan), for a
// status that checks one VIP; none means w is fully in place.
func Missing(w Want, st State) []Step {
	return slices.Clip(Plan(w, st))
}
