package control

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestFormatStatusGolden(t *testing.T) {
	in := fixtureInput()
	inFault := in.VRRP[0]
	inFault.Name, inFault.VRID, inFault.State = "VI_2", 52, 3 // vrrp.StateFault
	inFault.EffectivePriority, inFault.Faults = 130, []string{"link:eth1", "script:chk_nginx"}
	inFault.LastReason, inFault.LastTransition = "fault", tCheck.AddDate(0, 0, -1)
	in.VRRP = append(in.VRRP, inFault)
	failed := in
	failed.LastReload = &ReloadStatus{At: tReload, Error: "test.hcl:3,3-20: Invalid virtual_router_id"}
	degraded := in
	degraded.LastReload = &ReloadStatus{At: tReload, Component: "vrrp", Error: "vrrp: instance VI_1: more than 255 vips"}
	degraded.Degraded = []Problem{{Component: "ipvs", Error: "IPVS is not available: no such file"}}
	// VI_1 waits for its interface; with the router down, the config's
	// instances are listed anyway, waiting, and DEGRADED says why.
	waiting := fixtureInput()
	waiting.VRRP[0].State, waiting.VRRP[0].Master, waiting.VRRP[0].MasterPriority = 0, netip.Addr{}, 0 // vrrp.StateInit
	waiting.VRRP[0].Waiting = "interface eth0 not found"
	waiting.VRRP[0].Faults = []string{"waiting:interface eth0 not found"}
	vrrpDown := fixtureInput()
	vrrpDown.VRRP = nil
	vrrpDown.Degraded = []Problem{{Component: "vrrp", Error: "open vrrp socket: operation not permitted"}}

	for _, tc := range []struct {
		name string
		snap Snapshot
	}{
		{"status", Build(in)},
		{"status-reload-failed", Build(failed)},
		{"status-degraded", Build(degraded)},
		{"status-waiting", Build(waiting)},
		{"status-vrrp-down", Build(vrrpDown)},
		{"status-empty", Build(Input{Now: tNow, StartedAt: tStart})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := FormatStatus(&b, tc.snap); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if d := cmp.Diff(string(want), b.String()); d != "" {
				t.Errorf("FormatStatus (-want +got):\n%s", d)
			}
		})
	}
}

func TestFormatJSON(t *testing.T) {
	var b bytes.Buffer
	if err := FormatJSON(&b, Build(fixtureInput())); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\"router_id\": \"lb1\"", "\"latency\": \"12.345678ms\"", "\"current_weight\": null"} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("json lacks %s:\n%s", want, b.String())
		}
	}
}
