package config

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Config is a validated lbhad configuration. Every field holds its final
// value: defaults are applied and names are resolved, so consumers never
// re-check what Load already checked.
type Config struct {
	Global         Global
	Scripts        []*Script    // vrrp_script blocks, in file order
	TrackFiles     []*TrackFile // track_file blocks, in file order
	Instances      []*Instance
	SyncGroups     []*SyncGroup
	VirtualServers []*VirtualServer
	// VirtualServerGroups are keepalived's virtual_server_group blocks;
	// the virtual servers that name one carry its members too.
	VirtualServerGroups []*VirtualServerGroup
	// BGP is the bgp block; nil when there is none.
	BGP *BGP
}

// Global holds the settings of the global block.
type Global struct {
	RouterID             string // defaults to the host name
	ScriptUser           string // user scripts run as; "" means the daemon's user
	EnableScriptSecurity bool
	// MaxScriptProcesses bounds how many scripts (vrrp_script,
	// misc_check, notify) run at once, daemon-wide; more wait their turn.
	// Default DefaultMaxScriptProcesses.
	MaxScriptProcesses int
	ControlSocket      string // default DefaultControlSocket
	MetricsListen      string // host:port, "" disables metrics
	StateFile          string // maintenance state; "" means DefaultStateFile
	// LVSDrainTimeout, when set, drains a destination that leaves the
	// table while it still answers (removed from the config, the sorry
	// server giving way): weight 0 until its active connections end or
	// this long has passed, then deleted. 0 deletes at once, as
	// keepalived does. Failed real servers are never drained.
	LVSDrainTimeout time.Duration
	// LVSKeepOnStop leaves the virtual services lbhad owns in the kernel
	// when it stops cleanly, so traffic keeps flowing across a restart
	// (the next lbhad adopts them in place). Default false: removed, as
	// keepalived does.
	LVSKeepOnStop bool
	// LVSResyncInterval is how often the whole IPVS table is read and
	// the services lbhad owns put right again, repairing changes made
	// behind lbhad's back (ipvsadm -C, another tool). 0 turns it off.
	// Default DefaultLVSResyncInterval.
	LVSResyncInterval time.Duration
	LVSTimeouts       LVSTimeouts
	LVSSyncDaemon     *LVSSyncDaemon // nil when no lvs_sync_daemon block
	Notification      Notification
	// VRRPVersion is the default VRRP version of the instances, 2 or 3
	// (keepalived's vrrp_version); default 2.
	VRRPVersion uint8
	// GARP holds the global vrrp_garp_lower_prio_* defaults.
	GARP GARPDefaults
}

// LVSSyncDaemon configures the kernel's IPVS connection synchronisation
// daemon, which multicasts the active director's connections to the
// standby so they survive a failover. Like keepalived's lvs_sync_daemon it
// follows one VRRP instance: master sync while that instance is MASTER,
// backup sync in every other state. Zero optional fields leave the
// kernel's defaults (maxlen from the MTU, 224.0.0.81, 8848, TTL 1).
type LVSSyncDaemon struct {
	Interface string     // interface the sync multicast uses
	Instance  string     // the VRRP instance followed (resolved, never "")
	SyncID    uint8      // default: that instance's virtual_router_id
	MaxLen    uint16     // largest sync message payload; 0 = kernel default
	Group     netip.Addr // multicast group; invalid = kernel default
	Port      uint16     // 0 = kernel default
	TTL       uint8      // 0 = kernel default
	Range     hcl.Range
}

// DefaultControlSocket is where lbhad listens for status and control
// commands when the config names no other path.
const DefaultControlSocket = "/run/lbhad/lbhad.sock"

// DefaultStateFile is where lbhad keeps the maintenance state that must
// survive a restart ("lbhad maint").
const DefaultStateFile = "/var/lib/lbhad/state.json"

// DefaultLVSResyncInterval is how often the IPVS table is resynchronised
// when lvs_resync_interval is not set.
const DefaultLVSResyncInterval = 30 * time.Second

// LVSTimeouts are the IPVS connection timeouts set like `ipvsadm --set`.
// A zero value leaves the kernel's setting alone.
type LVSTimeouts struct {
	TCP, TCPFin, UDP time.Duration
}

// Notification holds the global delivery settings used by smtp_alert and
// webhooks.
type Notification struct {
	Email    *Email // nil when no email block is configured
	Webhooks []*Webhook
}

