//go:build unix

package porttest

import (
	"errors"
	"net"
	"syscall"
	"testing"
)

// TestClosedRefusesAndStaysTaken: a connect is refused, and a listener
// asking for that port explicitly does not get it.
func TestClosedRefusesAndStaysTaken(t *testing.T) {
	ap := Closed(t)
	if !ap.Addr().IsLoopback() || ap.Port() == 0 {
		t.Fatalf("Closed returned %v", ap)
	}
	c, err := net.Dial("tcp", ap.String())
	if err == nil {
		c.Close()
		t.Fatalf("connect to %v succeeded", ap)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("connect to %v: %v, want connection refused", ap, err)
	}
	if ln, err := net.Listen("tcp", ap.String()); err == nil {
		ln.Close()
		t.Errorf("a listener took %v while it was held", ap)
	}
}
