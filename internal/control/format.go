package control

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// FormatStatus writes s for people, one aligned line per VRRP instance,
// virtual server, real server and script, in the snapshot's own time
// zone (the daemon's), so the output does not depend on where it is
// printed:
//
//	VI_1  MASTER  prio 150 (base 150)  master 192.0.2.11  VIPs 192.0.2.50/24  since 01:02:03 (master down timer expired)
func FormatStatus(w io.Writer, s Snapshot) error {
	var buf bytes.Buffer
	formatStatus(&buf, s)
	// tabwriter pads empty last cells; trim so the output diffs cleanly.
	lines := strings.SplitAfter(buf.String(), "\n")
	for i, l := range lines {
		if strings.HasSuffix(l, "\n") {
			lines[i] = strings.TrimRight(l[:len(l)-1], " ") + "\n"
		}
	}
	if _, err := io.WriteString(w, strings.Join(lines, "")); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

func formatStatus(ew *bytes.Buffer, s Snapshot) {
	fmt.Fprintf(ew, "lbhad %s  config %s  up since %s", orDash(s.RouterID), orDash(s.ConfigPath), stamp(s.StartedAt, s.Now))
	if r := s.LastReload; r != nil {
		if r.OK {
			fmt.Fprintf(ew, "  reloaded %s", stamp(r.At, s.Now))
		} else {
			why := r.Error
			if r.Component != "" {
				why = r.Component + " rejects the config: " + why
			}
			fmt.Fprintf(ew, "  reload FAILED %s: %s", stamp(r.At, s.Now), why)
		}
	}
	fmt.Fprintln(ew)
	for _, p := range s.Degraded {
		fmt.Fprintf(ew, "DEGRADED %s: %s\n", p.Component, p.Error)
	}

	fmt.Fprintln(ew, "\nVRRP instances")
	if len(s.Instances) == 0 {
		fmt.Fprintln(ew, "  (none)")
	}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	for _, in := range s.Instances {
		master := in.Master
		if master == "" {
			master = "-"
		} else if in.State != "MASTER" {
			master += fmt.Sprintf(" (prio %d)", in.MasterPriority)
		}
		vips := "-"
		if len(in.VIPs) > 0 {
			vips = strings.Join(in.VIPs, ",")
		}
		since := stamp(in.LastTransition, s.Now)
		if in.LastReason != "" {
			since += " (" + in.LastReason + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\tprio %d (base %d)\tmaster %s\tVIPs %s\tsince %s\n",
			in.Name, in.State, in.EffectivePriority, in.BasePriority, master, vips, since)
	}
	tw.Flush()
	for _, in := range s.Instances {
		c := in.Counters
		fmt.Fprintf(ew, "  %s: %s vrid %d", in.Name, in.Interface, in.VRID)
		if in.SyncGroup != "" {
			fmt.Fprintf(ew, " group %s", in.SyncGroup)
		}
		fmt.Fprintf(ew, ", adverts sent %d received %d, became master %d", c.AdvertsSent, c.AdvertsReceived, c.BecameMaster)
		if c.SendErrors > 0 {
			fmt.Fprintf(ew, ", send errors %d", c.SendErrors)
		}
		if len(c.Dropped) > 0 {
			var parts []string
			for _, r := range slices.Sorted(maps.Keys(c.Dropped)) {
				parts = append(parts, fmt.Sprintf("%s %d", r, c.Dropped[r]))
			}
			fmt.Fprintf(ew, ", dropped %s", strings.Join(parts, ", "))
		}
		var faults []string
		for _, f := range in.Faults {
			if in.Waiting == "" || !strings.HasPrefix(f, "waiting:") {
				faults = append(faults, f)
			}
		}
		if len(faults) > 0 {
			fmt.Fprintf(ew, ", FAULT: %s", strings.Join(faults, ", "))
		}
		if in.Waiting != "" {
			fmt.Fprintf(ew, ", WAITING: %s", in.Waiting)
		}
		if in.HandingOver {
			fmt.Fprint(ew, ", MAINTENANCE (handing over)")
		} else if in.Maintenance {
			fmt.Fprint(ew, ", MAINTENANCE")
		}
		fmt.Fprintln(ew)
	}
	formatMaint(ew, s)

	if len(s.SyncDaemons) > 0 {
		fmt.Fprintln(ew, "\nConnection sync")
		for _, d := range s.SyncDaemons {
			fmt.Fprintf(ew, "  %s\n", d)
		}
	}

	formatBGP(ew, s)

	fmt.Fprintln(ew, "\nVirtual servers")
	if s.IPVSError != "" {
		fmt.Fprintf(ew, "  IPVS table unreadable: %s\n", s.IPVSError)
	}
	if len(s.VirtualServers) == 0 {
		fmt.Fprintln(ew, "  (none)")
	}
	for _, vs := range s.VirtualServers {
		q := "quorum up"
		if !vs.QuorumUp {
			q = "QUORUM DOWN"
		}
		fmt.Fprintf(ew, "  %s  %s  %s %s  %s", vs.Name, vs.Service, vs.Scheduler, vs.Kind, q)
		if vs.SorryServer != "" {
			fmt.Fprintf(ew, "  sorry %s", vs.SorryServer)
		}
		if !vs.InKernel && s.IPVSError == "" {
			fmt.Fprint(ew, "  (not in kernel)")
		}
		fmt.Fprintln(ew)
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		for _, rs := range vs.RealServers {
			kw := "-"
			if rs.CurrentWeight != nil {
				kw = fmt.Sprint(*rs.CurrentWeight)
			}
			check := "no check"
			if rs.Check != "" {
				check = rs.Check
				if !rs.LastCheck.IsZero() {
					check += " " + roundLatency(rs.Latency)
				}
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\tweight %d (kernel %s)\t%s\tconns %d/%d\t%s\n",
				rs.Name, rs.Address, strings.ToUpper(string(rs.Health)), rs.Weight, kw, check,
				rs.ActiveConns, rs.InactConns, rs.LastReason)
		}
		tw.Flush()
	}

	if len(s.Checks) > 0 {
		fmt.Fprintln(ew, "\nScripts")
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		for _, c := range s.Checks {
			last := "never run"
			if !c.LastCheck.IsZero() {
				last = "last " + stamp(c.LastCheck, s.Now) + " took " + roundLatency(c.Latency)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Name, strings.ToUpper(string(c.Health)), last, c.LastReason)
		}
		tw.Flush()
	}
}

// FormatJSON writes v (a Snapshot or Dump) as indented JSON, for
// `lbhad status --json` and `lbhad dump`.
func FormatJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// stamp renders t as a clock time when it is on now's day and with the
// date otherwise, in t's own zone; "-" for the zero time.
func stamp(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	if now.IsZero() {
		now = t
	}
	n := now.In(t.Location())
	if t.Year() == n.Year() && t.YearDay() == n.YearDay() {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04:05")
}

// roundLatency keeps latencies readable: 12.345678ms becomes 12.3ms.
func roundLatency(d Duration) string {
	v := time.Duration(d)
	switch {
	case v >= time.Second:
		v = v.Round(10 * time.Millisecond)
	case v >= time.Millisecond:
		v = v.Round(100 * time.Microsecond)
	case v >= time.Microsecond:
		v = v.Round(time.Microsecond)
	}
	return v.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
