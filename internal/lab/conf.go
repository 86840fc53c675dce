package lab

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Instance is one VRRP instance, rendered alike for lbhad and keepalived
// so that mixed pairs run with equal settings.
type Instance struct {
	Name      string // default "VI_1"
	Interface string // default "eth0"
	VRID      uint8  // default 51
	Priority  uint8
	AdvertInt int // seconds, default 1
	// Advert, when set, is the advertisement interval instead of
	// AdvertInt, written as decimal seconds (0.1) for both daemons.
	Advert time.Duration
	// Version is the VRRP version (2 or 3); 0 leaves the daemon's
	// default, 2.
	Version         int
	State           string // initial state, default "BACKUP"
	Nopreempt       bool
	AuthPass        string   // PASS authentication; empty means none
	VIPs            []string // default {"192.0.2.50/24"}
	TrackInterfaces []string
	Script          *Script // tracked vrrp_script, or nil
	TrackFiles      []TrackFile
	UnicastSrc      netip.Addr
	UnicastPeers    []netip.Addr
	// LBHADGlobal and LBHADInstance are raw HCL added inside lbhad's
	// global and vrrp_instance blocks (keepalived ignores them), for
	// settings only a few scenarios need, such as notifications.
	LBHADGlobal   string
	LBHADInstance string
	// KeepalivedInstance is raw keepalived.conf text added inside
	// keepalived's vrrp_instance block (lbhad ignores it), the
	// counterpart of LBHADInstance.
	KeepalivedInstance string
}

// TrackFile is a tracked file (lbhad track_file, keepalived
// vrrp_track_file) holding a number that moves the priority by
// number × Weight.
type TrackFile struct {
	Name   string
	Path   string // absolute
	Weight int
	// Reverse is keepalived's "weight W reverse": number × weight
	// counts negated.
	Reverse bool
}

// Script is a tracked vrrp_script.
type Script struct {
	Name     string // default "chk"
	Command  string
	Interval int // seconds, default 1
	Weight   int
	Fall     int // default 1
	Rise     int // default 1
}

func (in Instance) withDefaults() Instance {
	if in.Name == "" {
		in.Name = "VI_1"
	}
	if in.Interface == "" {
		in.Interface = "eth0"
	}
	if in.VRID == 0 {
		in.VRID = 51
	}
	if in.AdvertInt == 0 {
		in.AdvertInt = 1
	}
	if in.State == "" {
		in.State = "BACKUP"
	}
	if len(in.VIPs) == 0 {
		in.VIPs = []string{VIP.String() + "/24"}
	}
	if in.Script != nil {
		s := *in.Script
		if s.Name == "" {
			s.Name = "chk"
		}
		if s.Interval == 0 {
			s.Interval = 1
		}
		if s.Fall == 0 {
			s.Fall = 1
		}
		if s.Rise == 0 {
			s.Rise = 1
		}
		in.Script = &s
	}
	return in
}

