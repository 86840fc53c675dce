package ipvssync

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// ListOptions selects the columns of FormatList, like ipvsadm's --stats
// and --rate (Stats wins when both are set). Version and Size fill the
// header line; they are the kernel's (see KernelInfo) and default to
// "1.2.1" and 4096.
type ListOptions struct {
	Stats, Rate bool
	// Thresholds shows the connection thresholds, like ipvsadm
	// --thresholds (Stats and Rate win).
	Thresholds bool
	// Exact prints counters in full, like ipvsadm --exact, instead of
	// scaling them with K, M, G, T.
	Exact bool
	// PersistConns, when not nil, shows each destination's persistent
	// connections (see PersistConns), like ipvsadm --persistent-conn.
	PersistConns map[ServiceKey]map[DestKey]uint32
	// Single leaves out the version line, as ipvsadm does when it lists
	// one service (-L -t ADDR:PORT).
	Single  bool
	Version string
	Size    int
}

// FormatList writes t the way `ipvsadm -Ln` (numeric) prints it, column
// for column, including ipvsadm's trailing spaces and its truncation of
// long IPv4 names, so scripts that parse ipvsadm keep working.
func FormatList(w io.Writer, t Table, opts ListOptions) error {
	bw := bufio.NewWriter(w)
	if opts.Version == "" {
		opts.Version = "1.2.1"
	}
	if opts.Size == 0 {
		opts.Size = 4096
	}
	if !opts.Single {
		fmt.Fprintf(bw, "IP Virtual Server version %s (size=%d)\n", opts.Version, opts.Size)
	}
	switch {
	case opts.Stats:
		fmt.Fprintf(bw, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes")
	case opts.Rate:
		fmt.Fprintf(bw, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS")
	case opts.Thresholds:
		fmt.Fprintf(bw, "%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "Uthreshold", "Lthreshold", "ActiveConn", "InActConn")
	case opts.PersistConns != nil:
		fmt.Fprintf(bw, "%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "Weight", "PersistConn", "ActiveConn", "InActConn")
	default:
		fmt.Fprint(bw, "Prot LocalAddress:Port Scheduler Flags\n"+
			"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	}
	for _, k := range t.Keys() {
		e := t[k]
		name := listName(k)
		switch {
		case opts.Stats:
			fmt.Fprintf(bw, "%-33s", name)
			largenums(bw, opts.Exact, e.Stats.Conns, e.Stats.PacketsIn, e.Stats.PacketsOut, e.Stats.BytesIn, e.Stats.BytesOut)
		case opts.Rate:
			fmt.Fprintf(bw, "%-33s", name)
			largenums(bw, opts.Exact, e.Stats.CPS, e.Stats.PPSIn, e.Stats.PPSOut, e.Stats.BPSIn, e.Stats.BPSOut)
		default: // --thresholds too: ipvsadm prints the service line as in -Ln
			fmt.Fprintf(bw, "%s %s", name, e.Scheduler)
			if f := schedFlags(e.Scheduler, e.Flags); f != "" {
				fmt.Fprintf(bw, " (%s)", f)
			}
			if e.Persistent() {
				fmt.Fprintf(bw, " persistent %d", e.Timeout)
				if m := maskString(k.Family, e.Netmask); m != "" {
					fmt.Fprintf(bw, " mask %s", m)
				}
			}
			if e.Flags&FlagOnePacket != 0 {
				fmt.Fprint(bw, " ops")
			}
		}
		fmt.Fprint(bw, "\n")
		for _, d := range e.SortedDests() {
			dname := addrPort(d.Addr, d.Port)
			if k.Family != FamilyIPv6 && len(dname) > 28 {
				dname = dname[:28]
			}
			switch {
			case opts.Stats:
				fmt.Fprintf(bw, "  -> %-28s", dname)
				largenums(bw, opts.Exact, d.Stats.Conns, d.Stats.PacketsIn, d.Stats.PacketsOut, d.Stats.BytesIn, d.Stats.BytesOut)
				fmt.Fprint(bw, "\n")
			case opts.Rate:
				fmt.Fprintf(bw, "  -> %-28s %8d %8d %8d", dname, uint32(d.Stats.CPS), uint32(d.Stats.PPSIn), uint32(d.Stats.PPSOut))
				largenums(bw, opts.Exact, d.Stats.BPSIn, d.Stats.BPSOut)
				fmt.Fprint(bw, "\n")
			case opts.Thresholds:
				fmt.Fprintf(bw, "  -> %-28s %-10d %-10d %-10d %-10d\n", dname, d.Upper, d.Lower, uint32(d.ActiveConns), uint32(d.InactConns))
			case opts.PersistConns != nil:
				fmt.Fprintf(bw, "  -> %-28s %-9d %-11d %-10d %-10d\n", dname, uint32(d.Weight), opts.PersistConns[k][d.Key()], uint32(d.ActiveConns), uint32(d.InactConns))
			default:
				fmt.Fprintf(bw, "  -> %-28s %-7s %-6d %-10d %-10d\n", dname, d.Forward, d.Weight, uint32(d.ActiveConns), uint32(d.InactConns))
			}
		}
	}
	return bw.Flush()
}

// FormatSave writes t as rules `ipvsadm -R` accepts, like `ipvsadm -Sn`
// but always naming the thresholds:
//
//	-A -t 192.0.2.50:80 -s wlc -p 300
//	-a -t 192.0.2.50:80 -r 192.0.2.7:80 -g -w 2 -x 0 -y 0
func FormatSave(w io.Writer, t Table) error {
	bw := bufio.NewWriter(w)
	for _, k := range t.Keys() {
		e := t[k]
		name := ruleName(k)
		// ipvsadm 1.31's order: -p, -M, -o, then -b.
		fmt.Fprintf(bw, "-A %s -s %s", name, e.Scheduler)
		if e.Persistent() {
			fmt.Fprintf(bw, " -p %d", e.Timeout)
			if m := maskString(k.Family, e.Netmask); m != "" {
				fmt.Fprintf(bw, " -M %s", m)
			}
		}
		if e.Flags&FlagOnePacket != 0 {
			fmt.Fprint(bw, " -o")
		}
		if f := schedFlags(e.Scheduler, e.Flags); f != "" {
			fmt.Fprintf(bw, " -b %s", f)
		}
		fmt.Fprint(bw, "\n")
		for _, d := range e.SortedDests() {
			fmt.Fprintf(bw, "-a %s -r %s %s -w %d -x %d -y %d%s\n", name, addrPort(d.Addr, d.Port),
				forwardSwitch(d.Forward), d.Weight, d.Upper, d.Lower, tunnelOptions(d))
		}
	}
	return bw.Flush()
}

func addrPort(a netip.Addr, port uint16) string {
	if a.Is6() && !a.Is4In6() {
		return fmt.Sprintf("[%s]:%d", a, port)
	}
	return fmt.Sprintf("%s:%d", a.Unmap(), port)
}

func protoName(p Proto) string {
	switch p {
	case ProtoUDP:
		return "UDP"
	case ProtoSCTP:
		return "SCTP"
	}
	return "TCP"
}

func protoSwitch(p Proto) string {
	switch p {
	case ProtoUDP:
		return "-u"
	case ProtoSCTP:
		return "--sctp-service"
	}
	return "-t"
}

// listName is ipvsadm's svc_name for the list format.
func listName(k ServiceKey) string {
	if k.FWMark != 0 {
		if k.Family == FamilyIPv6 {
			return fmt.Sprintf("FWM  %d IPv6", k.FWMark)
		}
		return fmt.Sprintf("FWM  %d", k.FWMark)
	}
	// ipvsadm 1.31 pads the protocol to four: "TCP  ", "UDP  ", "SCTP ".
	s := fmt.Sprintf("%-4s %s", protoName(k.Proto), addrPort(k.Addr, k.Port))
	if k.Family != FamilyIPv6 && len(s) > 33 {
		s = s[:33]
	}
	return s
}

func ruleName(k ServiceKey) string {
	if k.FWMark != 0 {
		if k.Family == FamilyIPv6 {
			return fmt.Sprintf("-f %d -6", k.FWMark)
		}
		return fmt.Sprintf("-f %d", k.FWMark)
	}
	return protoSwitch(k.Proto) + " " + addrPort(k.Addr, k.Port)
}

// maskString returns the persistence mask as ipvsadm prints it, or "" for
// a full mask (which ipvsadm omits).
func maskString(f Family, bits int) string {
	if bits <= 0 || bits >= fullBits(f) {
		return ""
	}
	if f == FamilyIPv6 {
		return fmt.Sprint(bits)
	}
	m := ^uint32(0) << (32 - bits)
	return netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}).String()
}

// tunnelOptions are the ipvsadm options that restore a GUE or GRE
// tunnel, or a checksum flag; plain IPIP needs none (the kernel's
// default), which keeps those lines as they were.
func tunnelOptions(d Destination) string {
	if !d.tunneled() {
		return ""
	}
	opt := " --tun-type " + d.TunType.String()
	if d.TunType == TunnelGUE {
		opt += fmt.Sprintf(" --tun-port %d", d.TunPort)
	}
	switch {
	case d.TunFlags&TunFlagRemCsum != 0:
		opt += " --tun-remcsum"
	case d.TunFlags&TunFlagCsum != 0:
		opt += " --tun-csum"
	}
	return opt
}

// forwardSwitch is ipvsadm's fwd_switch: Local saves as -g, as ipvsadm
// does.
func forwardSwitch(f Forward) string {
	switch f {
	case ForwardMasq:
		return "-m"
	case ForwardTunnel:
		return "-i"
	}
	return "-g"
}

// schedFlags names the scheduler flags as ipvsadm does.
func schedFlags(sched string, flags uint32) string {
	names := [3]string{"flag-1", "flag-2", "flag-3"}
	switch sched {
	case "sh":
		names = [3]string{"sh-fallback", "sh-port", "flag-3"}
	case "mh":
		names = [3]string{"mh-fallback", "mh-port", "flag-3"}
	}
	var out []string
	for i, f := range []uint32{FlagSched1, FlagSched2, FlagSched3} {
		if flags&f != 0 {
			out = append(out, names[i])
		}
	}
	return strings.Join(out, ",")
}

// largenums prints counters like ipvsadm's print_largenum: nine
// columns, scaled with K/M/G/T once they do not fit; with exact (its
// --exact) in full, one column wider than the number when it needs more
// than eight.
func largenums(w io.Writer, exact bool, vals ...uint64) {
	for _, i := range vals {
		switch {
		case exact:
			n := len(fmt.Sprint(i))
			fmt.Fprintf(w, "%*d", max(9, n+1), i)
		case i < 100_000_000:
			fmt.Fprintf(w, "%9d", i)
		case i < 1_000_000_000:
			fmt.Fprintf(w, "%8dK", i/1000)
		case i < 100_000_000_000:
			fmt.Fprintf(w, "%8dM", i/1_000_000)
		case i < 100_000_000_000_000:
			fmt.Fprintf(w, "%8dG", i/1_000_000_000)
		default:
			fmt.Fprintf(w, "%8dT", i/1_000_000_000_000)
		}
	}
}
