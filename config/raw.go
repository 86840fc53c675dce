package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// The raw structs mirror the file's syntax one to one. Every attribute is
// an hcl.Expression so that the builder can evaluate it itself: that gives
// each semantic diagnostic the attribute's own range, lets durations be
// numbers or strings, and keeps gohcl's checks for unknown, duplicate and
// missing blocks. Attributes tagged without ",optional" are required, but
// gohcl does not enforce that for expressions: builder.require does.

type rawFile struct {
	Global         *rawGlobal          `hcl:"global,block"`
	Scripts        []*rawScript        `hcl:"vrrp_script,block"`
	TrackFiles     []*rawTrackFileDef  `hcl:"track_file,block"`
	Instances      []*rawInstance      `hcl:"vrrp_instance,block"`
	SyncGroups     []*rawSyncGroup     `hcl:"vrrp_sync_group,block"`
	VSGroups       []*rawVSGroup       `hcl:"virtual_server_group,block"`
	VirtualServers []*rawVirtualServer `hcl:"virtual_server,block"`
	BGP            *rawBGP             `hcl:"bgp,block"`
}

type rawGlobal struct {
	RouterID             hcl.Expression    `hcl:"router_id,optional"`
	ScriptUser           hcl.Expression    `hcl:"script_user,optional"`
	EnableScriptSecurity hcl.Expression    `hcl:"enable_script_security,optional"`
	MaxScriptProcesses   hcl.Expression    `hcl:"max_script_processes,optional"`
	ControlSocket        hcl.Expression    `hcl:"control_socket,optional"`
	MetricsListen        hcl.Expression    `hcl:"metrics_listen,optional"`
	StateFile            hcl.Expression    `hcl:"state_file,optional"`
	LVSDrainTimeout      hcl.Expression    `hcl:"lvs_drain_timeout,optional"`
	LVSKeepOnStop        hcl.Expression    `hcl:"lvs_keep_on_stop,optional"`
	LVSResyncInterval    hcl.Expression    `hcl:"lvs_resync_interval,optional"`
	LVSTimeouts          *rawLVSTimeouts   `hcl:"lvs_timeouts,block"`
	LVSSyncDaemon        *rawLVSSyncDaemon `hcl:"lvs_sync_daemon,block"`
	Notification         *rawNotification  `hcl:"notification,block"`
	VRRPVersion          hcl.Expression    `hcl:"vrrp_version,optional"`

	GARPLowerPrioDelay  hcl.Expression `hcl:"vrrp_garp_lower_prio_delay,optional"`
	GARPLowerPrioRepeat hcl.Expression `hcl:"vrrp_garp_lower_prio_repeat,optional"`
	GARPInterval        hcl.Expression `hcl:"vrrp_garp_interval,optional"`
	GNAInterval         hcl.Expression `hcl:"vrrp_gna_interval,optional"`
}

type rawLVSTimeouts struct {
	TCP    hcl.Expression `hcl:"tcp,optional"`
	TCPFin hcl.Expression `hcl:"tcpfin,optional"`
	UDP    hcl.Expression `hcl:"udp,optional"`
}

type rawNotification struct {
	Email    *rawEmail     `hcl:"email,block"`
	Webhooks []*rawWebhook `hcl:"webhook,block"`
}

type rawEmail struct {
	Server         hcl.Expression `hcl:"server"`
	From           hcl.Expression `hcl:"from"`
	To             hcl.Expression `hcl:"to"`
	StartTLS       hcl.Expression `hcl:"starttls,optional"`
	Username       hcl.Expression `hcl:"username,optional"`
	Password       hcl.Expression `hcl:"password,optional"`
	ConnectTimeout hcl.Expression `hcl:"connect_timeout,optional"`
	DefRange       hcl.Range      `hcl:",def_range"`
}

