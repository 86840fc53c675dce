//go:build ipvsguest && linux

package ipvsguest

import (
	"fmt"
	"os"
	"testing"

	"github.com/lbhad/lbhad/internal/ipvstest"
)

// TestMain loads ip_vs before any test makes an ipvs.Handle: moby/ipvs
// looks the netlink family up once per process and would fail later calls.
func TestMain(m *testing.M) {
	if err := ipvstest.EnsureModule(); err != nil {
		fmt.Fprintln(os.Stderr, "ipvsguest:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