// Email configures SMTP delivery of state-change alerts.
type Email struct {
	Server         string // host:port, port defaults to 25
	From           string
	To             []string
	StartTLS       bool
	Username       string
	Password       string        // secret: never logged
	ConnectTimeout time.Duration // default 30s
}

// Webhook configures JSON POST delivery of events.
type Webhook struct {
	Name      string
	URL       string
	Secret    string // secret for X-Lbhad-Signature; never logged
	Headers   map[string]string
	Timeout   time.Duration // default 5s
	Retries   int           // default 3
	QueueSize int           // default 1000
	// URLPathSafe: the URL's path may be shown in dumps and diagnostics.
	// By default it is hidden, since services like Slack put the token
	// in the path.
	URLPathSafe bool
}

// Script is a vrrp_script: a command whose exit status moves the priority
// of the instances that track it.
type Script struct {
	Name     string
	Script   string        // command line, split on spaces like keepalived
	Interval time.Duration // default 1s
	Timeout  time.Duration // default = Interval
	Weight   int           // -253..253; default 0
	Rise     int           // default 1
	Fall     int           // default 1
	User     string        // overrides Global.ScriptUser
	// InitFail is keepalived's init_fail: the script counts as failed
	// until Rise runs succeed, so a node does not claim mastership on a
	// check it has not yet passed.
	InitFail bool
	// Reverse is keepalived's "weight W reverse": the weight moves the
	// priority the other way, and with weight 0 the instance is in FAULT
	// while the script succeeds.
	Reverse bool
	Range   hcl.Range
}

// TrackedInterface is a track_interface entry with keepalived's weight:
// a positive weight is added while the interface is up, a negative one
// while it is down; reverse turns the adjustment the other way, and
// weight 0 with reverse means FAULT while the interface is up.
type TrackedInterface struct {
	Name    string
	Weight  int // -253..253
	Reverse bool
}

// State is a VRRP state as named in the config and in notifications.
type State int

// The VRRP states of RFC 3768 §6.4, plus Fault as keepalived has it.
const (
	StateBackup State = iota
	StateMaster
	StateFault
	StateInit
)

func (s State) String() string {
	switch s {
	case StateBackup:
		return "BACKUP"
	case StateMaster:
		return "MASTER"
	case StateFault:
		return "FAULT"
	default:
		return "INIT"
	}
}

// AuthType is the VRRPv2 authentication type (RFC 3768 §5.3.6).
type AuthType uint8

// Supported authentication types. AH (2) is refused by validation.
const (
	AuthNone AuthType = 0
	AuthPass AuthType = 1
)

// Instance is a vrrp_instance.
type Instance struct {
	Name      string
	Interface string
	VRID      uint8
	Priority  uint8 // 1..255; 255 means address owner
	// AdvertInterval is whole seconds 1..255 in VRRPv2, whole
	// centiseconds 0.01..40.95 s in VRRPv3; default 1s.
	AdvertInterval time.Duration
	// Version is the VRRP version, 2 (RFC 3768) or 3 (RFC 5798): the
	// instance's version, else global vrrp_version, else 2; always 3
	// for IPv6, as in keepalived.
	Version uint8
	// IPv6 is true for an IPv6 instance (native_ipv6, or IPv6 VIPs):
	// its VIPs, unicast_src_ip and unicast peers are all IPv6.
	IPv6 bool
	// UnicastPeerTTL holds the min_ttl/max_ttl bounds of the
	// unicast_peer entries that have them.
	UnicastPeerTTL map[netip.Addr]TTLRange
	State          State // initial state: StateBackup or StateMaster
	Nopreempt      bool
	PreemptDelay   time.Duration
	AuthType       AuthType
	AuthPass       string // at most 8 bytes; secret
	VIPs           []VIP
	// ExcludedVIPs (virtual_ipaddress_excluded) move with the VIPs but
	// are not carried in adverts; they may be of either family.
	ExcludedVIPs []VIP
	// VirtualRoutes and VirtualRules are added on becoming MASTER and
	// removed on leaving it, after and before the VIPs.
	VirtualRoutes []VirtualRoute
	VirtualRules  []VirtualRule
	// SkipCheckAdvAddr is keepalived's skip_check_adv_addr: a backup
	// does not compare the address list of an advert from the master
	// it last heard with its own, so the VIP lists can be changed one
	// router at a time.
	SkipCheckAdvAddr bool
	UnicastSrcIP     netip.Addr // invalid when unset
	UnicastPeers     []netip.Addr
	TrackInterfaces  []string // every tracked interface, weighted or not
	// TrackInterfaceWeights are the tracked interfaces given a weight or
	// reverse ("eth1 weight -20 [reverse]"): they move the priority
	// instead of causing FAULT, as in keepalived.
	TrackInterfaceWeights []TrackedInterface
	TrackScripts          []TrackScript
	TrackFiles            []TrackedFile
	GARPMasterDelay       time.Duration // default 5s
	GARPMasterRepeat      int           // default 5
	GARPMasterRefresh     time.Duration // 0 = off
	// GARPMasterRefreshRepeat is frames per VIP per refresh (default 1);
	// GARPLowerPrioRepeat and GARPLowerPrioDelay are the burst a master
	// sends on hearing a lower priority and the delay of its second one
	// (see build_garp.go for the defaults).
	GARPMasterRefreshRepeat int
	GARPLowerPrioRepeat     int
	GARPLowerPrioDelay      time.Duration
	Notify                  NotifyScripts
	SMTPAlert               bool
	Range                   hcl.Range
	// VMAC names the instance's macvlan interface carrying the virtual
	// MAC (keepalived's use_vmac), "" when off; the VIPs without a dev
	// live on it. VMACXmitBase sends and receives the adverts on
	// Interface instead of on the VMAC.
	VMAC         string
	VMACXmitBase bool
}