type rawWebhook struct {
	Name      string         `hcl:"name,label"`
	URL       hcl.Expression `hcl:"url"`
	Secret    hcl.Expression `hcl:"secret,optional"`
	Headers   hcl.Expression `hcl:"headers,optional"`
	Timeout   hcl.Expression `hcl:"timeout,optional"`
	Retries   hcl.Expression `hcl:"retries,optional"`
	QueueSize hcl.Expression `hcl:"queue_size,optional"`
	PathSafe  hcl.Expression `hcl:"url_path_safe,optional"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawScript struct {
	Name     string         `hcl:"name,label"`
	Script   hcl.Expression `hcl:"script"`
	Interval hcl.Expression `hcl:"interval,optional"`
	Timeout  hcl.Expression `hcl:"timeout,optional"`
	Weight   hcl.Expression `hcl:"weight,optional"`
	Rise     hcl.Expression `hcl:"rise,optional"`
	Fall     hcl.Expression `hcl:"fall,optional"`
	User     hcl.Expression `hcl:"user,optional"`
	InitFail hcl.Expression `hcl:"init_fail,optional"`
	Reverse  hcl.Expression `hcl:"reverse,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawInstance struct {
	Name              string            `hcl:"name,label"`
	Interface         hcl.Expression    `hcl:"interface"`
	VRID              hcl.Expression    `hcl:"virtual_router_id"`
	Priority          hcl.Expression    `hcl:"priority,optional"`
	AdvertInt         hcl.Expression    `hcl:"advert_int,optional"`
	State             hcl.Expression    `hcl:"state,optional"`
	Nopreempt         hcl.Expression    `hcl:"nopreempt,optional"`
	PreemptDelay      hcl.Expression    `hcl:"preempt_delay,optional"`
	Auth              *rawAuth          `hcl:"authentication,block"`
	VIPs              hcl.Expression    `hcl:"virtual_ipaddress,optional"`
	VIPsExcluded      hcl.Expression    `hcl:"virtual_ipaddress_excluded,optional"`
	VirtualRoutes     hcl.Expression    `hcl:"virtual_routes,optional"`
	VirtualRules      hcl.Expression    `hcl:"virtual_rules,optional"`
	UnicastSrcIP      hcl.Expression    `hcl:"unicast_src_ip,optional"`
	UnicastPeer       hcl.Expression    `hcl:"unicast_peer,optional"`
	TrackInterface    hcl.Expression    `hcl:"track_interface,optional"`
	TrackScripts      []*rawTrackScript `hcl:"track_script,block"`
	TrackFiles        []*rawTrackFile   `hcl:"track_file,block"`
	GARPMasterDelay   hcl.Expression    `hcl:"garp_master_delay,optional"`
	GARPMasterRepeat  hcl.Expression    `hcl:"garp_master_repeat,optional"`
	GARPMasterRefresh hcl.Expression    `hcl:"garp_master_refresh,optional"`
	NotifyMaster      hcl.Expression    `hcl:"notify_master,optional"`
	NotifyBackup      hcl.Expression    `hcl:"notify_backup,optional"`
	NotifyFault       hcl.Expression    `hcl:"notify_fault,optional"`
	NotifyStop        hcl.Expression    `hcl:"notify_stop,optional"`
	Notify            hcl.Expression    `hcl:"notify,optional"`
	SMTPAlert         hcl.Expression    `hcl:"smtp_alert,optional"`
	Version           hcl.Expression    `hcl:"version,optional"`
	NativeIPv6        hcl.Expression    `hcl:"native_ipv6,optional"`
	Accept            hcl.Expression    `hcl:"accept,optional"`
	NoAccept          hcl.Expression    `hcl:"no_accept,optional"`
	SkipCheckAdvAddr  hcl.Expression    `hcl:"skip_check_adv_addr,optional"`
	UseVMAC           hcl.Expression    `hcl:"use_vmac,optional"`
	VMACXmitBase      hcl.Expression    `hcl:"vmac_xmit_base,optional"`
	DefRange          hcl.Range         `hcl:",def_range"`

	GARPLowerPrioDelay      hcl.Expression `hcl:"garp_lower_prio_delay,optional"`
	GARPLowerPrioRepeat     hcl.Expression `hcl:"garp_lower_prio_repeat,optional"`
	GARPMasterRefreshRepeat hcl.Expression `hcl:"garp_master_refresh_repeat,optional"`
}