// advertInt is the interval as both daemons' configs write it.
func (in Instance) advertInt() string {
	if in.Advert > 0 {
		return strconv.FormatFloat(in.Advert.Seconds(), 'f', -1, 64)
	}
	return strconv.Itoa(in.AdvertInt)
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// LBHADConf renders an lbhad HCL config with one instance.
func LBHADConf(routerID, controlSocket string, in Instance) string {
	in = in.withDefaults()
	var b strings.Builder
	// The state file (maintenance marks) sits beside the socket, so a lab
	// daemon never reads the host's /var/lib/lbhad/state.json and a
	// restarted one finds its own.
	state := strings.TrimSuffix(controlSocket, ".sock") + ".state.json"
	fmt.Fprintf(&b, "global {\n  router_id = %q\n  control_socket = %q\n  state_file = %q\n%s}\n\n", routerID, controlSocket, state, in.LBHADGlobal)
	if s := in.Script; s != nil {
		fmt.Fprintf(&b, "vrrp_script %q {\n  script = %q\n  interval = %d\n  weight = %d\n  fall = %d\n  rise = %d\n}\n\n",
			s.Name, s.Command, s.Interval, s.Weight, s.Fall, s.Rise)
	}
	for _, f := range in.TrackFiles {
		rev := ""
		if f.Reverse {
			rev = "  reverse = true\n"
		}
		fmt.Fprintf(&b, "track_file %q {\n  file = %q\n  weight = %d\n%s}\n\n", f.Name, f.Path, f.Weight, rev)
	}
	fmt.Fprintf(&b, "vrrp_instance %q {\n", in.Name)
	fmt.Fprintf(&b, "  interface = %q\n  virtual_router_id = %d\n  priority = %d\n  advert_int = %s\n  state = %q\n",
		in.Interface, in.VRID, in.Priority, in.advertInt(), in.State)
	if in.Version != 0 {
		fmt.Fprintf(&b, "  version = %d\n", in.Version)
	}
	if in.Nopreempt {
		b.WriteString("  nopreempt = true\n")
	}
	if in.AuthPass != "" {
		fmt.Fprintf(&b, "  authentication {\n    auth_type = \"PASS\"\n    auth_pass = %q\n  }\n", in.AuthPass)
	}
	fmt.Fprintf(&b, "  virtual_ipaddress = [%s]\n", quoteAll(in.VIPs))
	if len(in.TrackInterfaces) > 0 {
		fmt.Fprintf(&b, "  track_interface = [%s]\n", quoteAll(in.TrackInterfaces))
	}
	if in.Script != nil {
		fmt.Fprintf(&b, "  track_script %q {}\n", in.Script.Name)
	}
	for _, f := range in.TrackFiles {
		fmt.Fprintf(&b, "  track_file %q {}\n", f.Name)
	}
	if in.UnicastSrc.IsValid() {
		fmt.Fprintf(&b, "  unicast_src_ip = %q\n", in.UnicastSrc)
	}
	if len(in.UnicastPeers) > 0 {
		peers := make([]string, len(in.UnicastPeers))
		for i, p := range in.UnicastPeers {
			peers[i] = p.String()
		}
		fmt.Fprintf(&b, "  unicast_peer = [%s]\n", quoteAll(peers))
	}
	b.WriteString(in.LBHADInstance)
	b.WriteString("}\n")
	return b.String()
}

// KeepalivedConf renders a keepalived.conf with the same instance. Script
// security is on with script_user root, without which keepalived refuses
// any script.
func KeepalivedConf(routerID string, in Instance) string {
	in = in.withDefaults()
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n  router_id %s\n  enable_script_security\n  script_user root\n}\n\n", routerID)
	if s := in.Script; s != nil {
		fmt.Fprintf(&b, "vrrp_script %s {\n  script %q\n  interval %d\n  weight %d\n  fall %d\n  rise %d\n}\n\n",
			s.Name, s.Command, s.Interval, s.Weight, s.Fall, s.Rise)
	}
	for _, f := range in.TrackFiles {
		rev := ""
		if f.Reverse {
			rev = " reverse"
		}
		fmt.Fprintf(&b, "vrrp_track_file %s {\n  file %q\n  weight %d%s\n}\n\n", f.Name, f.Path, f.Weight, rev)
	}
	fmt.Fprintf(&b, "vrrp_instance %s {\n", in.Name)
	fmt.Fprintf(&b, "  state %s\n  interface %s\n  virtual_router_id %d\n  priority %d\n  advert_int %s\n",
		in.State, in.Interface, in.VRID, in.Priority, in.advertInt())
	if in.Version != 0 {
		fmt.Fprintf(&b, "  version %d\n", in.Version)
	}
	if in.Nopreempt {
		b.WriteString("  nopreempt\n")
	}
	if in.AuthPass != "" {
		fmt.Fprintf(&b, "  authentication {\n    auth_type PASS\n    auth_pass %s\n  }\n", in.AuthPass)
	}
	fmt.Fprintf(&b, "  virtual_ipaddress {\n    %s\n  }\n", strings.Join(in.VIPs, "\n    "))
	if len(in.TrackInterfaces) > 0 {
		fmt.Fprintf(&b, "  track_interface {\n    %s\n  }\n", strings.Join(in.TrackInterfaces, "\n    "))
	}
	if in.Script != nil {
		fmt.Fprintf(&b, "  track_script {\n    %s\n  }\n", in.Script.Name)
	}
	if len(in.TrackFiles) > 0 {
		b.WriteString("  track_file {\n")
		for _, f := range in.TrackFiles {
			fmt.Fprintf(&b, "    %s\n", f.Name)
		}
		b.WriteString("  }\n")
	}
	if in.UnicastSrc.IsValid() {
		fmt.Fprintf(&b, "  unicast_src_ip %s\n", in.UnicastSrc)
	}
	if len(in.UnicastPeers) > 0 {
		b.WriteString("  unicast_peer {\n")
		for _, p := range in.UnicastPeers {
			fmt.Fprintf(&b, "    %s\n", p)
		}
		b.WriteString("  }\n")
	}
	b.WriteString(in.KeepalivedInstance)
	b.WriteString("}\n")
	return b.String()
}
