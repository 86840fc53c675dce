package ipvstest

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Service is a virtual service as both readers can see it.
type Service struct {
	Proto      string // "TCP", "UDP", "SCTP" or "FWM"
	Addr       string // "192.0.2.10:80", "[2001:db8::1]:443", or the mark for FWM
	Sched      string
	Persistent uint32 // persistence timeout in seconds; 0 = not persistent
	Dests      []Dest // sorted by Addr
}

// Dest is a real server of a Service.
type Dest struct {
	Addr    string // "198.51.100.11:8080"
	Forward string // "Masq", "Route", "Tunnel" or "Local"
	Weight  int
	Upper   uint32 // connection thresholds; 0 = none
	Lower   uint32
}

// Sort puts services and destinations in a canonical order.
func Sort(svcs []Service) {
	for i := range svcs {
		sort.Slice(svcs[i].Dests, func(a, b int) bool { return svcs[i].Dests[a].Addr < svcs[i].Dests[b].Addr })
	}
	sort.Slice(svcs, func(a, b int) bool {
		if svcs[a].Proto != svcs[b].Proto {
			return svcs[a].Proto < svcs[b].Proto
		}
		return svcs[a].Addr < svcs[b].Addr
	})
}

// Parse reads the output of `ipvsadm -Ln` (list) and, when thresholds is
// non-nil, of `ipvsadm -Ln --thresholds` for the same table, and returns
// the services sorted with [Sort]. It returns an error for a line it does
// not understand or when the two listings disagree on the entries.
func Parse(list, thresholds []byte) ([]Service, error) {
	svcs, err := parseListing(list, false)
	if err != nil {
		return nil, err
	}
	if thresholds != nil {
		th, err := parseListing(thresholds, true)
		if err != nil {
			return nil, err
		}
		if len(th) != len(svcs) {
			return nil, fmt.Errorf("parse ipvsadm: %d services in the listing, %d with thresholds", len(svcs), len(th))
		}
		for i := range svcs {
			if th[i].Addr != svcs[i].Addr || len(th[i].Dests) != len(svcs[i].Dests) {
				return nil, fmt.Errorf("parse ipvsadm: service %d differs between listings", i)
			}
			for j := range svcs[i].Dests {
				svcs[i].Dests[j].Upper = th[i].Dests[j].Upper
				svcs[i].Dests[j].Lower = th[i].Dests[j].Lower
			}
		}
	}
	Sort(svcs)
	return svcs, nil
}

func parseListing(out []byte, thresholds bool) ([]Service, error) {
	var svcs []Service
	sc := bufio.NewScanner(bytes.NewReader(out))
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		f := strings.Fields(line)
		switch {
		case len(f) == 0,
			strings.HasPrefix(line, "IP Virtual Server"),
			strings.HasPrefix(line, "Prot "),
			strings.HasPrefix(strings.TrimSpace(line), "-> RemoteAddress"):
			continue
		case f[0] == "->":
			if len(svcs) == 0 {
				return nil, fmt.Errorf("parse ipvsadm line %d: destination before any service", n)
			}
			d, err := parseDest(f, thresholds)
			if err != nil {
				return nil, fmt.Errorf("parse ipvsadm line %d %q: %w", n, line, err)
			}
			s := &svcs[len(svcs)-1]
			s.Dests = append(s.Dests, d)
		default:
			s, err := parseService(f)
			if err != nil {
				return nil, fmt.Errorf("parse ipvsadm line %d %q: %w", n, line, err)
			}
			svcs = append(svcs, s)
		}
	}
	return svcs, sc.Err()
}

// parseService reads "TCP  192.0.2.10:80 mh (mh-fallback) persistent 60 mask 255.255.255.0 ops".
func parseService(f []string) (Service, error) {
	if len(f) < 3 {
		return Service{}, fmt.Errorf("short service line")
	}
	switch f[0] {
	case "TCP", "UDP", "SCTP", "FWM":
	default:
		return Service{}, fmt.Errorf("unknown protocol %q", f[0])
	}
	s := Service{Proto: f[0], Addr: f[1], Sched: f[2]}
	for i := 3; i < len(f); i++ {
		switch {
		case strings.HasPrefix(f[i], "("), f[i] == "ops":
		case f[i] == "persistent" && i+1 < len(f):
			v, err := strconv.ParseUint(f[i+1], 10, 32)
			if err != nil {
				return Service{}, fmt.Errorf("persistent: %w", err)
			}
			s.Persistent = uint32(v)
			i++
		case (f[i] == "mask" || f[i] == "pe") && i+1 < len(f):
			i++
		default:
			return Service{}, fmt.Errorf("unknown service field %q", f[i])
		}
	}
	return s, nil
}

// parseDest reads "-> 198.51.100.11:8080 Masq 1 0 0" or, with thresholds,
// "-> 198.51.100.11:8080 100 10 0 0".
func parseDest(f []string, thresholds bool) (Dest, error) {
	if thresholds {
		if len(f) != 6 {
			return Dest{}, fmt.Errorf("want 6 fields with thresholds, have %d", len(f))
		}
		u, err1 := strconv.ParseUint(f[2], 10, 32)
		l, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			return Dest{}, fmt.Errorf("bad thresholds %q %q", f[2], f[3])
		}
		return Dest{Addr: f[1], Upper: uint32(u), Lower: uint32(l)}, nil
	}
	if len(f) != 6 {
		return Dest{}, fmt.Errorf("want 6 fields, have %d", len(f))
	}
	switch f[2] {
	case "Masq", "Route", "Tunnel", "Local":
	default:
		return Dest{}, fmt.Errorf("unknown forwarding method %q", f[2])
	}
	w, err := strconv.Atoi(f[3])
	if err != nil {
		return Dest{}, fmt.Errorf("weight: %w", err)
	}
	return Dest{Addr: f[1], Forward: f[2], Weight: w}, nil
}