type rawAuth struct {
	AuthType hcl.Expression `hcl:"auth_type"`
	AuthPass hcl.Expression `hcl:"auth_pass,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

// rawTrackFileDef is the top-level track_file block (keepalived's
// vrrp_track_file); rawTrackFile binds one to an instance.
type rawTrackFileDef struct {
	Name     string         `hcl:"name,label"`
	File     hcl.Expression `hcl:"file"`
	Weight   hcl.Expression `hcl:"weight,optional"`
	InitFile hcl.Expression `hcl:"init_file,optional"`
	Reverse  hcl.Expression `hcl:"reverse,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawTrackFile struct {
	Name     string         `hcl:"name,label"`
	Weight   hcl.Expression `hcl:"weight,optional"`
	Reverse  hcl.Expression `hcl:"reverse,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawTrackScript struct {
	Name     string         `hcl:"name,label"`
	Weight   hcl.Expression `hcl:"weight,optional"`
	Reverse  hcl.Expression `hcl:"reverse,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawSyncGroup struct {
	Name         string         `hcl:"name,label"`
	Group        hcl.Expression `hcl:"group"`
	NotifyMaster hcl.Expression `hcl:"notify_master,optional"`
	NotifyBackup hcl.Expression `hcl:"notify_backup,optional"`
	NotifyFault  hcl.Expression `hcl:"notify_fault,optional"`
	NotifyStop   hcl.Expression `hcl:"notify_stop,optional"`
	Notify       hcl.Expression `hcl:"notify,optional"`
	SMTPAlert    hcl.Expression `hcl:"smtp_alert,optional"`
	// Tracking that applies to every member (keepalived's sync group
	// track_interface, track_script and track_file).
	TrackInterface hcl.Expression    `hcl:"track_interface,optional"`
	TrackScripts   []*rawTrackScript `hcl:"track_script,block"`
	TrackFiles     []*rawTrackFile   `hcl:"track_file,block"`
	DefRange       hcl.Range         `hcl:",def_range"`
}

