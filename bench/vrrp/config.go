package vrrpbench

import (
	"errors"
	"time"
)

// Config sizes one run; DefaultConfig is the run of docs/PERFORMANCE.md.
type Config struct {
	// Lbhad is the lbhad binary; "" builds ./cmd/lbhad (from the
	// repository root) into a temporary directory.
	Lbhad     string
	Runs      int           // failover runs per daemon and event (SIGKILL, SIGTERM)
	ScaleRuns int           // many-instance runs per daemon
	Window    time.Duration // many-instance CPU measurement window
	// Settle is the wait between all VIPs owned and the window; 0 means
	// 7 s, past the second GARP burst (garp_master_delay 5 s) into
	// steady state. The smoke test shortens it.
	Settle  time.Duration
	Links   int    // veth links between the directors for the many-instance runs
	PerLink int    // VRRP instances (VRIDs 1..N) per link for the many-instance runs
	Only    string // run only "failover", "failover3" (VRRPv3 over IPv4 and IPv6) or "scale"; "" runs all
	// ScaleAdvert, when set, runs the many-instance runs in VRRPv3 at
	// this advert_int instead of VRRPv2 at 1 s.
	ScaleAdvert time.Duration
	// V3Advert is the advert_int of the VRRPv3 failover runs (RFC 5798,
	// no authentication); 0 skips them.
	V3Advert time.Duration
	AuthPass string // PASS authentication for the failover runs; "" none
	// Kinds are the daemons compared, run alternately in this order;
	// nil means lbhad, then keepalived. The smoke test runs lbhad alone.
	Kinds []string
}

// DefaultConfig is the run recorded in docs/PERFORMANCE.md.
func DefaultConfig() Config {
	return Config{
		Runs:      5,
		ScaleRuns: 3,
		Window:    60 * time.Second,
		Links:     4,
		PerLink:   250,
		AuthPass:  "pw12",
		V3Advert:  100 * time.Millisecond,
	}
}

// Run's errors for a machine that cannot run the benchmark.
var (
	ErrNotRoot      = errors.New("vrrpbench needs root: sudo bash bench/vrrp/run.sh")
	ErrNoKeepalived = errors.New("keepalived not installed: apt-get install -y keepalived")
	ErrLinuxOnly    = errors.New("vrrpbench needs Linux network namespaces")
)

// Result is every sample of one Run, by daemon kind ("lbhad",
// "keepalived"); a part Config.Only skipped is nil.
type Result struct {
	Failovers map[string]map[bool][]Failover // by kind, then graceful (SIGTERM) or not (SIGKILL)
	// Failovers3 are the same runs in VRRPv3 at Config.V3Advert, and
	// Failovers6 the VRRPv3 runs over IPv6 (ping6, NA).
	Failovers3 map[string]map[bool][]Failover
	Failovers6 map[string]map[bool][]Failover
	Scales     map[string][]Scale
}

// Failover is one failover of one daemon kind.
type Failover struct {
	Gap      time.Duration // client's longest ping silence
	Takeover time.Duration // old master's last (or priority-0) advert -> new master's first
	// Restore is the old master's last (or priority-0) advert -> the
	// client's first ping reply after the new master's first advert:
	// the client's outage without the random part Gap has (where the
	// kill fell in the advert cycle), so two daemons compare fairly.
	Restore   time.Duration
	AdvToGARP time.Duration // new master's first advert -> its first GARP or NA (negative: GARP first)
	GARPs     int           // GARPs (NAs over IPv6) from the new master in the first second
	Sent, Got int           // pings
}

// Scale is one many-instance run of one daemon kind: d1 master of all
// instances, d2 (same kind) backup of all.
type Scale struct {
	AllOwned               time.Duration // d1 start -> every VIP on d1
	CPU                    [2]float64    // % of one core: master, backup
	RSS, PSS               [2]float64    // MB, summed over the node's processes
	RSSAnon, RSSFile       [2]float64    // MB: RSS split into anonymous and file-backed pages
	MasterVIPs, BackupVIPs int           // at the end of the window
}
