package control

import (
	"encoding/json"
	"fmt"
	"time"
)

// Snapshot is everything `lbhad status` shows, as plain JSON-friendly
// values. It is built on demand (never kept up to date on the hot path)
// and carries no secret: there is no field that could hold a password,
// an auth_pass or a webhook secret, so no code path can leak one.
type Snapshot struct {
	RouterID   string    `json:"router_id"`
	ConfigPath string    `json:"config_path"`
	StartedAt  time.Time `json:"started_at"`
	// Now is when the snapshot was taken, so a client far away in time
	// (or a golden test) can render ages without its own clock.
	Now        time.Time     `json:"now"`
	LastReload *ReloadStatus `json:"last_reload,omitempty"` // nil: never reloaded
	// Degraded lists the parts of the daemon that could not start or
	// take the running config, and why; empty when all of them run.
	Degraded       []Problem        `json:"degraded,omitempty"`
	Instances      []InstanceStatus `json:"instances"`
	VirtualServers []VSStatus       `json:"virtual_servers"`
	Checks         []CheckStatus    `json:"checks"` // vrrp_scripts
	// IPVSError says why the kernel's table could not be read; the
	// kernel columns (CurrentWeight, conns) are then empty.
	IPVSError string `json:"ipvs_error,omitempty"`
	// SyncDaemons are the kernel's connection sync daemons lbhad runs,
	// one line each as ipvsadm -L --daemon prints them.
	SyncDaemons []string `json:"sync_daemons,omitempty"`
	// Maintenance is what "lbhad maint" holds out of service; nil when
	// the daemon does not report it.
	Maintenance *MaintStatus `json:"maintenance,omitempty"`
	// BGP is the BGP speaker's sessions and routes; nil without a bgp
	// block.
	BGP *BGPStatus `json:"bgp,omitempty"`
	// InterfaceDrops are the adverts each VRRP socket discarded before
	// matching them to an instance (ifdrops.go).
	InterfaceDrops []InterfaceDrops `json:"interface_drops,omitempty"`
}

// BGPStatus is what the BGP speaker reports.
type BGPStatus struct {
	Sessions []BGPSession `json:"sessions"`
	Routes   []BGPRoute   `json:"routes"`
	// Error says why the sessions could not be listed.
	Error string `json:"error,omitempty"`
}

// BGPSession is one neighbor's session.
type BGPSession struct {
	Neighbor string `json:"neighbor"`
	Address  string `json:"address"`
	State    string `json:"state"` // RFC 4271 names: idle ... established
	Up       bool   `json:"up"`
}

// BGPRoute is a host route lbhad announces or holds back, with its
// last change and why.
type BGPRoute struct {
	Prefix         string    `json:"prefix"`
	Announced      bool      `json:"announced"`
	Since          time.Time `json:"since"`
	Reason         string    `json:"reason"`
	VirtualServers []string  `json:"virtual_servers"`
}

// ReloadStatus is the outcome of the last reload (SIGHUP).
type ReloadStatus struct {
	At    time.Time `json:"at"`
	OK    bool      `json:"ok"`
	Error string    `json:"error,omitempty"`
	// Component names the part that rejected the config ("vrrp",
	// "checker", ...); empty when the file itself was invalid.
	Component string `json:"component,omitempty"`
}

// Problem is a part of the daemon that does not run as configured.
type Problem struct {
	Component string `json:"component"`
	Error     string `json:"error"`
}

// InstanceStatus is one vrrp_instance.
type InstanceStatus struct {
	Name              string   `json:"name"`
	Interface         string   `json:"interface"`
	VRID              uint8    `json:"vrid"`
	SyncGroup         string   `json:"sync_group,omitempty"`
	State             string   `json:"state"` // MASTER, BACKUP, FAULT, INIT, STOP
	BasePriority      uint8    `json:"base_priority"`
	EffectivePriority uint8    `json:"effective_priority"`
	Master            string   `json:"master,omitempty"` // address of the master last heard; "" when unknown
	MasterPriority    uint8    `json:"master_priority"`
	VIPs              []string `json:"vips"`
	// Faults lists what holds the instance in FAULT: "link:eth1",
	// "script:chk_nginx", "group:g1".
	Faults []string `json:"faults,omitempty"`
	// Waiting, when not empty, says why the instance's interface cannot
	// be used yet ("interface late0 not found"): the instance is
	// configured but not in the election.
	Waiting        string    `json:"waiting,omitempty"`
	LastTransition time.Time `json:"last_transition"`
	LastReason     string    `json:"last_reason,omitempty"`
	Counters       Counters  `json:"counters"`
	// Maintenance: "lbhad maint director on" holds the instance out of
	// the election; HandingOver: it is still master, waiting for its
	// successor's first advert.
	Maintenance bool `json:"maintenance,omitempty"`
	HandingOver bool `json:"handing_over,omitempty"`
}

