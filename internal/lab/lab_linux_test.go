package lab

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestLabSelf checks the harness on its own, without any VRRP daemon: the
// client reaches a director, an injected advert is captured with its
// fields, an address shows up in HasAddr and the client's ARP table.
func TestLabSelf(t *testing.T) {
	l := NewT(t, Spec{})
	capt, err := l.StartCapture()
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Stop()

	if err := l.IP(l.D1.NS, "addr", "add", VIP.String()+"/24", "dev", "eth0"); err != nil {
		t.Fatal(err)
	}
	if ok, err := HasAddr(l.D1.NS, "eth0", VIP.String()+"/24"); !ok || err != nil {
		t.Fatalf("HasAddr(d1, VIP) = %v, %v; want true", ok, err)
	}
	if ok, _ := HasAddr(l.D2.NS, "eth0", VIP.String()); ok {
		t.Fatal("HasAddr(d2, VIP) = true; want false")
	}
	p, err := StartPinger(l.Client.NS, VIP, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if !p.WaitReply(start, 3*time.Second) {
		t.Fatal("no ping reply from the VIP on d1")
	}
	time.Sleep(200 * time.Millisecond)
	p.Stop()
	sent, got := p.Counts()
	t.Logf("pings sent %d, replies %d, longest gap %v", sent, got, p.LongestGap(p.Replies()[0], time.Now()).Len)
	mac, err := NeighMAC(l.Client.NS, VIP)
	if err != nil || mac.String() != l.D1.MAC.String() {
		t.Fatalf("NeighMAC(client, VIP) = %v, %v; want d1's %v", mac, err, l.D1.MAC)
	}

	in, err := l.Injector()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	sent0 := time.Now()
	a := Advert{VRID: 77, Priority: 42, Count: -1, AuthType: 1, AdvertInt: 3, VIPs: []netip.Addr{VIP}, AuthData: PassAuth("x")}
	if err := in.SendAdvert(D1IP, 200, a); err != nil {
		t.Fatal(err)
	}
	f, ok := capt.Wait(sent0, 2*time.Second, func(f Frame) bool { return f.VRRP != nil && f.VRRP.VRID == 77 })
	if !ok {
		t.Fatal("injected advert not captured on the bridge")
	}
	if f.VRRP.Priority != 42 || f.VRRP.TTL != 200 || f.VRRP.AdvertInt != 3 || f.SrcMAC.String() != l.Spare.MAC.String() {
		t.Errorf("captured %+v from %v", f.VRRP, f.SrcMAC)
	}
}

// TestCleanupStale fakes a crashed run: a namespace of the family with a
// process inside and a state file whose owner is dead. CleanupStale must
// remove both, and must leave a live lab alone.
func TestCleanupStale(t *testing.T) {
	live := NewT(t, Spec{})

	id := "dead01"
	ns := Family + "-" + id + "-d1"
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("add netns: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	cmd := exec.Command("ip", "netns", "exec", ns, "sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill() })
	start, err := procStart(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	// Owner PID 1 with a start time that cannot match: a dead owner.
	state := fmt.Sprintf("owner 1 999999999999\nproc %d %d\n", cmd.Process.Pid, start)
	if err := os.WriteFile(filepath.Join(StateDir, id+".state"), []byte(state), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := CleanupStale(Family); err != nil {
		t.Fatalf("CleanupStale: %v", err)
	}
	select {
	case <-exited:
	case <-time.After(3 * time.Second):
		t.Error("process of the stale run still running")
	}
	if _, err := os.Stat(filepath.Join("/run/netns", ns)); !os.IsNotExist(err) {
		t.Errorf("stale netns still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(StateDir, id+".state")); !os.IsNotExist(err) {
		t.Errorf("stale state file still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join("/run/netns", live.D1.NS)); err != nil {
		t.Errorf("live lab's netns removed: %v", err)
	}
}
