//go:build ipvsguest && linux

package ipvsguest

import (
	"bytes"
	"context"
	"testing"

	ipvsbench "github.com/lbhad/lbhad/bench/ipvs"
)

// TestBenchSmoke runs the IPVS reconciliation benchmark (bench/ipvs) at a
// small size, so CI keeps it working; the full size runs by hand with
// `sudo bash bench/ipvs/run.sh`. Run itself checks after every converge,
// lbhad's and ipvsadm -R's, that the kernel holds exactly the desired
// table; here the write counts are checked.
func TestBenchSmoke(t *testing.T) {
	var log, table bytes.Buffer
	res, err := ipvsbench.Run(context.Background(), ipvsbench.Config{Services: 20, Dests: 3, Runs: 2}, &table, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.Bytes())
	}
	if want := 20 * (1 + 3); res.Entries != want || res.ConvergeWrites != want {
		t.Errorf("entries %d, converge writes %d; want %d", res.Entries, res.ConvergeWrites, want)
	}
	for i := range res.FailWrites {
		if res.FailWrites[i] != 1 || res.RecoverWrites[i] != 1 {
			t.Errorf("run %d: failure took %d writes, recovery %d; want 1 and 1", i+1, res.FailWrites[i], res.RecoverWrites[i])
		}
	}
	for i := range res.FailReads {
		if res.FailReads[i] != 1 || res.RecoverReads[i] != 1 {
			t.Errorf("run %d: failure made %d reads, recovery %d; want 1 each (the service's destination dump)", i+1, res.FailReads[i], res.RecoverReads[i])
		}
	}
	for i, n := range res.NoopWrites {
		if n != 0 || res.NoopReads[i] != 0 {
			t.Errorf("run %d: unchanged Sync wrote %d, read %d; want 0, 0", i+1, n, res.NoopReads[i])
		}
		if res.ResyncWrites[i] != 0 || res.ResyncReads[i] != 20+1 {
			t.Errorf("run %d: resync wrote %d, read %d; want 0 and 21 (the whole table)", i+1, res.ResyncWrites[i], res.ResyncReads[i])
		}
	}
	if len(res.LbhadConverge) != 2 || len(res.IpvsadmConverge) != 2 || len(res.Noop) != 2 {
		t.Errorf("samples: %d lbhad, %d ipvsadm, %d unchanged; want 2 each", len(res.LbhadConverge), len(res.IpvsadmConverge), len(res.Noop))
	}
	if res.RSSKB <= 0 {
		t.Errorf("RSS not read: %d kB", res.RSSKB)
	}
	t.Logf("\n%s", table.Bytes())
}
