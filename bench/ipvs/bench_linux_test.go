package ipvsbench

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/lbhad/lbhad/internal/ipvstest"
	"github.com/lbhad/lbhad/internal/netnstest"
)

// TestSmoke runs the benchmark at a tiny size on this machine's kernel.
// It needs root and IPVS. Most development kernels have no IPVS; there it
// skips, even under CI=true, because TestBenchSmoke in
// integration/ipvsguest runs the same in the qemu guest (with write
// counts checked) and CI runs that.
func TestSmoke(t *testing.T) {
	netnstest.RequireRoot(t)
	if err := ipvstest.EnsureModule(); err != nil {
		t.Skipf("no IPVS in this kernel (%v); integration/ipvsguest TestBenchSmoke runs this in the guest", err)
	}
	var out, log bytes.Buffer
	res, err := Run(context.Background(), Config{Services: 5, Dests: 2, Runs: 1}, &out, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.Bytes())
	}
	if res.Entries != 5*3 || len(res.LbhadConverge) != 1 || len(res.Noop) != 1 || res.RSSKB <= 0 {
		t.Errorf("not measured: entries %d, %d converges, %d unchanged syncs, RSS %d kB",
			res.Entries, len(res.LbhadConverge), len(res.Noop), res.RSSKB)
	}
	if !strings.Contains(out.String(), "| converge from empty: lbhad Sync |") {
		t.Errorf("no table on out:\n%s", out.String())
	}
	t.Logf("\n%s", out.Bytes())
}
