//go:build linux

package daemon

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lbhad/lbhad/internal/control"
	"github.com/lbhad/lbhad/vrrp"
)

// errNoSocket is the fake VRRP transport's answer: the interface has no
// usable socket yet, as when a real DialTransport fails.
var errNoSocket = errors.New("fake transport: no socket")

// waitingTransport is a VRRP transport opener that never opens: it
// records who asked and refuses, so the instance waits (and never
// becomes master or touches an address).
type waitingTransport struct {
	mu    sync.Mutex
	asked []string
}

func (w *waitingTransport) open(ifname string, _ vrrp.TransportOptions) (vrrp.Transport, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.asked = append(w.asked, ifname)
	return nil, errNoSocket
}

func (w *waitingTransport) askedFor(ifname string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Contains(w.asked, ifname)
}

// The daemon built for production, with a VRRP transport that cannot
// open: the VRRP part asks the port for the instance's interface, the
// instance waits with the port's error, and the three views built from
// the named parts say so: the VRRP part's status, STATUS= and `lbhad
// status` over the control socket.
func TestBuiltDaemonVRRPWaitsOnTransport(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "lbhad.sock")
	path := filepath.Join(dir, "lbhad.hcl")
	writeFile(t, path, fmt.Sprintf(`
global { control_socket = %q }
vrrp_instance "VI_1" {
  interface         = "lo"
  virtual_router_id = 51
  priority          = 100
  virtual_ipaddress = ["192.0.2.50/24"]
}
`, sock))
	tr := &waitingTransport{}
	sm := &countNotes{}
	parts := runBuilt(t, Options{ConfigPath: path, Ports: Ports{OpenTransport: tr.open, ServiceManager: sm}})

	const bound = 10 * time.Second
	eventually(t, "transport asked for lo", bound, func() bool { return tr.askedFor("lo") })
	eventually(t, "VI_1 waits with the transport's error", bound, func() bool {
		st := parts.VRRP.Status()
		return len(st) == 1 && strings.Contains(st[0].Waiting, errNoSocket.Error())
	})
	eventually(t, "STATUS= names VI_1 waiting", bound, func() bool {
		for _, n := range sm.take() {
			if strings.HasPrefix(n, "STATUS=degraded") && strings.Contains(n, "VI_1 (") && strings.Contains(n, errNoSocket.Error()) {
				return true
			}
		}
		return false
	})
	snap, err := control.Status(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Instances) != 1 || snap.Instances[0].Name != "VI_1" || snap.Instances[0].State == "MASTER" {
		t.Errorf("status instances = %+v, want VI_1 not master", snap.Instances)
	}
	if snap.Maintenance == nil || snap.Maintenance.StateFile == "" {
		t.Errorf("status has no maintenance part: %+v", snap.Maintenance)
	}
}
