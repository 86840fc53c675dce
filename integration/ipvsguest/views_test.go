//go:build ipvsguest && linux

package ipvsguest

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lbhad/lbhad/internal/ipvstest"
	"github.com/lbhad/lbhad/ipvssync"
)

// TestIPVSViews compares every view `lbhad ipvs list|save` prints with
// ipvsadm 1.31's, byte for byte, on one table that has every kind of
// service (TCP, UDP, SCTP, fwmark, IPv6; persistence with a mask, one
// packet scheduling, scheduler flags, thresholds) and live connections.
// lbhad's CLI is a thin layer over these ipvssync functions (flags map
// to ListOptions one to one; see cmd/lbhad/ipvs.go).
func TestIPVSViews(t *testing.T) {
	ns := syncNS(t)
	h := ipvssync.FromMoby(ipvstest.Handle(t, ns))
	for _, args := range [][]string{
		{"-A", "-t", "198.51.100.10:80", "-s", "wlc", "-p", "300", "-M", "255.255.255.0"},
		{"-a", "-t", "198.51.100.10:80", "-r", "198.51.100.20:80", "-m", "-w", "2", "-x", "100", "-y", "10"},
		{"-a", "-t", "198.51.100.10:80", "-r", "198.51.100.21:80", "-m", "-w", "0"},
		{"-A", "-t", "198.51.100.11:8080", "-s", "rr"},
		{"-a", "-t", "198.51.100.11:8080", "-r", "198.51.100.22:8080", "-m", "-w", "1"},
		{"-A", "-u", "198.51.100.10:53", "-s", "sh", "-b", "sh-fallback,sh-port", "-o"},
		{"-a", "-u", "198.51.100.10:53", "-r", "198.51.100.23:53", "-m", "-w", "1"},
		{"-A", "--sctp-service", "198.51.100.10:3868", "-s", "rr"},
		{"-a", "--sctp-service", "198.51.100.10:3868", "-r", "198.51.100.24:3868", "-g", "-w", "1"},
		{"-A", "-f", "7", "-s", "rr"},
		{"-a", "-f", "7", "-r", "198.51.100.25", "-g", "-w", "1"},
		{"-A", "-t", "[2001:db8:1::10]:443", "-s", "mh", "-p", "60", "-M", "64"},
		{"-a", "-t", "[2001:db8:1::10]:443", "-r", "[2001:db8:1::20]:443", "-m", "-w", "3"},
		{"--set", "901", "121", "301"},
	} {
		if _, err := ipvstest.Ipvsadm(ns, args...); err != nil {
			t.Fatal(err)
		}
	}
	// Connections for -c, counters for --stats: a local client's packets
	// go through IPVS (LOCAL_OUT); nobody answers, the entries stay.
	err := ns.Run(func() error {
		for _, a := range []string{"198.51.100.10:80", "198.51.100.11:8080", "[2001:db8:1::10]:443"} {
			if c, err := net.DialTimeout("tcp", a, 100*time.Millisecond); err == nil {
				c.Close()
			}
		}
		c, err := net.Dial("udp", "198.51.100.10:53")
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("view"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	info := func() ipvssync.ListOptions {
		v, size, err := ipvssync.KernelInfo()
		if err != nil {
			t.Fatalf("KernelInfo: %v", err)
		}
		return ipvssync.ListOptions{Version: v, Size: size}
	}
	list := func(mod func(*ipvssync.ListOptions), one *ipvssync.ServiceKey) func(*bytes.Buffer) error {
		return func(b *bytes.Buffer) error {
			tab, err := ipvssync.Read(h)
			if err != nil {
				return err
			}
			o := info()
			if one != nil {
				tab, o.Single = ipvssync.Table{*one: tab[*one]}, true
			}
			mod(&o)
			return ipvssync.FormatList(b, tab, o)
		}
	}
	none := func(*ipvssync.ListOptions) {}
	conns := func(persistent bool) func(*bytes.Buffer) error {
		return func(b *bytes.Buffer) error {
			var err error
			ns.Run(func() error { // /proc/net would show the process's namespace
				var f *os.File
				if f, err = os.Open("/proc/thread-self/net/ip_vs_conn"); err != nil {
					return err
				}
				defer f.Close()
				err = ipvssync.FormatConns(b, f, persistent)
				return err
			})
			return err
		}
	}
	tcp80 := ipvssync.ServiceKey{Family: ipvssync.FamilyIPv4, Proto: ipvssync.ProtoTCP, Addr: netip.MustParseAddr("198.51.100.10"), Port: 80}
	sctp := ipvssync.ServiceKey{Family: ipvssync.FamilyIPv4, Proto: ipvssync.ProtoSCTP, Addr: netip.MustParseAddr("198.51.100.10"), Port: 3868}
	fw := ipvssync.ServiceKey{Family: ipvssync.FamilyIPv4, FWMark: 7}
	// ipvsadm -Sn names no thresholds; lbhad's save does, so that
	// ipvsadm -R restores them. Everything else must match.
	thresholds := regexp.MustCompile(` -x \d+ -y \d+`)
	for _, v := range []struct {
		name string
		adm  []string
		ours func(*bytes.Buffer) error
	}{
		{"list", []string{"-Ln"}, list(none, nil)},
		{"list -L -n", []string{"-L", "-n"}, list(none, nil)},
		{"stats", []string{"-Ln", "--stats"}, list(func(o *ipvssync.ListOptions) { o.Stats = true }, nil)},
		{"stats exact", []string{"-Ln", "--stats", "--exact"}, list(func(o *ipvssync.ListOptions) { o.Stats, o.Exact = true, true }, nil)},
		{"rate", []string{"-Ln", "--rate"}, list(func(o *ipvssync.ListOptions) { o.Rate = true }, nil)},
		{"rate exact", []string{"-Ln", "--rate", "--exact"}, list(func(o *ipvssync.ListOptions) { o.Rate, o.Exact = true, true }, nil)},
		{"thresholds", []string{"-Ln", "--thresholds"}, list(func(o *ipvssync.ListOptions) { o.Thresholds = true }, nil)},
		{"persistent-conn", []string{"-Ln", "--persistent-conn"}, func(b *bytes.Buffer) error {
			tab, err := ipvssync.Read(h)
			if err != nil {
				return err
			}
			o := info()
			err = ns.Run(func() error { // the genetlink socket opens in the thread's namespace
				o.PersistConns, err = ipvssync.PersistConns(tab)
				return err
			})
			if err != nil {
				return err
			}
			return ipvssync.FormatList(b, tab, o)
		}},
		{"one tcp service", []string{"-Ln", "-t", "198.51.100.10:80"}, list(none, &tcp80)},
		{"one sctp service", []string{"-Ln", "--sctp-service", "198.51.100.10:3868"}, list(none, &sctp)},
		{"one fwmark service stats", []string{"-Ln", "-f", "7", "--stats"}, list(func(o *ipvssync.ListOptions) { o.Stats = true }, &fw)},
		{"timeout", []string{"-L", "--timeout"}, func(b *bytes.Buffer) error {
			c, err := h.GetConfig()
			if err != nil {
				return err
			}
			return ipvssync.FormatTimeout(b, c)
		}},
		{"connections", []string{"-Lnc"}, conns(false)},
		{"connections persistent", []string{"-Lnc", "--persistent-conn"}, conns(true)},
		{"save", []string{"-Sn"}, func(b *bytes.Buffer) error {
			tab, err := ipvssync.Read(h)
			if err != nil {
				return err
			}
			var s bytes.Buffer
			if err := ipvssync.FormatSave(&s, tab); err != nil {
				return err
			}
			b.Write(thresholds.ReplaceAll(s.Bytes(), nil))
			return nil
		}},
	} {
		t.Run(v.name, func(t *testing.T) {
			// Expiry timers and rate estimates move while we read: take
			// ours before and after ipvsadm's; one must equal it.
			var adm []byte
			var before, after bytes.Buffer
			for attempt := 0; attempt < 3; attempt++ {
				before.Reset()
				after.Reset()
				if err := v.ours(&before); err != nil {
					t.Fatal(err)
				}
				var err error
				if adm, err = ipvstest.Ipvsadm(ns, v.adm...); err != nil {
					t.Fatal(err)
				}
				if err := v.ours(&after); err != nil {
					t.Fatal(err)
				}
				if string(adm) == before.String() || string(adm) == after.String() {
					t.Logf("ipvsadm %v:\n%s", v.adm, adm)
					return
				}
			}
			t.Errorf("ipvsadm %v differs (-ipvsadm +lbhad):\n%s", v.adm, cmp.Diff(string(adm), after.String()))
		})
	}
}