type rawVSGroup struct {
	Name      string         `hcl:"name,label"`
	Addresses hcl.Expression `hcl:"addresses,optional"`
	FWMarks   hcl.Expression `hcl:"fwmarks,optional"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawVirtualServer struct {
	Name               string           `hcl:"name,label"`
	Group              hcl.Expression   `hcl:"group,optional"`
	Address            hcl.Expression   `hcl:"address,optional"`
	FWMark             hcl.Expression   `hcl:"fwmark,optional"`
	Protocol           hcl.Expression   `hcl:"protocol,optional"`
	LBAlgo             hcl.Expression   `hcl:"lb_algo,optional"`
	OPS                hcl.Expression   `hcl:"ops,optional"`
	SHFallback         hcl.Expression   `hcl:"sh_fallback,optional"`
	SHPort             hcl.Expression   `hcl:"sh_port,optional"`
	MHFallback         hcl.Expression   `hcl:"mh_fallback,optional"`
	MHPort             hcl.Expression   `hcl:"mh_port,optional"`
	LBKind             hcl.Expression   `hcl:"lb_kind,optional"`
	PersistenceTimeout hcl.Expression   `hcl:"persistence_timeout,optional"`
	PersistenceNetmask hcl.Expression   `hcl:"persistence_netmask,optional"`
	Quorum             hcl.Expression   `hcl:"quorum,optional"`
	Hysteresis         hcl.Expression   `hcl:"hysteresis,optional"`
	SorryServer        hcl.Expression   `hcl:"sorry_server,optional"`
	InhibitOnFailure   hcl.Expression   `hcl:"inhibit_on_failure,optional"`
	DelayLoop          hcl.Expression   `hcl:"delay_loop,optional"`
	QuorumUp           hcl.Expression   `hcl:"quorum_up,optional"`
	QuorumDown         hcl.Expression   `hcl:"quorum_down,optional"`
	Announce           hcl.Expression   `hcl:"announce,optional"`
	Alpha              hcl.Expression   `hcl:"alpha,optional"`
	Omega              hcl.Expression   `hcl:"omega,optional"`
	RealServers        []*rawRealServer `hcl:"real_server,block"`
	DefRange           hcl.Range        `hcl:",def_range"`

	// Tunnel types and the sorry server's own settings (build_tun.go).
	TunType              hcl.Expression `hcl:"tun_type,optional"`
	TunPort              hcl.Expression `hcl:"tun_port,optional"`
	TunFlags             hcl.Expression `hcl:"tun_flags,optional"`
	SorryServerInhibit   hcl.Expression `hcl:"sorry_server_inhibit,optional"`
	SorryServerLVSMethod hcl.Expression `hcl:"sorry_server_lvs_method,optional"`
	HASuspend            hcl.Expression `hcl:"ha_suspend,optional"`
}

type rawRealServer struct {
	Name             string         `hcl:"name,label"`
	Address          hcl.Expression `hcl:"address"`
	Weight           hcl.Expression `hcl:"weight,optional"`
	LBKind           hcl.Expression `hcl:"lb_kind,optional"`
	UpperThreshold   hcl.Expression `hcl:"upper_threshold,optional"`
	LowerThreshold   hcl.Expression `hcl:"lower_threshold,optional"`
	InhibitOnFailure hcl.Expression `hcl:"inhibit_on_failure,optional"`
	NotifyUp         hcl.Expression `hcl:"notify_up,optional"`
	NotifyDown       hcl.Expression `hcl:"notify_down,optional"`
	HTTPGet          []*rawCheck    `hcl:"http_get,block"`
	SSLGet           []*rawCheck    `hcl:"ssl_get,block"`
	TCPCheck         []*rawCheck    `hcl:"tcp_check,block"`
	MiscCheck        []*rawCheck    `hcl:"misc_check,block"`
	DNSCheck         []*rawCheck    `hcl:"dns_check,block"`
	UDPCheck         []*rawCheck    `hcl:"udp_check,block"`
	PingCheck        []*rawCheck    `hcl:"ping_check,block"`
	SMTPCheck        []*rawCheck    `hcl:"smtp_check,block"`
	FileCheck        []*rawCheck    `hcl:"file_check,block"`
	DefRange         hcl.Range      `hcl:",def_range"`

	// Tunnel types (build_tun.go).
	TunType  hcl.Expression `hcl:"tun_type,optional"`
	TunPort  hcl.Expression `hcl:"tun_port,optional"`
	TunFlags hcl.Expression `hcl:"tun_flags,optional"`
}

// Check blocks are decoded in two passes. The first decodes the
// attributes every kind shares into rawCheck, once for all kinds, and
// keeps the rest of the block (Rest); the second decodes Rest into the
// kind's own struct (decodeCheck). A new check kind is a struct of its own
// attributes and nothing more.

// rawCheck is the first pass over any check block.
type rawCheck struct {
	ConnectTimeout   hcl.Expression `hcl:"connect_timeout,optional"`
	DelayLoop        hcl.Expression `hcl:"delay_loop,optional"`
	Rise             hcl.Expression `hcl:"rise,optional"`
	Fall             hcl.Expression `hcl:"fall,optional"`
	Retry            hcl.Expression `hcl:"retry,optional"`
	DelayBeforeRetry hcl.Expression `hcl:"delay_before_retry,optional"`
	Warmup           hcl.Expression `hcl:"warmup,optional"`
	ConnectIP        hcl.Expression `hcl:"connect_ip,optional"`
	ConnectPort      hcl.Expression `hcl:"connect_port,optional"`
	BindTo           hcl.Expression `hcl:"bindto,optional"`
	Body             hcl.Body       `hcl:",body"`   // the whole block, for decodeCheck's unknown-name check
	Rest             hcl.Body       `hcl:",remain"` // the kind's own attributes, for the second pass
	DefRange         hcl.Range      `hcl:",def_range"`
}

// The kinds' own attributes. Each struct has a remain field so that the
// second pass leaves reporting unknown names to decodeCheck.

type rawHTTPCheck struct {
	Path        hcl.Expression `hcl:"path,optional"`
	VirtualHost hcl.Expression `hcl:"virtualhost,optional"`
	StatusCode  hcl.Expression `hcl:"status_code,optional"`
	BodyRegex   hcl.Expression `hcl:"body_regex,optional"`
	Digest      hcl.Expression `hcl:"digest,optional"`
	SNI         hcl.Expression `hcl:"sni,optional"`
	CAFile      hcl.Expression `hcl:"ca_file,optional"`
	CertFile    hcl.Expression `hcl:"cert_file,optional"`
	KeyFile     hcl.Expression `hcl:"key_file,optional"`
	Insecure    hcl.Expression `hcl:"insecure,optional"`
	URLs        []*rawURL      `hcl:"url,block"`
	Rest        hcl.Body       `hcl:",remain"`
}

// rawURL is one of keepalived's url blocks: http_get and ssl_get fetch
// every one and pass only when all do.
type rawURL struct {
	Path        hcl.Expression `hcl:"path,optional"`
	VirtualHost hcl.Expression `hcl:"virtualhost,optional"`
	StatusCode  hcl.Expression `hcl:"status_code,optional"`
	BodyRegex   hcl.Expression `hcl:"body_regex,optional"`
	Digest      hcl.Expression `hcl:"digest,optional"`
	DefRange    hcl.Range      `hcl:",def_range"`
}

type rawTCPCheck struct {
	Send   hcl.Expression `hcl:"send,optional"`
	Expect hcl.Expression `hcl:"expect,optional"`
	Rest   hcl.Body       `hcl:",remain"`
}

type rawMiscCheck struct {
	Path        hcl.Expression `hcl:"path"`
	Timeout     hcl.Expression `hcl:"timeout,optional"`
	MiscDynamic hcl.Expression `hcl:"misc_dynamic,optional"`
	User        hcl.Expression `hcl:"user,optional"`
	Rest        hcl.Body       `hcl:",remain"`
}

type rawDNSCheck struct {
	Type   hcl.Expression `hcl:"type,optional"`
	Name   hcl.Expression `hcl:"name,optional"`
	Expect hcl.Expression `hcl:"expect,optional"`
	Rest   hcl.Body       `hcl:",remain"`
}

type rawUDPCheck struct {
	Payload        hcl.Expression `hcl:"payload,optional"`
	RequireReply   hcl.Expression `hcl:"require_reply,optional"`
	MinReplyLength hcl.Expression `hcl:"min_reply_length,optional"`
	MaxReplyLength hcl.Expression `hcl:"max_reply_length,optional"`
	Rest           hcl.Body       `hcl:",remain"`
}

type rawPingCheck struct {
	Rest hcl.Body `hcl:",remain"`
}

type rawSMTPCheck struct {
	HeloName hcl.Expression `hcl:"helo_name,optional"`
	EHLO     hcl.Expression `hcl:"ehlo,optional"`
	Rest     hcl.Body       `hcl:",remain"`
}

type rawFileCheck struct {
	TrackFile hcl.Expression `hcl:"track_file"`
	Weight    hcl.Expression `hcl:"weight,optional"`
	Reverse   hcl.Expression `hcl:"reverse,optional"`
	Rest      hcl.Body       `hcl:",remain"`
}

// decodeCheck is the second pass: it decodes c.Rest into kind (a pointer
// to one of the structs above), then checks the whole block against the
// shared and the kind's attributes together, in that order. That is the
// schema a one-pass decode would use, so an unknown name is reported
// once, at the same place and with the same "Did you mean" hint.
func decodeCheck(c *rawCheck, kind any) hcl.Diagnostics {
	diags := gohcl.DecodeBody(c.Rest, nil, kind)
	schema, _ := gohcl.ImpliedBodySchema(c)
	own, _ := gohcl.ImpliedBodySchema(kind)
	all := &hcl.BodySchema{
		Attributes: append(append([]hcl.AttributeSchema(nil), schema.Attributes...), own.Attributes...),
		Blocks:     append(append([]hcl.BlockHeaderSchema(nil), schema.Blocks...), own.Blocks...),
	}
	_, more := c.Body.Content(all)
	return append(diags, more...)
}
