//go:build linux

package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lbhad/lbhad/ipvssync"
)

// Fault matrix 4 (IPVS half; the host kernel has no IPVS): 50 reloads of
// an unchanged file, with the watchdog poking the IPVS loop all along,
// write nothing to the kernel once the table is right.
func TestReloadStormNoIPVSWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lbhad.hcl")
	conf := fmt.Sprintf(`
global { control_socket = %q }
virtual_server "web" {
  address = "192.0.2.50:80"
  real_server "a" {
    address = "198.51.100.7:80"
  }
  real_server "b" {
    address = "198.51.100.8:80"
    weight  = 3
  }
}
`, filepath.Join(dir, "lbhad.sock"))
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	kernel := ipvssync.NewFakeKernel()
	n := &countNotes{iv: 2 * time.Millisecond}
	reload := make(chan struct{})
	ports := fakeIPVS(kernel)
	ports.ServiceManager = n
	runBuilt(t, Options{ConfigPath: path, Ports: ports, Reload: reload})
	eventually(t, "table programmed", 10*time.Second, func() bool { return kernel.Writes() >= 3 })
	time.Sleep(50 * time.Millisecond) // let a poked sync finish
	before := kernel.Writes()
	for range 50 {
		reload <- struct{}{}
	}
	eventually(t, "50 reloads done", 10*time.Second, func() bool {
		return n.count("READY=1") == 51 // start + 50 reloads, each ending in READY=1
	})
	time.Sleep(100 * time.Millisecond) // the watchdog keeps poking meanwhile
	if got := kernel.Writes(); got != before {
		t.Errorf("IPVS writes went %d -> %d over 50 unchanged reloads", before, got)
	}
	if c := n.count("WATCHDOG=1"); c == 0 {
		t.Error("no watchdog ping while the IPVS loop was pinged")
	}
}
