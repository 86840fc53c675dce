package config

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLVSSyncDaemon(t *testing.T) {
	tests := map[string]*LVSSyncDaemon{
		"lvs_sync_daemon.hcl": {Interface: "eth1", Instance: "VI_1", SyncID: 7, MaxLen: 1400,
			Group: mustAddr("239.255.0.7"), Port: 9000, TTL: 2},
		"lvs_sync_daemon_named.hcl": {Interface: "sync0", Instance: "VI_2", SyncID: 52},
		"minimal.hcl":               nil,
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, _, diags := LoadFile(filepath.Join("testdata", "good", name))
			if len(diags) > 0 {
				t.Fatalf("unexpected diagnostics:\n%s", formatDiags(diags))
			}
			if diff := cmp.Diff(want, cfg.Global.LVSSyncDaemon, cmpOpts...); diff != "" {
				t.Errorf("lvs_sync_daemon (-want +got):\n%s", diff)
			}
		})
	}
}