// TTLRange is an inclusive TTL (hop limit) range, 0..255.
type TTLRange struct{ Min, Max uint8 }

// VIP is one virtual_ipaddress entry: "192.0.2.50/24 dev eth0 label eth0:vip".
type VIP struct {
	Prefix netip.Prefix // address with its prefix length (default /32)
	Dev    string       // defaults to the instance's interface
	Label  string
	// Broadcast is brd (IPv4 only); invalid when unset, which lets the
	// address manager derive it from the prefix.
	Broadcast netip.Addr
	Scope     uint8 // kernel scope number; 0 (global) unless given
}

// TrackScript binds a vrrp_script to an instance, optionally overriding
// its weight.
type TrackScript struct {
	Name   string
	Weight int // the script's weight unless overridden
	// Reverse is the script's unless the entry sets a weight, as in
	// keepalived: then it is the entry's own reverse (default false).
	Reverse bool
}

// TrackFile is a track_file (keepalived's vrrp_track_file): a file
// holding a number that an operator or agent writes, so that the
// instances tracking it move their priority by number × weight, or go to
// FAULT when that is -254 or less. A missing file counts as 0.
type TrackFile struct {
	Name string
	File string // absolute path
	// Weight is -254..254, default 1. With 0 the file is a plain flag:
	// any number but 0 is FAULT.
	Weight int
	// InitFile creates the file holding 0 at start when it is missing,
	// so that operators find it in place.
	InitFile bool
	// Reverse multiplies number × weight by -1 (keepalived's "weight W
	// reverse"); with weight 0, FAULT is while the number is 0.
	Reverse bool
	Range   hcl.Range
}

// TrackedFile binds a track_file to an instance, optionally overriding
// its weight.
type TrackedFile struct {
	Name   string
	Weight int // the track_file's weight unless overridden
	// Reverse follows the same rule as TrackScript.Reverse.
	Reverse bool
}

// NotifyScripts are the keepalived-style notify hooks of an instance or
// sync group.
type NotifyScripts struct {
	Master, Backup, Fault, Stop, Generic string
}

// SyncGroup is a vrrp_sync_group: instances that change state together.
type SyncGroup struct {
	Name      string
	Group     []string // instance names, all defined
	Notify    NotifyScripts
	SMTPAlert bool
	Range     hcl.Range
}

// Protocol is the transport protocol of a virtual service.
type Protocol int

// Protocols of a virtual service.
const (
	TCP Protocol = iota
	UDP
	SCTP
)

func (p Protocol) String() string {
	switch p {
	case UDP:
		return "udp"
	case SCTP:
		return "sctp"
	}
	return "tcp"
}

// ForwardKind is the IPVS forwarding method (lb_kind).
type ForwardKind int

// Forwarding methods.
const (
	KindNAT ForwardKind = iota
	KindDR
	KindTUN
)

func (k ForwardKind) String() string {
	switch k {
	case KindDR:
		return "dr"
	case KindTUN:
		return "tun"
	default:
		return "nat"
	}
}

// Schedulers lists the lb_algo values IPVS accepts.
// twos (random of two, Linux 6.2+) may be missing from older kernels;
// validate warns when the running kernel has no module for a scheduler.
var Schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf", "twos"}

