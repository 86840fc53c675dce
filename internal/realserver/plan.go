package realserver

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Mode is how the director forwards to this real server.
type Mode string

// The forwarding methods that need real-server setup (NAT needs none).
const (
	DR  Mode = "dr"
	TUN Mode = "tun"
)

// ParseMode returns the mode named s ("dr" or "tun").
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(s)); m {
	case DR, TUN:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: want dr or tun", s)
}

// Devices that hold a VIP without announcing it.
const (
	Loopback   = "lo"
	Tunnel4    = "tunl0"   // fallback device of the ipip module
	Tunnel6    = "ip6tnl0" // fallback device of the ip6_tunnel module
	allDevices = "all"
)

// Want is one VIP that should (On) or should not be held in Mode.
type Want struct {
	VIP  netip.Addr
	Mode Mode
	On   bool
}

// Device returns the non-ARPing device that holds w's VIP.
func (w Want) Device() string {
	switch {
	case w.Mode == DR:
		return Loopback
	case w.VIP.Is4():
		return Tunnel4
	default:
		return Tunnel6
	}
}

// Prefix is the VIP as a host address.
func (w Want) Prefix() netip.Prefix {
	return netip.PrefixFrom(w.VIP, w.VIP.BitLen())
}

// ErrBadVIP is returned by Check for an address that cannot be a VIP.
var ErrBadVIP = errors.New("not a usable VIP")

// Check returns ErrBadVIP (wrapped) for an unset, unspecified, loopback,
// multicast or link-local address, and an error for an unknown mode.
func (w Want) Check() error {
	a := w.VIP
	if !a.IsValid() || a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() || a.IsLinkLocalUnicast() {
		return fmt.Errorf("%v: %w", a, ErrBadVIP)
	}
	if _, err := ParseMode(string(w.Mode)); err != nil {
		return err
	}
	return nil
}

// Link is one network interface as Read found it.
type Link struct {
	Name  string
	Up    bool
	Addrs []netip.Prefix
}

// State is what the host holds: its links and the IPv4 sysctls this
// package manages, keyed like "net.ipv4.conf.all.arp_ignore" (a missing
// key: the file does not exist, e.g. an interface without IPv4).
type State struct {
	Links  []Link
	Sysctl map[string]string
}

func (s State) link(name string) (Link, bool) {
	for _, l := range s.Links {
		if l.Name == name {
			return l, true
		}
	}
	return Link{}, false
}

// SysctlKey is the dotted name of an IPv4 per-device setting.
func SysctlKey(dev, name string) string {
	return "net.ipv4.conf." + dev + "." + name
}

// Step is one change to the host; exactly one of its forms is set.
type Step struct {
	// EnsureLink makes the fallback tunnel device exist.
	EnsureLink string `json:",omitempty"`
	// SetUp brings a link up.
	SetUp string `json:",omitempty"`
	// AddAddr or DelAddr put Addr on, or take it from, Link.
	AddAddr, DelAddr bool         `json:",omitempty"`
	Link             string       `json:",omitempty"`
	Addr             netip.Prefix `json:",omitzero"`
	// Key = Value sets a sysctl.
	Key, Value string `json:",omitempty"`
}

func (s Step) String() string {
	switch {
	case s.EnsureLink != "":
		return "create device " + s.EnsureLink
	case s.SetUp != "":
		return "set " + s.SetUp + " up"
	case s.AddAddr:
		return fmt.Sprintf("add %v to %s", s.Addr, s.Link)
	case s.DelAddr:
		return fmt.Sprintf("remove %v from %s", s.Addr, s.Link)
	}
	return s.Key + " = " + s.Value
}

// The values the LVS documentation prescribes, and the kernel defaults
// restored when the last VIP leaves.
const (
	arpIgnoreOn, arpAnnounceOn   = "1", "2"
	arpIgnoreOff, arpAnnounceOff = "0", "0"
	rpFilterLoose                = "2"
)

// Plan returns the steps that take st to w, none when st already
// matches (so running "on" twice changes nothing the second time). The
// ARP sysctls are set on "all" and on every link that has them; "off"
// restores them to the kernel's defaults only when no other VIP remains
// on lo, tunl0 or ip6tnl0, so two VIPs can be switched off one by one.
// The sysctls are IPv4's: an IPv6 VIP needs none (Linux answers neighbour
// solicitations only for addresses of the receiving interface).
func Plan(w Want, st State) []Step {
	var steps []Step
	dev := w.Device()
	l, exists := st.link(dev)
	has := exists && slices.Contains(l.Addrs, w.Prefix())
	if !w.On {
		if has {
			steps = append(steps, Step{DelAddr: true, Link: dev, Addr: w.Prefix()})
		}
		if w.VIP.Is4() && !otherVIPs4(st, dev, w.Prefix()) {
			steps = append(steps, arpSteps(st, arpIgnoreOff, arpAnnounceOff)...)
		}
		return steps
	}
	if !exists && dev != Loopback {
		steps = append(steps, Step{EnsureLink: dev})
	}
	if !exists || !l.Up {
		steps = append(steps, Step{SetUp: dev})
	}
	if !has {
		steps = append(steps, Step{AddAddr: true, Link: dev, Addr: w.Prefix()})
	}
	if w.VIP.Is4() {
		steps = append(steps, arpSteps(st, arpIgnoreOn, arpAnnounceOn)...)
		if w.Mode == TUN {
			k := SysctlKey(Tunnel4, "rp_filter")
			if v, ok := st.Sysctl[k]; !ok || v != rpFilterLoose {
				steps = append(steps, Step{Key: k, Value: rpFilterLoose})
			}
		}
	}
	return steps
}

// arpSteps sets arp_ignore and arp_announce on "all" and on every link
// whose sysctl exists, but lo and the tunnels (which never send ARP).
func arpSteps(st State, ignore, announce string) []Step {
	var steps []Step
	set := func(dev string) {
		for _, kv := range [][2]string{{"arp_ignore", ignore}, {"arp_announce", announce}} {
			k := SysctlKey(dev, kv[0])
			v, ok := st.Sysctl[k]
			if (ok || dev == allDevices) && v != kv[1] {
				steps = append(steps, Step{Key: k, Value: kv[1]})
			}
		}
	}
	set(allDevices)
	for _, l := range st.Links {
		if l.Name != Loopback && l.Name != Tunnel4 && l.Name != Tunnel6 {
			set(l.Name)
		}
	}
	return steps
}

// otherVIPs4 reports whether an IPv4 VIP other than except on device
// is held on a VIP device (lo's 127.0.0.0/8 does not count).
func otherVIPs4(st State, device string, except netip.Prefix) bool {
	for _, dev := range []string{Loopback, Tunnel4} {
		l, _ := st.link(dev)
		for _, p := range l.Addrs {
			if p.Addr().Is4() && !p.Addr().IsLoopback() && (p != except || dev != device) {
				return true
			}
		}
	}
	return false
}

// VIPs returns the addresses st holds as real-server VIPs: every address
// on lo except the loopback ones, and every address on tunl0 and
// ip6tnl0, each with the mode its device implies.
func VIPs(st State) []Want {
	var out []Want
	for _, dev := range []string{Loopback, Tunnel4, Tunnel6} {
		l, _ := st.link(dev)
		for _, p := range l.Addrs {
			a := p.Addr()
			if a.IsLoopback() || a.IsLinkLocalUnicast() {
				continue
			}
			m := TUN
			if dev == Loopback {
				m = DR
			}
			out = append(out, Want{VIP: a, Mode: m, On: true})
		}
	}
	return out
}
