//go:build linux

// Command demo is the README's failover demonstration: it builds a lab of
// network namespaces with two directors and a client, shows which director
// owns the VIP, kills the master and reports how long the client's pings
// went unanswered, then shows preemption and a graceful stop. It removes
// everything it created on exit, including Ctrl-C. Run as root:
//
//	go run ./internal/lab/demo -lbhad ./lbhad [-keepalived] [-v3]
//
// -v3 runs the pair in VRRPv3 (RFC 5798) at advert_int 0.1: a crash is
// taken over in about a third of a second.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lbhad/lbhad/internal/lab"
)

func main() {
	bin := flag.String("lbhad", "./lbhad", "path of the lbhad binary")
	ka := flag.Bool("keepalived", false, "run keepalived as d2, to show interoperation")
	ref := flag.Bool("reference", false, "run keepalived as both directors: the reference numbers, no lbhad needed")
	graceful := flag.Bool("graceful", true, "also show a graceful stop (SIGTERM, priority-0 advert)")
	flag.BoolVar(&v3, "v3", false, "run VRRPv3 (RFC 5798) at advert_int 0.1: sub-second failover")
	flag.Parse()
	if err := run(*bin, *ka, *ref, *graceful); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

var t0 = time.Now()

// v3 selects VRRPv3 at advert_int 0.1 (flag -v3).
var v3 bool

// v3Advert is the -v3 advert interval; the timings quoted follow from it
// and the priorities 150 and 100.
const v3Advert = 100 * time.Millisecond

// instance is one director's instance for the chosen protocol version.
func instance(prio uint8) lab.Instance {
	if v3 {
		return lab.Instance{Priority: prio, Version: 3, Advert: v3Advert}
	}
	return lab.Instance{Priority: prio, AuthPass: "pw12"}
}

// timing explains a takeover time for the chosen protocol version.
func timing(graceful bool) string {
	switch {
	case v3 && graceful:
		return "about the skew time, (256-100)/256 × 0.1 s = 0.06 s"
	case v3:
		return "3 missed adverts + skew: 3 × 0.1 s + 0.06 s = 0.36 s"
	case graceful:
		return "about the skew time, 0.61 s"
	}
	return "3 missed adverts + skew (256-100)/256 s = 3.61 s"
}

func say(format string, args ...any) {
	fmt.Printf("[%6.2fs] %s\n", time.Since(t0).Seconds(), fmt.Sprintf(format, args...))
}

func run(bin string, useKeepalived, reference, graceful bool) (err error) {
	if os.Geteuid() != 0 {
		return errors.New("must run as root (it creates network namespaces)")
	}
	if _, err := os.Stat(bin); err != nil && !reference {
		return fmt.Errorf("lbhad binary: %w (build it with: go build -o lbhad ./cmd/lbhad)", err)
	}
	if err := lab.CleanupStale(lab.Family); err != nil {
		say("warning: cleaning up an earlier run: %v", err)
	}
	l, err := lab.New(lab.Spec{})
	if err != nil {
		return err
	}
	defer l.Close()
	defer func() {
		if err != nil {
			printLogs(l)
		}
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Println("\ninterrupted: cleaning up")
		l.Close()
		os.Exit(130)
	}()

	proto := "VRRPv2, advert_int 1 s"
	if v3 {
		proto = "VRRPv3, advert_int 0.1 s"
	}
	say("lab %s: bridge br0; d1 %s, d2 %s, client %s; VIP %s (VRID 51, %s)",
		l.ID, l.D1.IP, l.D2.IP, l.Client.IP, lab.VIP, proto)
	in1 := instance(150)
	in2 := instance(100)
	start1 := func() (*lab.Director, error) {
		if reference {
			return l.StartKeepalived(l.D1, in1)
		}
		return l.StartLBHAD(bin, l.D1, in1)
	}
	var d1 *lab.Director
	d1, err = start1()
	if err != nil {
		return err
	}
	var d2 *lab.Director
	if useKeepalived || reference {
		d2, err = l.StartKeepalived(l.D2, in2)
	} else {
		d2, err = l.StartLBHAD(bin, l.D2, in2)
	}
	if err != nil {
		return err
	}
	say("started d1: %s priority 150, d2: %s priority 100", d1.Kind, d2.Kind)

	if err := waitOwner(l, l.D1, 20*time.Second); err != nil {
		return err
	}
	say("d1 is MASTER and holds %s; d2 is BACKUP", lab.VIP)

	ping, err := lab.StartPinger(l.Client.NS, lab.VIP, 10*time.Millisecond)
	if err != nil {
		return err
	}
	defer ping.Stop()
	if !ping.WaitReply(time.Time{}, 5*time.Second) {
		return errors.New("the client gets no reply from the VIP")
	}
	if mac, err := lab.NeighMAC(l.Client.NS, lab.VIP); err == nil {
		say("client pings %s every 10 ms; its ARP entry says %s (%s)", lab.VIP, mac, nodeName(l, mac.String()))
	}
	time.Sleep(2 * time.Second)

	// Crash.
	say("killing d1 (%s) with SIGKILL: no goodbye advert, the VIP dies with the host", d1.Kind)
	crash := time.Now()
	if err := d1.Crash(); err != nil {
		return err
	}
	if err := waitOwner(l, l.D2, 15*time.Second); err != nil {
		return err
	}
	say("d2 is MASTER after %v (%s)", since(crash), timing(false))
	if err := waitARP(l, l.D2, 5*time.Second); err != nil {
		return err
	}
	say("client ARP entry for %s now says %s (d2), learnt from d2's gratuitous ARP", lab.VIP, l.D2.MAC)
	if !ping.WaitReply(time.Now(), 5*time.Second) {
		return errors.New("the client gets no reply after failover")
	}
	gap := ping.LongestGap(crash, time.Now())
	say("client saw no reply for %v, then pings flow again", gap.Len.Round(time.Millisecond))
	time.Sleep(time.Second)

	// Preemption.
	say("restarting d1: it starts as BACKUP, hears d2's lower priority and preempts")
	restart := time.Now()
	if d1, err = start1(); err != nil {
		return err
	}
	if err := waitOwner(l, l.D1, 15*time.Second); err != nil {
		return err
	}
	say("d1 is MASTER again after %v; client gap during the move %v", since(restart),
		ping.LongestGap(restart, time.Now()).Len.Round(time.Millisecond))

	if graceful {
		time.Sleep(2 * time.Second)
		say("stopping d1 gracefully (SIGTERM): it sends a priority-0 advert and drops the VIP")
		stop := time.Now()
		if err := d1.Stop(10 * time.Second); err != nil {
			return err
		}
		if err := waitOwner(l, l.D2, 10*time.Second); err != nil {
			return err
		}
		if !ping.WaitReply(time.Now(), 5*time.Second) {
			return errors.New("the client gets no reply after the graceful stop")
		}
		say("d2 is MASTER after %v (%s); client gap %v", since(stop), timing(true),
			ping.LongestGap(stop, time.Now()).Len.Round(time.Millisecond))
	}
	sent, got := ping.Counts()
	say("done: %d pings sent, %d answered; removing the lab", sent, got)
	return nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(10 * time.Millisecond) }

func nodeName(l *lab.Lab, mac string) string {
	for _, n := range l.Nodes() {
		if n.MAC.String() == mac {
			return n.Name
		}
	}
	return "unknown"
}

func waitOwner(l *lab.Lab, want *lab.Node, d time.Duration) error {
	var owners []*lab.Node
	if lab.Eventually(d, func() bool {
		owners = l.Owners(lab.VIP)
		return len(owners) == 1 && owners[0] == want
	}) {
		return nil
	}
	names := []string{}
	for _, n := range owners {
		names = append(names, n.Name)
	}
	return fmt.Errorf("VIP not on %s alone after %v (held by %v)", want.Name, d, names)
}

func waitARP(l *lab.Lab, want *lab.Node, d time.Duration) error {
	if lab.Eventually(d, func() bool {
		mac, err := lab.NeighMAC(l.Client.NS, lab.VIP)
		return err == nil && mac.String() == want.MAC.String()
	}) {
		return nil
	}
	return fmt.Errorf("client ARP entry for %s never moved to %s", lab.VIP, want.Name)
}

// printLogs shows the end of every daemon's output before the lab (and its
// directory) is removed.
func printLogs(l *lab.Lab) {
	files, _ := filepath.Glob(filepath.Join(l.Dir, "*.err"))
	outs, _ := filepath.Glob(filepath.Join(l.Dir, "*.out"))
	for _, f := range append(files, outs...) {
		b, _ := os.ReadFile(f)
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		if len(b) > 0 {
			fmt.Fprintf(os.Stderr, "--- %s ---\n%s\n", filepath.Base(f), strings.Join(lines, "\n"))
		}
	}
}