// Counters are an instance's packet counters since start.
type Counters struct {
	AdvertsSent          uint64 `json:"adverts_sent"`
	AdvertsReceived      uint64 `json:"adverts_received"`
	PriorityZeroSent     uint64 `json:"priority_zero_sent"`
	PriorityZeroReceived uint64 `json:"priority_zero_received"`
	SendErrors           uint64 `json:"send_errors"`
	BecameMaster         uint64 `json:"became_master"`
	// Dropped counts discarded adverts by reason ("auth", "ttl", ...,
	// the names of vrrp.DropReason); reasons never seen are absent.
	Dropped map[string]uint64 `json:"dropped,omitempty"`
}

// Health is a real server's or script's verdict.
type Health string

// Verdicts. A real server without a check is HealthUp, as keepalived
// treats it.
const (
	HealthUp      Health = "up"
	HealthDown    Health = "down"
	HealthUnknown Health = "unknown"
)

// VSStatus is one virtual_server.
type VSStatus struct {
	Name        string `json:"name"`
	Service     string `json:"service"` // "tcp 192.0.2.50:80", "fwmark 7"
	Scheduler   string `json:"scheduler"`
	Kind        string `json:"kind"` // nat, dr, tun
	QuorumUp    bool   `json:"quorum_up"`
	SorryServer string `json:"sorry_server,omitempty"`
	InKernel    bool   `json:"in_kernel"` // the service is in the IPVS table
	// Traffic is the kernel's counters of the service; nil when it is
	// not in the table or the table was not read.
	Traffic     *Traffic   `json:"traffic,omitempty"`
	RealServers []RSStatus `json:"real_servers"`
}

// Traffic is what IPVS counted for a service or real server since it
// entered the table (ipvsadm -L --stats): connections scheduled, and
// packets and bytes in (client to director) and out.
type Traffic struct {
	Conns      uint64 `json:"conns"`
	PacketsIn  uint64 `json:"packets_in"`
	PacketsOut uint64 `json:"packets_out"`
	BytesIn    uint64 `json:"bytes_in"`
	BytesOut   uint64 `json:"bytes_out"`
}

// RSStatus is one real_server: configuration, check verdict and kernel
// view side by side.
type RSStatus struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Weight  int    `json:"weight"` // configured
	// CurrentWeight is the weight in the kernel; nil when the real
	// server is not in the IPVS table (removed while down, or the table
	// could not be read).
	CurrentWeight *int      `json:"current_weight"`
	Health        Health    `json:"health"`
	Check         string    `json:"check,omitempty"` // http_get, tcp_check, ...; "" without a check
	LastCheck     time.Time `json:"last_check,omitzero"`
	Latency       Duration  `json:"latency,omitzero"`
	LastReason    string    `json:"last_reason,omitempty"`
	Failures      int       `json:"failures,omitempty"` // consecutive counted failures
	ActiveConns   int       `json:"active_conns"`
	InactConns    int       `json:"inact_conns"`
	Traffic       *Traffic  `json:"traffic,omitempty"` // nil when not in the table
}

// CheckStatus is one vrrp_script.
type CheckStatus struct {
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	Health     Health    `json:"health"`
	LastCheck  time.Time `json:"last_check,omitzero"`
	Latency    Duration  `json:"latency,omitzero"`
	LastReason string    `json:"last_reason,omitempty"`
	Failures   int       `json:"failures,omitempty"`
	Running    bool      `json:"running"`
}

// Duration is a time.Duration that reads and writes JSON as Go's
// duration text ("12.5ms"), which people can read and programs can parse.
type Duration time.Duration

// MarshalJSON writes d as a quoted duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a quoted duration string or a number of
// nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration must be a string like \"1.5s\": %w", err)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("parse duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// String is the time.Duration text.
func (d Duration) String() string { return time.Duration(d).String() }