// VirtualServer is a virtual_server: an IPVS service and its real servers.
type VirtualServer struct {
	Name      string
	Address   netip.AddrPort // invalid when FWMark is set
	FWMark    uint32         // 0 when Address is set
	Protocol  Protocol
	Scheduler string // one of Schedulers, default "wlc"
	// OnePacket is keepalived's ops: IPVS schedules every UDP datagram
	// on its own, with no connection entry (UDP services only).
	OnePacket bool
	// SchedFallback and SchedPort are the sh and mh schedulers' flags
	// (keepalived's sh-fallback/mh-fallback and sh-port/mh-port): pick
	// another real server when the hashed one is unavailable, and hash
	// the source port too.
	SchedFallback      bool
	SchedPort          bool
	Kind               ForwardKind
	PersistenceTimeout time.Duration // 0 = no persistence
	PersistenceNetmask netip.Addr    // invalid = /32
	Quorum             int           // default 1
	Hysteresis         int
	SorryServer        netip.AddrPort // invalid when unset
	InhibitOnFailure   bool
	DelayLoop          time.Duration // default 60s
	QuorumUp           string        // script run when quorum is regained
	QuorumDown         string        // script run when quorum is lost
	// Announce: the virtual server's addresses are announced over BGP
	// as host routes while it has quorum (the bgp block).
	Announce bool
	// Alpha is keepalived's alpha: every check of the real servers starts
	// down, so a server enters IPVS only once its checks pass, and a dead
	// server takes no traffic after a start or reload.
	Alpha bool
	// Omega is keepalived's omega: when lbhad stops, the real servers'
	// notify_down and the quorum_down run for what was still up.
	Omega bool
	// Tunnel is the encapsulation of lb_kind TUN (tun_type, tun_port,
	// tun_flags), the default of the real servers.
	Tunnel Tunnel
	// SorryKind and SorryTunnel are how packets reach the sorry server
	// (sorry_server_lvs_method; the virtual server's lb_kind by default).
	// SorryInhibit (sorry_server_inhibit) keeps the sorry server in the
	// table at weight 0 while it is not needed, as inhibit_on_failure does
	// for a real server, instead of removing it.
	SorryKind    ForwardKind
	SorryTunnel  Tunnel
	SorryInhibit bool
	// HASuspend is keepalived's ha_suspend: the real servers' checks run
	// only while one of the virtual server's addresses is on this host.
	HASuspend   bool
	RealServers []*RealServer
	// Group names the virtual_server_group this virtual server serves;
	// Members are then its services, Address or FWMark the first of them.
	Group   string
	Members []GroupMember
	Range   hcl.Range
}

// VirtualServerGroup is a virtual_server_group: addresses (ranges
// expanded) and firewall marks that one virtual server serves as as many
// IPVS services, with one set of real servers and one check each.
type VirtualServerGroup struct {
	Name    string
	Members []GroupMember
	Range   hcl.Range
}

// GroupMember is one service of a group: an address or a firewall mark.
type GroupMember struct {
	Address netip.AddrPort // invalid when FWMark is set
	FWMark  uint32
}

// RealServer is a real_server of a virtual server.
type RealServer struct {
	Name             string
	Address          netip.AddrPort // port 0 for fwmark services means "same as client"
	Weight           int            // default 1
	Kind             ForwardKind    // the virtual server's unless overridden
	Tunnel           Tunnel         // for Kind TUN; the virtual server's unless overridden
	UpperThreshold   uint32
	LowerThreshold   uint32
	InhibitOnFailure bool // the virtual server's unless overridden
	NotifyUp         string
	NotifyDown       string
	// Checks are the real server's health checks, in file order. The
	// server is up only while every one of them passes, as in
	// keepalived; none means always considered alive.
	Checks []*Check
	Range  hcl.Range
}

// CheckKind names the health-check block of a real server.
type CheckKind int

// Health-check kinds.
const (
	CheckHTTP CheckKind = iota // http_get
	CheckSSL                   // ssl_get
	CheckTCP                   // tcp_check
	CheckMisc                  // misc_check
	CheckDNS                   // dns_check
	CheckUDP                   // udp_check
	CheckPing                  // ping_check
	CheckSMTP                  // smtp_check
	CheckFile                  // file_check
)

func (k CheckKind) String() string {
	switch k {
	case CheckHTTP:
		return "http_get"
	case CheckSSL:
		return "ssl_get"
	case CheckTCP:
		return "tcp_check"
	case CheckMisc:
		return "misc_check"
	case CheckDNS:
		return "dns_check"
	case CheckUDP:
		return "udp_check"
	case CheckPing:
		return "ping_check"
	case CheckSMTP:
		return "smtp_check"
	case CheckFile:
		return "file_check"
	default:
		return fmt.Sprintf("CheckKind(%d)", int(k))
	}
}

// Check is a real server's health check with its timing.
type Check struct {
	Kind             CheckKind
	Interval         time.Duration // delay_loop: the check's, else the virtual server's
	ConnectTimeout   time.Duration // default 5s
	Rise             int           // default 1
	Fall             int           // default 1 (keepalived: retry+1)
	Retry            int           // extra attempts before a failure counts, default 0
	DelayBeforeRetry time.Duration // default 1s
	Warmup           time.Duration // random delay before the first check, at most this
	ConnectIP        netip.Addr    // invalid: the real server's address
	ConnectPort      uint16        // 0: the real server's port
	BindTo           netip.Addr    // invalid: kernel's choice
	HTTP             *HTTPCheck    // for http_get and ssl_get
	TCP              *TCPCheck     // for tcp_check with send or expect; nil for a bare connect
	Misc             *MiscCheck    // for misc_check
	DNS              *DNSCheck     // for dns_check
	UDP              *UDPCheck     // for udp_check
	SMTP             *SMTPCheck    // for smtp_check
	File             *FileCheck    // for file_check
}

// HTTPCheck is an http_get or ssl_get check. Its URLs are fetched in
// order on every attempt and all must pass, as keepalived's url blocks.
type HTTPCheck struct {
	URLs        []HTTPURL // at least one
	VirtualHost string    // Host header of URLs that set none; "" uses the address
	// TLS settings, used by ssl_get.
	ServerName string // SNI; defaults to VirtualHost
	CAFile     string
	CertFile   string
	KeyFile    string
	Insecure   bool
}

// HTTPURL is one url block of an http_get or ssl_get (or the check's own
// path, status_code, body_regex and digest when it has no url block).
type HTTPURL struct {
	Path        string // default "/"
	VirtualHost string // "": the check's
	Status      []StatusRange
	BodyRegex   string // "" means not checked
	Digest      string // lower-case hex MD5 of the body; "" means not checked
}

// StatusRange is an inclusive range of accepted HTTP status codes.
type StatusRange struct{ Min, Max int }

// TCPCheck is a tcp_check; Send and Expect are optional.
type TCPCheck struct {
	Send   string
	Expect string
}

// DNSCheck is a dns_check: a query that must be answered with NOERROR.
type DNSCheck struct {
	Type   string // upper-case record type, default "SOA"
	Name   string // fully qualified, default "." (the root)
	Expect string // "": any NOERROR answer; else some answer's data must equal it
}

// UDPCheck is a udp_check: Payload is sent; without RequireReply silence
// until the timeout passes and only an ICMP error fails.
type UDPCheck struct {
	Payload      []byte // nil: keepalived's 32-byte filler
	RequireReply bool
	Reply        []byte // a reply must start with these bytes (up to its length)
	ReplyMask    []byte // per byte of Reply, bits set are wildcards; nil: none
	MinReplyLen  int    // default 0
	MaxReplyLen  int    // default 255
}

// SMTPCheck is an smtp_check: banner 220, HELO (or EHLO) answered 250,
// then QUIT.
type SMTPCheck struct {
	HeloName string // default "smtpchecker.keepalived.org"
	EHLO     bool
}

// FileCheck is a file_check: the number in File (a top-level
// track_file) sets the real server's weight or takes it down.
type FileCheck struct {
	TrackFile string // the track_file's name
	File      string // its path
	Weight    int    // -65535..65535; 0: any number but 0 means down
	Reverse   bool
}

// MiscCheck is a misc_check running an external command.
type MiscCheck struct {
	Path    string // command line
	Timeout time.Duration
	Dynamic bool // misc_dynamic: exit codes 2..255 set weight to code-2
	User    string
}

// DefaultMaxScriptProcesses is how many scripts may run at once when the
// global block sets no max_script_processes. It is the check pool's
// default too: enough for a burst of notify scripts on a failover, small
// enough that 10,000 real servers going down fork no more than this.
const DefaultMaxScriptProcesses = 64

// MaxScriptProcessesLimit is the largest max_script_processes accepted.
const MaxScriptProcessesLimit = 4096
